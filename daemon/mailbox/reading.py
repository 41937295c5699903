"""One message of the mailbox as a typed record: who sent it, what it answers, whether an
automaton wrote it, and the files it carries. Pure: bytes in, record out; never raises on a
malformed message (what cannot be read is left empty).

Files are found wherever the usual clients put them: attachments (Outlook, Gmail, Thunderbird),
named parts shown inline (Apple Mail), parts of a forwarded message (`message/rfc822`), names in
RFC 2231 (`filename*=utf-8''…`, split in pieces) or RFC 2047 (`"=?utf-8?B?…?="`). Pictures
embedded in the text (signatures, logos) and signatures or cards are not files someone meant to
send. Outlook's `winmail.dat` (TNEF) is kept as a file with the reason no reader takes it.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import email.utils
import hashlib
import mimetypes
import re
from dataclasses import dataclass
from email.message import EmailMessage, Message

MESSAGE_IDS = re.compile(r"<[^<>\s]+>")
TNEF_REASON = (
    "pièce jointe winmail.dat (format propre à Outlook) : aucun fichier lisible à l'intérieur ; "
    "renvoyez le fichier depuis Outlook en texte ou HTML, ou déposez-le sur la page de votre école"
)
NOT_FILES = {
    "application/pkcs7-signature",
    "application/x-pkcs7-signature",
    "application/pgp-signature",
    "application/pgp-keys",
    "text/vcard",
    "text/x-vcard",
    "text/calendar",
    "application/ics",
}
NOT_FILE_SUFFIXES = (".p7s", ".asc", ".sig", ".vcf", ".ics")
AUTO_HEADERS = (
    "x-autoreply",
    "x-autorespond",
    "x-autoresponder",
    "x-autoresponse",
    "x-auto-reply",
    "x-mail-autoreply",
    "x-vacation",
)
AUTO_SUBJECT = re.compile(
    r"^\s*(r[ée]ponse automatique|automatic reply|auto-?reply|autoreply|out of (the )?office|"
    r"message d'absence|absente? (du|jusqu)|abwesenheit|risposta automatica|"
    r"respuesta autom[áa]tica)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Attachment:
    filename: str
    data: bytes
    content_type: str
    refusal: str = ""  # why no reader will take it (winmail.dat), else ""


@dataclass(frozen=True)
class Inbound:
    key: str  # unique per message: its Message-ID, else a digest of its headers
    message_id: str
    sender: str  # the From address, lower-cased
    subject: str
    date: dt.datetime | None
    replies_to: tuple[str, ...]  # In-Reply-To, then References (newest first)
    automatic: str  # why an automaton wrote it ("" when a person did)
    attachments: tuple[Attachment, ...]
    size: int


def parse(raw: bytes) -> EmailMessage:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def header(message: Message, name: str) -> str:
    """A header's decoded text ("" when missing or unreadable), on one line."""
    try:
        value = str(message.get(name) or "")
    except Exception:  # a malformed header the parser gives up on: the raw text
        value = next((str(v) for k, v in message.raw_items() if k.lower() == name.lower()), "")
    return " ".join(value.split())


def message_ids(text: str) -> list[str]:
    return MESSAGE_IDS.findall(text)


def header_block(raw: bytes) -> bytes:
    """The header part of a message's bytes."""
    for separator in (b"\r\n\r\n", b"\n\n"):
        cut = raw.find(separator)
        if cut >= 0:
            return raw[:cut]
    return raw


def message_key(raw: bytes) -> tuple[str, str]:
    """(key, Message-ID) from a message's bytes or its headers alone: the same either way."""
    found = message_ids(header(parse(header_block(raw) + b"\r\n\r\n"), "Message-ID"))
    if found and len(found[0]) <= 290:
        return f"id:{found[0]}", found[0]
    return "sha:" + hashlib.sha256(header_block(raw)).hexdigest(), ""


def address(value: str) -> str:
    """The address in a From/To value, lower-cased ("" when there is none)."""
    addresses = [a for _n, a in email.utils.getaddresses([value]) if "@" in a]
    return addresses[0].strip().lower() if addresses else ""


def when(message: Message) -> dt.datetime | None:
    try:
        moment = email.utils.parsedate_to_datetime(header(message, "Date"))
    except (TypeError, ValueError, IndexError):
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def automatic_reason(message: Message) -> str:
    """Why a message was written by an automaton (RFC 3834 and the common markers), else ""."""
    submitted = header(message, "Auto-Submitted").lower()
    if submitted and not submitted.startswith("no"):
        return f"Auto-Submitted: {submitted}"
    for name in AUTO_HEADERS:
        if name in message and header(message, name).lower() not in ("no", "false", "0"):
            return name
    if "List-Id" in message or "List-Unsubscribe" in message:
        return "liste de diffusion"  # RFC 3834: never answered either
    precedence = header(message, "Precedence").lower()
    if precedence in ("auto_reply", "bulk", "junk", "list"):
        return f"Precedence: {precedence}"
    if header(message, "X-MS-Exchange-Generated-Message-Source"):
        return "Exchange"
    if AUTO_SUBJECT.match(header(message, "Subject")):
        return "objet de réponse automatique"
    return ""


def read_message(raw: bytes) -> Inbound:
    message = parse(raw)
    key, mid = message_key(raw)
    answered = message_ids(header(message, "In-Reply-To"))
    references = list(reversed(message_ids(header(message, "References"))))
    return Inbound(
        key=key,
        message_id=mid,
        sender=address(header(message, "From")),
        subject=header(message, "Subject")[:300],
        date=when(message),
        replies_to=tuple(dict.fromkeys(answered + references)),
        automatic=automatic_reason(message),
        attachments=tuple(files(message)),
        size=len(raw),
    )


def files(message: Message) -> list[Attachment]:
    """The files a message carries, its forwarded messages' included."""
    found: list[Attachment] = []
    for part in message.walk():
        if part.is_multipart() or part.get_content_type() == "message/delivery-status":
            continue
        attachment = _file(part)
        if attachment is not None:
            found.append(attachment)
    return found


def _file(part: Message) -> Attachment | None:
    content_type = part.get_content_type()
    try:
        name = str(part.get_filename() or "").strip()
    except Exception:
        name = ""
    disposition = part.get_content_disposition()
    lower = name.lower()
    if content_type in NOT_FILES or lower.endswith(NOT_FILE_SUFFIXES):
        return None
    if content_type.startswith("image/") and (disposition != "attachment" or "Content-ID" in part):
        return None  # a picture in the text (signature, logo), not a file sent on purpose
    if not name:
        if disposition != "attachment" or content_type.startswith("text/"):
            return None  # the text of the message itself
        name = "pièce jointe" + (mimetypes.guess_extension(content_type) or "")
    payload = part.get_payload(decode=True)
    data = payload if isinstance(payload, bytes) else b""
    if content_type == "application/ms-tnef" or lower == "winmail.dat":
        return Attachment(name, data, content_type, TNEF_REASON)
    return Attachment(name, data, content_type)
