"""The ledger (`Reminder` rows): one way to write a row, one way to name it, and what the rooms
read back from it.

Every mail is a ledger row written by `enqueue` under a key built by `ledger_key`: the sweep's
reminders, escalations and digests (`daemon.reminders.writing`) and the directors' problem
reports (`daemon.reminders.problem`). The key is unique: a second tick the same day, a double
click or two daemons at once find the row already there and write nothing. The sending half —
claims with leases, marks — is `daemon.delivery.outbox`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from db.models import Reminder
from db.states import LedgerKind, ReminderStatus

LEDGER: Any = Reminder.__table__  # type: ignore[attr-defined]
NO_SCHOOL = "sans-ecole"  # an acknowledgement to a sender of no known school
# A mail of one day not delivered by the end of that day's sending window: cancelled with this
# reason by the sender (`daemon.delivery`), replaced by the next day's.
DAY_OVER = "non envoyé avant la fin de sa journée d'envoi : le mail suivant le remplace"


def ledger_key(
    kind: LedgerKind,
    *,
    campaign: str,
    day: dt.date | None = None,
    uai: str = "",
    recipient: str = "",
    detail: Sequence[str | int] = (),
) -> str:
    """A row's unique key: `<UAI>:<campaign>:<kind>:<day>[:<detail>…]` for a school's mail
    (an escalation's detail is its ladder step, a problem's its category and number),
    `digest:<campaign>:<address>:<day>` for a coordinator's digest,
    `<UAI or sans-ecole>:<campaign>:acknowledgement:<digest of the message>` for the answer to
    a mail received."""
    if kind is LedgerKind.DIGEST:
        if not recipient or day is None or detail:
            raise ValueError("a digest's key names its recipient and day, and nothing more")
        parts = [kind.value, campaign, recipient.lower(), day.isoformat()]
    elif kind is LedgerKind.ACKNOWLEDGEMENT:
        if not detail or day is not None:
            raise ValueError("an acknowledgement's key names the message it answers, no day")
        parts = [uai or NO_SCHOOL, campaign, kind.value, *(str(d) for d in detail)]
    else:
        if not uai or day is None:
            raise ValueError(f"a {kind.value}'s key names its school and day")
        parts = [uai, campaign, kind.value, day.isoformat(), *(str(d) for d in detail)]
    return ":".join(parts)


@dataclass(frozen=True)
class Entry:
    """A mail to queue: what the ledger row will hold."""

    kind: LedgerKind
    key: str  # from `ledger_key`
    recipient: str
    payload: dict[str, Any]  # what the mail says (subject, text, html, reply-to…)
    day: dt.date
    due_at: dt.datetime
    created_at: dt.datetime
    school_id: int | None = None
    campaign_id: int | None = None
    stage: str = ""  # the policy stage the mail was written for
    cc: tuple[str, ...] = ()
    send_before: dt.datetime | None = None  # a mail of its day only: cancelled past this moment


@dataclass(frozen=True)
class Enqueued:
    row: Reminder
    new: bool  # False: the key was there already, `row` is the one written first


def find(session: Session, key: str) -> Reminder | None:
    return session.exec(select(Reminder).where(Reminder.key == key)).first()


def enqueue(session: Session, entry: Entry) -> Enqueued:
    """Write the row unless its key is taken (in the caller's transaction). A row written at the
    same instant by another transaction (a double click, a second daemon on PostgreSQL) is
    found through the unique key and returned instead."""
    existing = find(session, entry.key)
    if existing is not None:
        return Enqueued(existing, False)
    row = Reminder(**_values(entry))
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        winner = find(session, entry.key)
        if winner is None:
            raise
        return Enqueued(winner, False)
    return Enqueued(row, True)


def unbind_pending_from_their_day(session: Session) -> int:
    """The rows still pending may leave whenever a sender next runs (their day's end is
    cleared): the demo built at any hour leaves today's mails for its daemon to send."""
    rows = session.exec(select(Reminder).where(Reminder.status == ReminderStatus.PENDING)).all()
    for row in rows:
        row.send_before = None
        session.add(row)
    return len(rows)


def _values(entry: Entry) -> dict[str, Any]:
    return {
        "key": entry.key,
        "kind": entry.kind,
        "school_id": entry.school_id,
        "campaign_id": entry.campaign_id,
        "stage": entry.stage,
        "day": entry.day,
        "recipient": entry.recipient,
        "cc": list(entry.cc),
        "payload": entry.payload,
        "due_at": entry.due_at,
        "send_before": entry.send_before,
        "next_attempt_at": entry.due_at,
        "status": ReminderStatus.PENDING,
        "created_at": entry.created_at,
    }


def enqueue_many(session: Session, entries: Sequence[Entry]) -> set[str]:
    """`enqueue` for many rows in one statement (a sweep's batch): the keys written. A key
    taken already — before, or at the same instant by another transaction — is skipped
    (`ON CONFLICT DO NOTHING`), as `enqueue` would."""
    if not entries:
        return set()
    dialect = session.get_bind().dialect.name
    insert = sqlite_insert if dialect == "sqlite" else postgresql_insert
    statement = (
        insert(LEDGER).on_conflict_do_nothing(index_elements=["key"]).returning(LEDGER.c.key)
    )
    rows = [_values(e) for e in entries]
    return set(session.execute(statement, rows).scalars())


def with_keys(session: Session, keys: Sequence[str]) -> list[Reminder]:
    """The rows of these keys, in the order they were written."""
    query = select(Reminder).where(col(Reminder.key).in_(keys)).order_by(col(Reminder.id))
    return list(session.exec(query))


def mailed_on(session: Session, *, day: dt.date, recipients: Sequence[str]) -> set[str]:
    """Of these addresses, those a reminder for `day` already left to (or is leaving to:
    claimed by a sender), lower-cased: one mail per address per day."""
    if not recipients:
        return set()
    spellings = {r for r in recipients} | {r.lower() for r in recipients}
    query = sa_select(LEDGER.c.recipient).where(
        LEDGER.c.recipient.in_(spellings),
        LEDGER.c.day == day,
        LEDGER.c.kind == LedgerKind.REMINDER,
        LEDGER.c.status.in_([ReminderStatus.SENT, ReminderStatus.CLAIMED]),
    )
    return {str(r).lower() for r in session.connection().execute(query).scalars()}


def written_since(
    session: Session,
    *,
    kind: LedgerKind,
    recipient: str,
    school_id: int | None,
    since: dt.datetime,
) -> bool:
    """Whether a row of this kind to `recipient` about this school (or about none) was
    written after `since`."""
    query = select(Reminder.id).where(
        Reminder.kind == kind, Reminder.recipient == recipient, col(Reminder.created_at) > since
    )
    query = query.where(
        col(Reminder.school_id).is_(None) if school_id is None else Reminder.school_id == school_id
    )
    return session.exec(query.limit(1)).first() is not None


def latest(
    session: Session, *, school_id: int, campaign_id: int, kind: LedgerKind, stage: str
) -> Reminder | None:
    """The school's last row of this kind for this stage (by day)."""
    query = (
        select(Reminder)
        .where(
            Reminder.school_id == school_id,
            Reminder.campaign_id == campaign_id,
            Reminder.kind == kind,
            Reminder.stage == stage,
        )
        .order_by(col(Reminder.day).desc(), col(Reminder.id).desc())
        .limit(1)
    )
    return session.exec(query).first()


def lost_reminders(
    session: Session, *, school_ids: Sequence[int], campaign_id: int
) -> dict[tuple[int, str], list[dt.datetime]]:
    """When each of these schools' reminders that never reached the director (cancelled: no
    longer true, or their day ended before they could leave; or refused) were written, keyed
    by (school id, stage), in one query (few rows: most reminders leave)."""
    lost = [ReminderStatus.CANCELLED.value, ReminderStatus.FAILED.value]
    query = sa_select(LEDGER.c.school_id, LEDGER.c.stage, LEDGER.c.created_at).where(
        LEDGER.c.school_id.in_(school_ids),
        LEDGER.c.campaign_id == campaign_id,
        LEDGER.c.kind == LedgerKind.REMINDER.value,
        LEDGER.c.status.in_(lost),
    )
    found: dict[tuple[int, str], list[dt.datetime]] = {}
    for school_id, stage, created_at in session.connection().execute(query):
        found.setdefault((school_id, stage), []).append(created_at)
    return found


def escalations_out_of_time(session: Session, *, school_id: int, campaign_id: int) -> set[int]:
    """The ladder steps (their `after`, the last part of the key) whose latest mail to support
    was cancelled because its day ended before it could leave: the next reminder takes them
    again."""
    query = (
        sa_select(LEDGER.c.key, LEDGER.c.status, LEDGER.c.last_error)
        .where(
            LEDGER.c.school_id == school_id,
            LEDGER.c.campaign_id == campaign_id,
            LEDGER.c.kind == LedgerKind.ESCALATION,
        )
        .order_by(LEDGER.c.day, LEDGER.c.id)
    )
    latest: dict[int, bool] = {}
    for key, status, error in session.connection().execute(query):
        step = key.rsplit(":", 1)[-1]
        if step.isdigit():
            latest[int(step)] = status == ReminderStatus.CANCELLED and error == DAY_OVER
    return {step for step, lost in latest.items() if lost}


def latest_values(
    session: Session, *, school_ids: Sequence[int], campaign_id: int, kind: LedgerKind, field: str
) -> dict[tuple[int, str], Any]:
    """`latest`'s payload `field` for several schools in one query, keyed by (school id, stage):
    only that value is read from each payload, never the whole mail."""
    query = sa_select(
        LEDGER.c.school_id,
        LEDGER.c.stage,
        LEDGER.c.day,
        LEDGER.c.id,
        LEDGER.c.payload[field].as_integer(),
    ).where(
        LEDGER.c.school_id.in_(school_ids),
        LEDGER.c.campaign_id == campaign_id,
        LEDGER.c.kind == kind,
    )
    newest: dict[tuple[int, str], tuple[dt.date, int, Any]] = {}
    for school_id, stage, day, row_id, value in session.connection().execute(query):
        found = newest.get((school_id, stage))
        if found is None or (day, row_id) > found[:2]:
            newest[(school_id, stage)] = (day, row_id, value)
    return {key: value for key, (_d, _i, value) in newest.items()}


def last_digest_at(session: Session, *, campaign_id: int, recipient: str) -> dt.datetime | None:
    """When the campaign's last digest not cancelled was written (to `recipient`, or to
    anyone when empty): a digest that could not leave leaves its changes to the next."""
    query = select(func.max(Reminder.created_at)).where(
        Reminder.campaign_id == campaign_id,
        Reminder.kind == LedgerKind.DIGEST,
        Reminder.status != ReminderStatus.CANCELLED,
    )
    if recipient:
        query = query.where(Reminder.recipient == recipient)
    return session.exec(query).one()


def school_mails(
    session: Session, *, school_id: int, campaign_id: int, limit: int = 100
) -> list[Reminder]:
    """A school's mails in a campaign, the latest due first (its page)."""
    query = (
        select(Reminder)
        .where(Reminder.school_id == school_id, Reminder.campaign_id == campaign_id)
        .order_by(col(Reminder.due_at).desc())
        .limit(limit)
    )
    return list(session.exec(query))
