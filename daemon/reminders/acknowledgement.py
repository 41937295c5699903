"""The acknowledgement of a director's mail read by the mailbox part: what was read from it and
what is still open for the school — or why it was refused — as a reply threaded under their
message (`In-Reply-To`, `References`, « Re: »), marked `Auto-Submitted: auto-replied` (RFC 3834)
so that their own automatic answers stay quiet.

One ledger row per message answered (key `<UAI>:<campaign>:acknowledgement:<digest>`), due at
once: it answers what a person just did. At most one per sender and school per hour
(`INTERVAL`): a director sending five files in five mails gets one answer, the files' own
results are on their page. A message read twice (a retry) finds its key taken: no second mail.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlmodel import Session

from daemon.app import App
from daemon.reminders.compose import render
from daemon.reminders.mails import open_items
from daemon.reminders.sweep import campaign_context
from daemon.school.links import school_url
from db import ledger
from db.events import record_event
from db.models import Campaign, School
from db.states import EventKind, LedgerKind

KIND = LedgerKind.ACKNOWLEDGEMENT
INTERVAL = dt.timedelta(hours=1)
MAX_REFERENCES = 8  # the thread's last ids: enough for every client, short enough for a header


@dataclass(frozen=True)
class Received:
    """The message answered, and what became of it."""

    key: str  # the mailbox message's key (one answer per message)
    sender: str
    message_id: str
    replies_to: tuple[str, ...]  # its In-Reply-To and References, newest first
    subject: str
    received_at: dt.datetime | None
    lines: tuple[str, ...]  # one French line per file: what was read, or why refused
    refusal: str = ""  # why the message as a whole was refused ("" when its files were read)


def acknowledgement_key(school: School | None, campaign: Campaign, message_key: str) -> str:
    digest = hashlib.sha256(message_key.encode("utf-8")).hexdigest()[:20]
    uai = school.uai if school else ""
    return ledger.ledger_key(KIND, campaign=campaign.name, uai=uai, detail=(digest,))


def answered_lately(
    session: Session, *, sender: str, school: School | None, now: dt.datetime
) -> bool:
    """Whether this sender got an acknowledgement about this school within `INTERVAL`."""
    return ledger.written_since(
        session,
        kind=KIND,
        recipient=sender,
        school_id=school.id if school else None,
        since=now - INTERVAL,
    )


def reply_subject(subject: str) -> str:
    subject = subject.strip() or "votre message"
    return subject if subject[:3].lower() in ("re:", "re ") else f"Re: {subject}"


def references(received: Received) -> str:
    thread = [*reversed(received.replies_to), received.message_id]
    return " ".join([mid for mid in thread if mid][-MAX_REFERENCES:])


def queue_acknowledgement(
    app: App,
    session: Session,
    *,
    received: Received,
    school: School | None,
    campaign: Campaign,
    now: dt.datetime,
) -> bool:
    """Write the acknowledgement's ledger row (the caller's transaction). False when none is
    written: answered within the hour already, or this message was answered before."""
    if answered_lately(session, sender=received.sender, school=school, now=now):
        if school is not None:
            record_event(
                session,
                at=now,
                kind=EventKind.ACKNOWLEDGEMENT_SKIPPED,
                school_id=school.id,
                campaign_id=campaign.id,
                message=f"Accusé de réception non envoyé à {received.sender} : déjà un "
                "dans l'heure",
            )
        return False
    payload = acknowledgement_payload(app, session, received, school, campaign, now)
    # An answer to someone who just wrote leaves at once (an auto-reply, not a chase), but it
    # belongs to its day: not delivered by midnight, it is cancelled with its reason.
    calendar = campaign_context(app, campaign).calendar
    day_end = calendar.at(calendar.local_day(now) + dt.timedelta(days=1), dt.time(0, 0))
    entry = ledger.Entry(
        kind=KIND,
        key=acknowledgement_key(school, campaign, received.key),
        recipient=received.sender,
        payload=payload,
        day=now.astimezone(ZoneInfo(campaign.timezone)).date() if school else now.date(),
        due_at=now,
        created_at=now,
        school_id=school.id if school else None,
        campaign_id=campaign.id,
        send_before=day_end,
    )
    return ledger.enqueue(session, entry).new


def acknowledgement_payload(
    app: App,
    session: Session,
    received: Received,
    school: School | None,
    campaign: Campaign,
    now: dt.datetime,
) -> dict[str, str]:
    settings = app.settings
    items = open_items(session, settings, school, campaign, now) if school else None
    context = {
        "school": school,
        "items": items,
        "received": received,
        "link": (
            school_url(settings, uai=school.uai, campaign=campaign.name, now=now) if school else ""
        ),
        "their_subject": received.subject,
        "reply_subject": reply_subject(received.subject),
        "deadline": campaign.deadline,
        "coordinator_name": settings.contacts.coordinator_name,
    }
    mail = render(settings.templates_path, KIND, context)
    return {
        **mail,
        "reply_to": settings.contacts.coordinator_email,
        "in_reply_to": received.message_id,
        "references": references(received),
        "auto_submitted": "auto-replied",
    }
