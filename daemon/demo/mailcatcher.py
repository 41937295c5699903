"""A local mail catcher for the demo: a real SMTP server (aiosmtpd) on loopback that keeps every
mail in a Maildir folder, listed by the demo's mail page. Never used in production."""

from __future__ import annotations

import asyncio
import datetime as dt
import email
import email.message
import email.policy
import email.utils
import logging
import mailbox
from pathlib import Path
from typing import Any, Protocol

from aiosmtpd.controller import Controller

log = logging.getLogger(__name__)


class Responder(Protocol):
    def received(self, data: bytes, recipients: list[str]) -> None: ...


class MaildirHandler:
    def __init__(self, folder: Path, responder: Responder | None = None) -> None:
        for sub in ("tmp", "new", "cur"):  # Maildir(create=True) skips them if folder exists
            (folder / sub).mkdir(parents=True, exist_ok=True)
        self.maildir = mailbox.Maildir(folder, create=True)
        self.responder = responder  # the demo's directors, who answer some mails

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        if "X-Relance-Envelope-To" not in message:
            message["X-Relance-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        await asyncio.to_thread(self.maildir.add, message)
        log.debug("mail caught to=%s", ",".join(envelope.rcpt_tos))
        if self.responder is not None:
            self.responder.received(envelope.content, list(envelope.rcpt_tos))
        return "250 Message accepted for delivery"


def start_catcher(
    folder: Path,
    *,
    host: str = "127.0.0.1",
    port: int = 8025,
    responder: Responder | None = None,
) -> Controller:
    """Start the catcher in its own thread; call `.stop()` when done."""
    controller = Controller(MaildirHandler(folder, responder), hostname=host, port=port)
    controller.start()
    return controller


def list_mails(folder: Path, *, limit: int = 200) -> list[dict[str, Any]]:
    """The caught mails, newest first (by their Date): headers, the text and the HTML."""
    box = mailbox.Maildir(folder, create=True)
    found = [_read(key, raw) for key, raw in box.items()]
    found.sort(key=lambda mail: (mail["sent_at"] is not None, mail["sent_at"]), reverse=True)
    return found[:limit]


def get_mail(folder: Path, key: str) -> dict[str, Any] | None:
    """One caught mail by its Maildir key (None if there is no such mail)."""
    box = mailbox.Maildir(folder, create=True)
    try:
        raw = box[key]
    except (KeyError, ValueError):
        return None
    return _read(key, raw)


def _read(key: str, raw: mailbox.MaildirMessage) -> dict[str, Any]:
    parsed = email.message_from_bytes(raw.as_bytes(), policy=email.policy.default)
    assert isinstance(parsed, email.message.EmailMessage)
    text = parsed.get_body(preferencelist=("plain",))
    html = parsed.get_body(preferencelist=("html",))
    date = str(parsed.get("Date", ""))
    return {
        "key": key,
        "from": str(parsed.get("From", "")),
        "to": str(parsed.get("To", "")),
        "cc": str(parsed.get("Cc", "")),
        "reply_to": str(parsed.get("Reply-To", "")),
        "subject": str(parsed.get("Subject", "")),
        "date": date,
        "sent_at": _header_date(date),
        "text": text.get_content() if text is not None else "",
        "html": html.get_content() if html is not None else "",
    }


def _header_date(header: str) -> dt.datetime | None:
    """The Date header as an aware datetime (None when missing or unreadable)."""
    try:
        moment = email.utils.parsedate_to_datetime(header)
    except (TypeError, ValueError, IndexError):
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)
