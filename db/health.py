"""What the running daemons share about themselves: each part's heartbeat and the mail server's
state, as rows. A process shows another's parts and sender by reading them (`relance serve
--only web` in one process, the sender in another).

Heartbeats are written by `daemon.runtime.lifecycle` every `BEAT_SECONDS` of real time (and at
once on a change); a part whose last beat is older than `STALE_AFTER` is not alive, whatever
its row says (the process was killed, or is stuck). Rows of processes gone for `FORGET_AFTER`
are deleted. The SMTP row is written by the senders (`daemon.delivery.sender`).
"""

from __future__ import annotations

import datetime as dt
import os
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from db.models import Heartbeat, MailboxHealth, SmtpHealth
from db.states import SmtpState

Row = TypeVar("Row", SmtpHealth, MailboxHealth)

BEAT_SECONDS = 5.0
STALE_AFTER = dt.timedelta(seconds=30)
FORGET_AFTER = dt.timedelta(days=1)
SCHEDULER_PART = "scheduler"  # its heartbeat's `worked_at` is the last sweep


def instance_name() -> str:
    """This process among the daemons sharing the database: `host:pid`."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}"


def is_fresh(beat: Heartbeat, now: dt.datetime) -> bool:
    return now - beat.beat_at <= STALE_AFTER


@dataclass(frozen=True)
class PartBeat:
    """One part's state, as the lifecycle holds it."""

    part: str
    alive: bool
    waiting_for_database: bool
    started_at: dt.datetime | None
    restarts: int
    db_waits: int
    last_error: str


def beat(
    session: Session,
    *,
    instance: str,
    instance_started_at: dt.datetime,
    parts: Sequence[PartBeat],
    at: dt.datetime,
) -> None:
    """Write the instance's parts as they are `at` (one row per part, updated in place)."""
    for part in parts:
        values: dict[str, Any] = {
            "instance_started_at": instance_started_at,
            "alive": part.alive,
            "waiting_for_database": part.waiting_for_database,
            "started_at": part.started_at,
            "restarts": part.restarts,
            "db_waits": part.db_waits,
            "last_error": part.last_error[:500],
            "beat_at": at,
        }
        _upsert(session, instance, part.part, values, values)


def note_work(
    session: Session, *, instance: str, part: str, at: dt.datetime, wall: dt.datetime
) -> None:
    """The part finished a unit of work `at` (the scheduler: a sweep, on the campaign's clock).
    Before the part's first beat, its row is started here (not alive until that beat)."""
    first = {"instance_started_at": wall, "beat_at": wall}
    _upsert(session, instance, part, {"worked_at": at}, first)


def _upsert(
    session: Session, instance: str, part: str, values: dict[str, Any], first: dict[str, Any]
) -> None:
    """Update the part's row, or write it (`first`: the columns a new row needs). Two writers
    of one new row (the lifecycle's beat, the scheduler's note) meet on the unique key."""
    change = (
        update(Heartbeat)
        .where(col(Heartbeat.instance) == instance, col(Heartbeat.part) == part)
        .values(**values)
    )
    if session.connection().execute(change).rowcount:
        return
    try:
        with session.begin_nested():
            session.add(Heartbeat(instance=instance, part=part, **{**first, **values}))
    except IntegrityError:
        session.connection().execute(change)


def forget(session: Session, *, instances: Sequence[str]) -> None:
    """Delete these instances' rows (a clean stop; processes known to be gone)."""
    if instances:
        session.execute(delete(Heartbeat).where(col(Heartbeat.instance).in_(instances)))


def forget_old(session: Session, *, now: dt.datetime) -> None:
    """Delete the rows of processes silent for `FORGET_AFTER`."""
    session.execute(delete(Heartbeat).where(col(Heartbeat.beat_at) < now - FORGET_AFTER))


def part_beat(session: Session, *, instance: str, part: str) -> Heartbeat | None:
    """One part's row of one daemon (None before it is written)."""
    query = select(Heartbeat).where(col(Heartbeat.instance) == instance, Heartbeat.part == part)
    return session.exec(query).first()


def heartbeats(session: Session) -> list[Heartbeat]:
    """Every part of every daemon, by instance and part."""
    query = select(Heartbeat).order_by(col(Heartbeat.instance), col(Heartbeat.part))
    return list(session.exec(query))


def smtp_health(session: Session, *, server: str) -> SmtpHealth:
    """The server's row (a blank one, state unknown, when no sender wrote it yet)."""
    found = session.exec(select(SmtpHealth).where(SmtpHealth.server == server)).first()
    return found or SmtpHealth(server=server, updated_at=dt.datetime.min.replace(tzinfo=dt.UTC))


@dataclass(frozen=True)
class SmtpChange:
    """What a sender's note did to the server's row."""

    previous: SmtpState
    state: SmtpState
    last_error: str

    @property
    def changed(self) -> bool:
        return self.previous is not self.state

    @property
    def went_down(self) -> bool:
        return self.changed and self.state is SmtpState.DOWN

    @property
    def came_back(self) -> bool:
        """Up again after being down (not its first answer)."""
        return self.changed and self.previous is SmtpState.DOWN


def note_smtp(
    session: Session,
    *,
    server: str,
    state: SmtpState,
    now: dt.datetime,
    error: str = "",
    sent: int = 0,
    last_sent_at: dt.datetime | None = None,
) -> SmtpChange:
    """A sender saw the server `state` (a refusal's `error`; `sent` mails since its last
    note). The row is locked while it is changed, so of two senders seeing the same change
    one only reports it."""
    row = _smtp_row(session, server, now)
    previous = SmtpState(row.state)
    if previous is not state:
        row.state, row.since = state, now
    if error:
        row.last_error = error[:1000]
    row.sent += sent
    row.last_sent_at = last_sent_at or row.last_sent_at
    row.updated_at = now
    session.flush()
    return SmtpChange(previous, state, row.last_error)


def _smtp_row(session: Session, server: str, now: dt.datetime) -> SmtpHealth:
    """The server's row, locked (written first by whichever sender gets there first)."""
    query = select(SmtpHealth).where(SmtpHealth.server == server).with_for_update()
    return _locked_row(session, query, lambda: SmtpHealth(server=server, updated_at=now))


def _locked_row(session: Session, query: Any, new: Callable[[], Row]) -> Row:
    """The row `query` finds, locked; else a `new` one written — two daemons writing the first
    row at once meet on its unique key, and the second reads the first's."""
    row: Row | None = session.exec(query).first()
    if row is not None:
        return row
    try:
        with session.begin_nested():
            row = new()
            session.add(row)
        return row
    except IntegrityError:
        found: Row = session.exec(query).one()
        return found


def note_mailbox(
    session: Session, *, source: str, state: SmtpState, now: dt.datetime, error: str = ""
) -> SmtpChange:
    """The mailbox reader reached its mailbox (`up`) or not (`down`, with the `error`)."""
    query = select(MailboxHealth).where(MailboxHealth.source == source).with_for_update()
    row = _locked_row(session, query, lambda: MailboxHealth(source=source, updated_at=now))
    previous = SmtpState(row.state)
    if previous is not state:
        row.state, row.since = state, now
    if error:
        row.last_error = error[:1000]
    row.updated_at = now
    session.flush()
    return SmtpChange(previous, state, row.last_error)


def mailbox_health(session: Session) -> MailboxHealth | None:
    """The mailbox as its reader last saw it (the latest row written), None before any."""
    query = select(MailboxHealth).order_by(col(MailboxHealth.updated_at).desc()).limit(1)
    return session.exec(query).first()
