"""The ledger's claims and marks: who may send a row, and what happened to it.

A sender claims due rows with one compare-and-set UPDATE: the row must still be due (pending and
`next_attempt_at <= now`, or claimed with an expired lease) when the UPDATE runs, and the claim
carries a token unique to this batch, so the rows read back are exactly the ones this sender won.
On PostgreSQL the candidate rows are picked with `FOR UPDATE SKIP LOCKED` (two senders pick
different rows instead of waiting on each other); on SQLite the writing transaction is
`BEGIN IMMEDIATE`, so claims are serialised. A crash leaves rows claimed: their lease expires and
another pass takes them again (at-least-once; the Message-ID is the same).

Marks: sent; retry (4xx: `attempts + 1`, next try after exponential backoff with jitter);
deferred (the server is down: the row goes back unchanged in order, the sender backs off as a
whole); failed (5xx: the row fails, the school's address is marked failing with an event, and the
other pending rows to that address fail too — they would bounce the same way; the coordinator
sees the address on the school's page and fixes it, which produces new rows).
"""

from __future__ import annotations

import datetime as dt
import random
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import and_, bindparam, func, or_, update
from sqlalchemy.engine import Connection, Engine
from sqlmodel import col, select

from daemon.delivery.recheck import (
    Cancel,
    SchoolNow,
    cancel,
    note_cancelled,
    school_of,
    schools_now,
    to_cancel,
)
from db.engine import reading, transaction
from db.events import record_event
from db.models import Reminder, School
from db.states import EventKind, LedgerKind, ReminderStatus, SendOutcome


@dataclass(frozen=True)
class Claimed:
    """A snapshot of one claimed row: what sending needs, read inside the claim."""

    id: int
    key: str
    token: str
    kind: str
    recipient: str
    cc: list[str]
    payload: dict[str, Any]
    attempts: int
    school_id: int | None
    campaign_id: int | None
    due_at: dt.datetime
    day: dt.date | None = None  # the day it was written for (one mail per address per day)
    send_before: dt.datetime | None = None  # its day's window end: cancelled past it
    link_version: int | None = None  # its school's link version at the claim
    lease_until: dt.datetime | None = None  # past it, the row may be claimed by another pass


@dataclass
class Result:
    """What happened to one claimed row."""

    claim: Claimed
    outcome: SendOutcome
    error: str = ""
    message_id: str = ""
    at: dt.datetime | None = field(default=None)

    def __post_init__(self) -> None:
        self.outcome = SendOutcome(self.outcome)  # the member, whatever spelt it


def _due(now: dt.datetime) -> Any:
    return or_(
        and_(col(Reminder.status) == ReminderStatus.PENDING, col(Reminder.next_attempt_at) <= now),
        and_(col(Reminder.status) == ReminderStatus.CLAIMED, col(Reminder.lease_until) < now),
    )


def claim_due(
    engine: Engine, *, worker: str, now: dt.datetime, limit: int, lease_seconds: int
) -> list[Claimed]:
    """Claim up to `limit` due rows, oldest due first; returns what this call won."""
    token = f"{worker[:80]}/{uuid.uuid4().hex[:12]}"
    lease = now + dt.timedelta(seconds=lease_seconds)
    # A materialised CTE is evaluated once: an `IN (SELECT … LIMIT n FOR UPDATE)` subquery can
    # be rescanned by PostgreSQL and then claim more than `n` rows.
    picked = (
        select(Reminder.id)
        .where(_due(now))
        .order_by(col(Reminder.due_at), col(Reminder.id))
        .limit(limit)
        .with_for_update(skip_locked=True)
        .cte("picked")
        .prefix_with("MATERIALIZED", dialect="postgresql")
    )
    claiming = {"status": ReminderStatus.CLAIMED, "claimed_by": token, "lease_until": lease}
    with transaction(engine) as session:
        # RETURNING gives back what this statement won (no second pass over the ledger to
        # find the token, which has no index), in no set order: sorted here.
        won: list[Any] = list(
            session.execute(
                update(LEDGER)
                .where(LEDGER.c.id.in_(select(picked.c.id)), _due(now))
                .values(**claiming)
                .returning(*(LEDGER.c[name] for name in SNAPSHOT))
            ).all()
        )
        won += _siblings(session, won, now, claiming)
        rows = sorted(won, key=lambda row: (row.due_at, row.id))
        claims = [_snapshot(row, token, lease) for row in rows]
        # What is no longer true (validated, paused, stage changed…) or whose day is over
        # is cancelled here, with its reason, instead of being sent.
        schools = schools_now(session, claims)
        cancels = to_cancel(schools, claims, now)
        if cancels:
            cancel(session, claims, cancels, now)
        dropped = {c.id for c in cancels}
        return [_with_link(c, school_of(schools, c)) for c in claims if c.id not in dropped]


