"""One ledger row → one mail. Pure: the same row and time give the same bytes.

The payload is written by the deciding half (`daemon.reminders`):
`{"subject": str, "text": str, "html": str (may be empty), "reply_to": str}`.

`render_message` writes the wire form with the `email` package's compat32 MIME classes: four
times faster than building and folding an `EmailMessage` (1.8 ms → 0.4 ms a mail), which is what
lets the sender keep up with a bare aiosmtplib loop (bench/reminders_send.py). `build_message`
parses that same form back into an `EmailMessage` for previews and tests: one path for content.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import hashlib
from dataclasses import dataclass
from email.header import Header
from email.message import EmailMessage, Message
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import format_datetime, formataddr
from typing import Any, cast

from daemon.config import Settings

WIRE = email.policy.compat32.clone(linesep="\r\n")


@dataclass(frozen=True)
class Outgoing:
    """A rendered mail: envelope and bytes."""

    sender: str
    recipients: list[str]
    data: bytes
    message_id: str


def message_id(key: str, from_address: str) -> str:
    """The `Message-ID` of a ledger key: the same key always gives the same id, so a mail resent
    after a crash is recognised as a duplicate by the receiving side."""
    domain = from_address.rpartition("@")[2] or "relance.local"
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]
    return f"<relance.{digest}@{domain}>"


def _header(value: str) -> str | Header:
    return value if value.isascii() else Header(value, "utf-8")


def render_message(
    *,
    key: str,
    recipient: str,
    cc: list[str],
    payload: dict[str, Any],
    settings: Settings,
    now: dt.datetime,
) -> Outgoing:
    smtp = settings.smtp
    text = MIMEText(str(payload.get("text") or ""), "plain", "utf-8")
    html = str(payload.get("html") or "")
    message: Message = text
    if html:
        message = MIMEMultipart("alternative")
        message.attach(text)
        message.attach(MIMEText(html, "html", "utf-8"))
    mid = message_id(key, smtp.from_address)
    message["From"] = formataddr((smtp.from_name, smtp.from_address), charset="utf-8")
    message["To"] = recipient
    if cc:
        message["Cc"] = ", ".join(cc)
    reply_to = str(payload.get("reply_to") or "")
    if reply_to:
        message["Reply-To"] = reply_to
    message["Subject"] = _header(str(payload.get("subject") or "(sans objet)"))  # type: ignore[assignment]
    message["Date"] = format_datetime(now.astimezone(dt.UTC))
    message["Message-ID"] = mid
    message["List-Id"] = f"<{smtp.list_id}>"
    message["Auto-Submitted"] = "auto-generated"
    message["X-Auto-Response-Suppress"] = "All"
    data = message.as_bytes(policy=WIRE)
    return Outgoing(smtp.from_address, [recipient, *cc], data, mid)


def build_message(**kwargs: Any) -> EmailMessage:
    """The rendered mail as an `EmailMessage` (same arguments as `render_message`)."""
    outgoing = render_message(**kwargs)
    return cast(EmailMessage, email.message_from_bytes(outgoing.data, policy=email.policy.default))
