"""A local mail catcher for the demo: a real SMTP server (aiosmtpd) on loopback that keeps every
mail in a Maildir folder, listed by the demo's mail page. Never used in production."""

from __future__ import annotations

import asyncio
import datetime as dt
import email
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
        log.info("mail caught to=%s", ",".join(envelope.rcpt_tos))
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
    """The caught mails, newest first: headers and the plain-text body."""
    box = mailbox.Maildir(folder, create=True)
    items = []
    for key, message in box.items():
        items.append((message.get_date(), key, message))
    items.sort(key=lambda item: item[0], reverse=True)
    result = []
    for _date, key, raw in items[:limit]:
        parsed = email.message_from_bytes(raw.as_bytes(), policy=email.policy.default)
        body = parsed.get_body(preferencelist=("plain",))
        result.append(
            {
                "key": key,
                "to": str(parsed.get("To", "")),
                "subject": str(parsed.get("Subject", "")),
                "date": str(parsed.get("Date", "")),
                "sent_at": _header_date(str(parsed.get("Date", ""))),
                "text": body.get_content() if body is not None else "",
            }
        )
    return result


def _header_date(header: str) -> dt.datetime | None:
    """The Date header as an aware datetime (None when missing or unreadable)."""
    try:
        moment = email.utils.parsedate_to_datetime(header)
    except (TypeError, ValueError, IndexError):
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)