def _siblings(session: Any, won: Sequence[Any], now: dt.datetime, claiming: Any) -> list[Any]:
    """The other schools' due reminders to the addresses of the reminders won, for the same
    days: they leave together, as one mail per address per day (`daemon.delivery.grouping`)."""
    reminders = [r for r in won if r.kind == LedgerKind.REMINDER and r.school_id is not None]
    if not reminders:
        return []
    return list(
        session.execute(
            update(LEDGER)
            .where(
                LEDGER.c.kind == LedgerKind.REMINDER,
                LEDGER.c.recipient.in_({r.recipient for r in reminders}),
                LEDGER.c.day.in_({r.day for r in reminders}),
                LEDGER.c.school_id.not_in({r.school_id for r in reminders}),  # other schools'
                _due(now),
            )
            .values(**claiming)
            .returning(*(LEDGER.c[name] for name in SNAPSHOT))
        ).all()
    )


def _with_link(claim: Claimed, school: SchoolNow | None) -> Claimed:
    return claim if school is None else replace(claim, link_version=school.link_version)


LEDGER: Any = Reminder.__table__  # type: ignore[attr-defined]
SNAPSHOT = (
    "id",
    "key",
    "kind",
    "recipient",
    "cc",
    "payload",
    "attempts",
    "school_id",
    "campaign_id",
    "due_at",
    "day",
    "send_before",
)


def _snapshot(row: Any, token: str, lease: dt.datetime | None = None) -> Claimed:
    values = dict(zip(SNAPSHOT, row, strict=True))
    values["cc"] = list(values["cc"] or [])
    values["payload"] = dict(values["payload"] or {})
    return Claimed(token=token, lease_until=lease, **values)


def backoff_seconds(
    attempts: int, *, base: float, cap: float, rng: random.Random | None = None
) -> float:
    """Exponential backoff with "equal jitter": half the delay fixed, half random."""
    delay = min(cap, base * 2.0 ** max(0, attempts - 1))
    jitter: float = (rng or random).uniform(0, delay / 2)
    return delay / 2 + jitter


SENT_MARK = (
    update(LEDGER)
    .where(LEDGER.c.id == bindparam("rid"), LEDGER.c.status != ReminderStatus.SENT)
    .values(
        status=ReminderStatus.SENT,
        sent_at=bindparam("at"),
        message_id=bindparam("mid"),
        last_error="",
        attempts=bindparam("n"),
        claimed_by="",
        lease_until=None,
    )
)


def sent_params(sent: Sequence[Result]) -> list[dict[str, Any]]:
    return [
        {"rid": r.claim.id, "at": r.at, "mid": r.message_id, "n": r.claim.attempts + 1}
        for r in sent
    ]


def record_sent(connection: Connection, sent: Sequence[Result]) -> None:
    """Mark rows sent on an open AUTOCOMMIT connection (the sender's hot path): each row's
    UPDATE is its own transaction, a third of the cost of BEGIN … COMMIT around it. Marks are
    independent of one another; if this fails part-way, the caller writes them all again
    (idempotent: a row already sent is left as it is)."""
    connection.execute(SENT_MARK, sent_params(sent))


