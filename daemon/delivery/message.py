"""One ledger row → one `EmailMessage`. Pure: the same row and time give the same bytes.

The payload is written by the deciding half (`daemon.reminders`):
`{"subject": str, "text": str, "html": str (may be empty), "reply_to": str}`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any

from daemon.config import Settings


def message_id(key: str, from_address: str) -> str:
    """The `Message-ID` of a ledger key: the same key always gives the same id, so a mail resent
    after a crash is recognised as a duplicate by the receiving side."""
    domain = from_address.rpartition("@")[2] or "relance.local"
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]
    return f"<relance.{digest}@{domain}>"


def build_message(
    *,
    key: str,
    recipient: str,
    cc: list[str],
    payload: dict[str, Any],
    settings: Settings,
    now: dt.datetime,
) -> EmailMessage:
    smtp = settings.smtp
    message = EmailMessage()
    message["From"] = Address(smtp.from_name, addr_spec=smtp.from_address)
    message["To"] = recipient
    if cc:
        message["Cc"] = ", ".join(cc)
    reply_to = str(payload.get("reply_to") or "")
    if reply_to:
        message["Reply-To"] = reply_to
    message["Subject"] = str(payload.get("subject") or "(sans objet)")
    message["Date"] = format_datetime(now.astimezone(dt.UTC))
    message["Message-ID"] = message_id(key, smtp.from_address)
    message["List-Id"] = f"<{smtp.list_id}>"
    message["Auto-Submitted"] = "auto-generated"
    message["X-Auto-Response-Suppress"] = "All"
    message.set_content(str(payload.get("text") or ""))
    html = str(payload.get("html") or "")
    if html:
        message.add_alternative(html, subtype="html")
    return message
