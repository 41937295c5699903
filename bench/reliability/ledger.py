"""The reminders ledger seen from outside: rows made due by hand, the ledger's state, and what the
SMTP sink received compared with what was due (pure functions, tested)."""

from __future__ import annotations

import bisect
import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from db.models import Campaign, Reminder, School
from db.states import LedgerKind


@dataclass(frozen=True)
class Due:
    key: str
    recipient: str
    due_at: dt.datetime


def recipient(prefix: str, number: int) -> str:
    return f"{prefix}-{number:05d}@ecoles.example"


def seed_reminders(
    engine: Engine,
    count: int,
    *,
    first_due: dt.datetime,
    spacing: dt.timedelta = dt.timedelta(0),
    prefix: str = "ecole",
) -> list[Due]:
    """`count` pending reminders, one school each, due from `first_due` every `spacing`."""
    due = [
        Due(f"reliability:{prefix}:{n:05d}", recipient(prefix, n), first_due + n * spacing)
        for n in range(count)
    ]
    with Session(engine) as session:
        campaign = Campaign(
            name=f"fiabilite-{prefix}",
            start=first_due.date(),
            observation_date=first_due.date(),
            deadline=first_due.date() + dt.timedelta(days=30),
            created_at=first_due,
        )
        session.add(campaign)
        session.flush()
        schools = [
            School(
                uai=f"9{n:06d}R",
                name=f"École {n}",
                director_email=d.recipient,
                created_at=first_due,
                updated_at=first_due,
            )
            for n, d in enumerate(due)
        ]
        session.add_all(schools)
        session.flush()
        session.add_all(
            Reminder(
                key=d.key,
                school_id=school.id,
                campaign_id=campaign.id,
                kind=LedgerKind.REMINDER,
                stage="awaiting_export",
                day=d.due_at.date(),
                recipient=d.recipient,
                payload=mail_payload(n),
                due_at=d.due_at,
                next_attempt_at=d.due_at,
                created_at=first_due,
            )
            for n, (d, school) in enumerate(zip(due, schools, strict=True))
        )
        session.commit()
    return due


def seed_schools(
    engine: Engine, count: int, *, now: dt.datetime, prefix: str = "ecole"
) -> list[Due]:
    """`count` schools with a director's address and nothing received yet: once the campaign of
    the configuration has started, each is due a reminder at the scheduler's next sweep (the
    ledger rows are then written by the daemons, not here). `due_at` is `now` for all."""
    due = [Due(f"school:{prefix}:{n:05d}", recipient(prefix, n), now) for n in range(count)]
    with Session(engine) as session:
        session.add_all(
            School(
                uai=f"9{n:06d}S",
                name=f"École {n}",
                director_email=d.recipient,
                created_at=now,
                updated_at=now,
            )
            for n, d in enumerate(due)
        )
        session.commit()
    return due


def mail_payload(number: int) -> dict[str, str]:
    subject = f"Constat de rentrée : export attendu (école {number})"
    text = "Bonjour,\n\nL'export de votre école est attendu.\n\nLa coordination du constat"
    return {
        "subject": subject,
        "text": text,
        "html": f"<p>{text.replace(chr(10), '<br>')}</p>",
        "reply_to": "coordination@circonscription.example",
    }


def ledger_status(engine: Engine) -> dict[str, int]:
    """How many ledger rows are in each status."""
    with Session(engine) as session:
        rows = session.exec(select(Reminder.status, func.count()).group_by(Reminder.status)).all()
    return {status: count for status, count in rows}


def ledger_rows(engine: Engine) -> list[Reminder]:
    with Session(engine) as session:
        return list(session.exec(select(Reminder)).all())


# ---- what the sink received ----------------------------------------------------------------------
@dataclass
class Received:
    """The sink's records compared with the recipients that were due."""

    total: int
    missing: list[str]
    unexpected: list[str]
    duplicates: dict[str, int]  # recipient -> extra copies
    differing_ids: list[str]  # recipients whose copies carry different Message-IDs
    empty_ids: int
    order: list[str] = field(default_factory=list)  # recipients, first receipt order

    @property
    def extra_copies(self) -> int:
        return sum(self.duplicates.values())


def compare(records: list[dict[str, Any]], expected: list[str]) -> Received:
    ids: dict[str, list[str]] = defaultdict(list)
    order: list[str] = []
    for record in records:
        for to in record.get("to", []):
            if to not in ids:
                order.append(to)
            ids[to].append(record.get("message_id", ""))
    wanted = set(expected)
    counts = Counter({to: len(v) for to, v in ids.items()})
    return Received(
        total=sum(counts.values()),
        missing=sorted(wanted - set(ids)),
        unexpected=sorted(set(ids) - wanted),
        duplicates={to: n - 1 for to, n in counts.items() if n > 1},
        differing_ids=sorted(to for to, v in ids.items() if len(set(v)) > 1),
        empty_ids=sum(1 for v in ids.values() for i in v if not i.strip()),
        order=order,
    )


def lateness(order: list[str], due: dict[str, dt.datetime]) -> tuple[int, int]:
    """How far receipt order strays from due order: (largest number of earlier-due mails
    received after any one mail, total number of such inverted pairs)."""
    later_due: list[dt.datetime] = []  # due times of the mails received after the current one
    worst = total = 0
    for to in reversed(order):
        when = due[to]
        earlier = bisect.bisect_left(later_due, when)
        worst, total = max(worst, earlier), total + earlier
        bisect.insort(later_due, when)
    return worst, total