def record_results(engine: Engine, results: Sequence[Result], *, base: float, cap: float) -> None:
    """Write a batch of outcomes in one transaction. A row whose claim was lost (lease expired
    and taken by another sender) is still marked sent when we sent it; other marks need the
    claim."""
    if not results:
        return
    sent = [r for r in results if r.outcome is SendOutcome.SENT]
    with transaction(engine) as session:
        if sent:
            session.execute(SENT_MARK, sent_params(sent))
        for result in results:
            if result.outcome is not SendOutcome.SENT:
                _record(session, result, base=base, cap=cap)


def _mine(claim: Claimed) -> Any:
    """The row, only while this sender's claim on it holds."""
    return and_(
        col(Reminder.id) == claim.id,
        col(Reminder.claimed_by) == claim.token,
        col(Reminder.status) == ReminderStatus.CLAIMED,
    )


def _mark(result: Result, *, base: float, cap: float) -> dict[str, Any]:
    """The row's new columns for an outcome other than sent (those are marked by `SENT_MARK`)."""
    claim, at = result.claim, result.at
    assert at is not None
    free: dict[str, Any] = {"claimed_by": "", "lease_until": None}
    attempted = {"attempts": claim.attempts + 1, "last_error": result.error[:1000], **free}
    if result.outcome is SendOutcome.RETRY:
        wait = dt.timedelta(seconds=backoff_seconds(claim.attempts + 1, base=base, cap=cap))
        return {"status": ReminderStatus.PENDING, "next_attempt_at": at + wait, **attempted}
    if result.outcome is SendOutcome.DEFERRED:  # server down: back in the queue, in due order
        return {"status": ReminderStatus.PENDING, **attempted}
    if result.outcome is SendOutcome.RELEASED:  # not attempted: as it was before the claim
        return {"status": ReminderStatus.PENDING, **free}
    if result.outcome is SendOutcome.FAILED:
        return {"status": ReminderStatus.FAILED, **attempted}
    if result.outcome is SendOutcome.CANCELLED:  # not attempted: its day is over
        return {"status": ReminderStatus.CANCELLED, "last_error": result.error[:1000], **free}
    raise ValueError(f"no mark for {result.outcome!r} here")


def _record(session: Any, result: Result, *, base: float, cap: float) -> None:
    """Write one outcome other than sent, if the claim still holds; a failure marks the
    address as failing."""
    values = _mark(result, base=base, cap=cap)
    changed = session.execute(update(Reminder).where(_mine(result.claim)).values(**values))
    if result.outcome is SendOutcome.CANCELLED and changed.rowcount == 1:
        assert result.at is not None
        note_cancelled(session, [result.claim], [Cancel(result.claim.id, result.error)], result.at)
    if result.outcome is SendOutcome.FAILED and changed.rowcount == 1:
        assert result.at is not None
        _refused(session, result.claim, result.error[:1000], result.at)


def _refused(session: Any, claim: Claimed, error: str, at: dt.datetime) -> None:
    """A 5xx for this claim: its recipient is marked failing."""
    mark_address_failing(
        session,
        address=claim.recipient,
        error=error,
        at=at,
        key=claim.key,
        school_id=claim.school_id,
        campaign_id=claim.campaign_id,
    )


