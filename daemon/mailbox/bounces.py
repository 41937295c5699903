"""Delivery reports: which addresses failed for good or are only delayed, which of our mails the
report is about, and what the remote server said. Pure.

The failing addresses come from flufl.bounce (GNU Mailman's detectors): RFC 3464 reports
(`multipart/report`, `message/delivery-status`, `Action: failed` or `delayed`) and the common
non-standard ones (Postfix, Exim's `X-Failed-Recipients`, Exchange, qmail, …). Its heuristic
detectors are only run on a message that looks like a report (its type, its sender, an empty
return path, its subject), never on a person's mail that happens to quote one.

The mail reported on is named by the Message-IDs found in the returned message or its headers
(`message/rfc822`, `text/rfc822-headers`, or quoted as text, as Exim does), and by the address
the report was sent back to when it is a VERP one (`local+<digest>@domain`).
"""

from __future__ import annotations

import email
import re
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import Message

from flufl.bounce import all_failures

from daemon.mailbox.reading import address, header, message_ids, parse

DAEMONS = ("mailer-daemon", "postmaster", "mail-daemon", "mailerdaemon", "mail.daemon")
REPORT_SUBJECT = re.compile(
    r"undeliver|undelivered|delivery status notification|delivery (has )?failed|"
    r"returned mail|failure notice|mail delivery (failed|system)|delayed mail|"
    r"delivery delay|warning: message .* delayed|non remis|non-remise|impossible de remettre|"
    r"remise différée|échec de (la )?remise",
    re.IGNORECASE,
)
QUOTED_ID = re.compile(r"^\s*message-id:\s*(<[^<>\s]+>)", re.IGNORECASE | re.MULTILINE)
SMTP_REPLY = re.compile(r"(?<![\d.])([245]\d\d[ -]|[245]\.\d{1,3}\.\d{1,3}\b)")
RETURN_HEADERS = ("To", "Delivered-To", "X-Original-To", "Envelope-To", "X-Envelope-To")
ORIGINAL_TYPES = ("message/rfc822", "text/rfc822-headers", "message/rfc822-headers")


@dataclass(frozen=True)
class Bounce:
    permanent: frozenset[str]  # addresses that failed for good, lower-cased
    temporary: frozenset[str]  # addresses only delayed
    original_ids: tuple[str, ...]  # Message-IDs of the mails reported on
    returned_to: tuple[str, ...]  # addresses the report came back to (VERP)
    diagnostic: str  # what the remote server said, one line

    @property
    def delay_only(self) -> bool:
        return not self.permanent


def looks_like_report(message: Message) -> bool:
    if message.get_content_type() == "multipart/report":
        return True
    if "X-Failed-Recipients" in message or header(message, "Return-Path") == "<>":
        return True
    local = address(header(message, "From")).partition("@")[0]
    if local in DAEMONS:
        return True
    return bool(REPORT_SUBJECT.search(header(message, "Subject")))


def read_bounce(raw: bytes) -> Bounce | None:
    """The report in `raw`, or None when it is not one (or names no address)."""
    message = parse(raw)
    if not looks_like_report(message):
        return None
    temporary, permanent = all_failures(email.message_from_bytes(raw))
    permanent_set = frozenset(_addresses(permanent))
    temporary_set = frozenset(_addresses(temporary)) - permanent_set
    if not permanent_set and not temporary_set:
        return None
    return Bounce(
        permanent=permanent_set,
        temporary=temporary_set,
        original_ids=tuple(dict.fromkeys(original_ids(message))),
        returned_to=tuple(a for a in (address(header(message, h)) for h in RETURN_HEADERS) if a),
        diagnostic=diagnostic(message) or header(message, "Subject")[:300],
    )


def _addresses(found: frozenset[bytes]) -> list[str]:
    return [a.decode("ascii", "replace").strip().strip("<>").lower() for a in found]


def original_ids(message: Message) -> Iterator[str]:
    """Message-IDs of the returned mail: its headers where the report carries them, then any
    quoted as text (Exim), then the report's own In-Reply-To/References (a few servers)."""
    for part in message.walk():
        content_type = part.get_content_type()
        if content_type in ORIGINAL_TYPES:
            yield from _returned_ids(part)
        elif content_type.startswith("text/"):
            yield from QUOTED_ID.findall(_text(part))
    yield from message_ids(header(message, "In-Reply-To") + " " + header(message, "References"))


def _returned_ids(part: Message) -> list[str]:
    payload = part.get_payload()
    if isinstance(payload, list) and payload and isinstance(payload[0], Message):
        return message_ids(header(payload[0], "Message-ID"))
    text = _text(part)
    return message_ids(header(parse(text.encode("utf-8", "replace")), "Message-ID"))


def _text(part: Message) -> str:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return str(part.get_payload() or "")
    return payload.decode(part.get_content_charset() or "utf-8", "replace")


def diagnostic(message: Message) -> str:
    """What the remote server answered: the report's Diagnostic-Code (with its Status), else
    the first line of the report's text that quotes an SMTP reply, with its continuation."""
    for part in message.walk():
        if part.get_content_type() == "message/delivery-status":
            found = _dsn_diagnostic(part)
            if found:
                return found
    for part in message.walk():
        if part.get_content_type() in ORIGINAL_TYPES:
            break  # the returned mail follows: nothing of the report's own text beyond
        if part.get_content_type() == "text/plain":
            found = _text_diagnostic(_text(part))
            if found:
                return found
    return ""


def _dsn_diagnostic(part: Message) -> str:
    blocks = part.get_payload()
    for block in blocks if isinstance(blocks, list) else []:
        if not isinstance(block, Message):
            continue
        action = header(block, "Action").lower()
        if not action.startswith(("fail", "error", "delayed")):
            continue
        code = header(block, "Diagnostic-Code")
        code = code.partition(";")[2].strip() if ";" in code else code
        status = header(block, "Status")
        if code or status:
            return (code if status in code else f"{code} ({status})" if code else status)[:300]
    return ""


def _text_diagnostic(text: str) -> str:
    lines = text.splitlines()
    for index, line in enumerate(lines):
        if not SMTP_REPLY.search(line) or "message-id" in line.lower():
            continue
        taken = [line.strip()]
        for following in lines[index + 1 : index + 3]:
            if not following.startswith((" ", "\t")) or not following.strip():
                break
            taken.append(following.strip())
        return " ".join(taken)[:300]
    return ""