def mark_address_failing(
    session: Any,
    *,
    address: str,
    error: str,
    at: dt.datetime,
    key: str,
    school_id: int | None = None,
    campaign_id: int | None = None,
) -> int:
    """An address the mail system refused for good (a 5xx while sending, or a bounce received
    later): the pending rows to it fail (they would bounce the same way), the schools using it
    are marked failing with the error, and each gets an `email_failing` event. The one way to
    mark an address failing. Returns how many pending rows were held back."""
    held: int = session.execute(
        update(Reminder)
        .where(col(Reminder.recipient) == address, col(Reminder.status) == ReminderStatus.PENDING)
        .values(status=ReminderStatus.FAILED, last_error=f"adresse en échec : {error}"[:1000])
    ).rowcount
    schools = session.exec(select(School).where(col(School.director_email) == address)).all()
    for school in schools:
        if school.email_failing_since is None:
            school.email_failing_since = at
        school.email_failure = error[:500]
        session.add(school)
    school_ids = [s.id for s in schools] or [school_id]
    for failing_id in school_ids:
        record_event(
            session,
            at=at,
            kind=EventKind.EMAIL_FAILING,
            message=f"Adresse refusée par le serveur de messagerie : {address} ({error[:300]})",
            school_id=failing_id,
            campaign_id=campaign_id,
            data={"address": address, "key": key, "error": error[:500], "held": held},
        )
    return held


def mark_bounced(
    session: Any, *, reminder: Reminder, address: str, error: str, at: dt.datetime
) -> bool:
    """A mail the server accepted was bounced later: the row fails with the diagnostic and the
    address is marked failing exactly as for a 5xx. False when that bounce was already taken
    (the row already failed with it), so a bounce read twice changes nothing."""
    changed = session.execute(
        update(Reminder)
        .where(col(Reminder.id) == reminder.id, col(Reminder.status) != ReminderStatus.FAILED)
        .values(
            status=ReminderStatus.FAILED, last_error=error[:1000], claimed_by="", lease_until=None
        )
    ).rowcount
    if changed != 1:
        return False
    mark_address_failing(
        session,
        address=address,
        error=error,
        at=at,
        key=reminder.key,
        school_id=reminder.school_id,
        campaign_id=reminder.campaign_id,
    )
    return True


def release(engine: Engine, claims: Sequence[Claimed]) -> None:
    """Give back rows claimed but not attempted (clean stop, server down)."""
    if not claims:
        return
    now = dt.datetime.now(dt.UTC)
    released = [Result(c, SendOutcome.RELEASED, at=now) for c in claims]
    record_results(engine, released, base=1, cap=1)


def queued(engine: Engine, *, limit: int = 200) -> list[Reminder]:
    """Rows not sent yet, and failed ones: what `relance outbox` lists (detached copies)."""
    with reading(engine) as session:
        found = list(
            session.exec(
                select(Reminder)
                .where(col(Reminder.status) != ReminderStatus.SENT)
                .order_by(col(Reminder.status), col(Reminder.next_attempt_at), col(Reminder.id))
                .limit(limit)
            )
        )
        session.expunge_all()
        return found


def rebase(text: str, old: str, new: str) -> str:
    """`text` with its links to the address `old` (a `web.base_url`) made to link to `new`;
    `http://127.0.0.1:800` is not a part of `http://127.0.0.1:8000/…`."""
    pattern = re.compile(re.escape(old.rstrip("/")) + r"(?![\w.:-])")
    return pattern.sub(new.rstrip("/"), text)


UNSENT = (ReminderStatus.PENDING, ReminderStatus.CLAIMED, ReminderStatus.FAILED)


def rebase_links(engine: Engine, *, old: str, new: str) -> int:
    """The mails not sent yet whose text links to the address `old` (a `web.base_url`), made to
    link to `new` instead (after the pages moved); how many changed."""
    changed = 0
    with transaction(engine) as session:
        rows = session.exec(select(Reminder).where(col(Reminder.status).in_(UNSENT))).all()
        for row in rows:
            payload = {
                k: rebase(v, old, new) if isinstance(v, str) else v for k, v in row.payload.items()
            }
            if payload != row.payload:
                row.payload = payload
                session.add(row)
                changed += 1
    return changed


def unsent_count(engine: Engine, *, now: dt.datetime) -> int:
    """How many rows are due at `now` or being sent, and not sent yet."""
    in_flight = or_(_due(now), col(Reminder.status) == "claimed")
    with reading(engine) as session:
        query = select(func.count()).select_from(Reminder).where(in_flight)
        return int(session.exec(query).one())
