"""Each message processed once, however many daemons read the mailbox: claim, process, settle.

A daemon claims a message by inserting its row (the key — its Message-ID, else a digest of its
headers — is unique: of two daemons, one insert wins), or by taking over a claim whose lease
has expired (a daemon died in the middle: compare-and-set on the lease). It processes the
message, then settles the row with what it was and where it goes, then moves it there and
notes the move. A crash before the settle leaves a claim that expires and is taken again (the
intake recognises files already read, the acknowledgement's key is taken: nothing twice); a
crash after it leaves a settled row whose message is still in the folder: the next pass only
moves it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import or_, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from daemon.mailbox.outcome import Outcome
from daemon.mailbox.reading import Inbound
from db.engine import reading, transaction
from db.models import MailboxMessage
from db.states import MailStatus

LEASE = dt.timedelta(minutes=10)


@dataclass(frozen=True)
class Known:
    """A message's row as a pass needs it."""

    key: str
    status: MailStatus
    claimed_by: str
    lease_until: dt.datetime | None
    moved: bool

    def claimable(self, now: dt.datetime, worker: str) -> bool:
        """Unsettled, and its claim expired or this worker's own (a pass cut short)."""
        return self.status == MailStatus.CLAIMED and (
            self.lease_until is None or self.lease_until < now or self.claimed_by == worker[:100]
        )

    @property
    def to_move(self) -> bool:
        return self.status in (MailStatus.PROCESSED, MailStatus.REFUSED) and not self.moved


def known(engine: Engine, keys: Sequence[str]) -> dict[str, Known]:
    """The rows of these keys (absent: never seen)."""
    if not keys:
        return {}
    with reading(engine) as session:
        rows = session.exec(
            select(MailboxMessage).where(col(MailboxMessage.key).in_(list(keys)))
        ).all()
        return {
            row.key: Known(
                row.key,
                MailStatus(row.status),
                row.claimed_by,
                row.lease_until,
                row.moved_at is not None,
            )
            for row in rows
        }


def claim(engine: Engine, inbound: Inbound, *, worker: str, now: dt.datetime) -> bool:
    """Claim a message: a new row, or an expired claim taken over (or this worker's own, left
    by a pass the database or the server cut short). True when this call won."""
    row = MailboxMessage(
        key=inbound.key,
        message_id=inbound.message_id[:300],
        sender=inbound.sender[:254],
        subject=inbound.subject[:300],
        received_at=inbound.date or now,
        seen_at=now,
        status=MailStatus.CLAIMED,
        claimed_by=worker[:100],
        lease_until=now + LEASE,
    )
    try:
        with transaction(engine) as session:
            session.add(row)
        return True
    except IntegrityError:
        pass
    with transaction(engine) as session:
        won = (
            session.connection()
            .execute(
                update(MailboxMessage)
                .where(
                    col(MailboxMessage.key) == inbound.key,
                    col(MailboxMessage.status) == MailStatus.CLAIMED,
                    or_(
                        col(MailboxMessage.lease_until) < now,
                        col(MailboxMessage.claimed_by) == worker[:100],
                    ),
                )
                .values(claimed_by=worker[:100], lease_until=now + LEASE)
            )
            .rowcount
        )
    return bool(won == 1)


def settle(engine: Engine, key: str, outcome: Outcome, *, worker: str, now: dt.datetime) -> bool:
    """Write what the message was and where it goes (only while this worker holds it)."""
    with transaction(engine) as session:
        changed = (
            session.connection()
            .execute(
                update(MailboxMessage)
                .where(
                    col(MailboxMessage.key) == key,
                    col(MailboxMessage.status) == MailStatus.CLAIMED,
                    col(MailboxMessage.claimed_by) == worker[:100],
                )
                .values(
                    kind=outcome.kind,
                    status=outcome.status,
                    reason=outcome.reason[:1000],
                    school_id=outcome.school_id,
                    campaign_id=outcome.campaign_id,
                    reminder_id=outcome.reminder_id,
                    files=outcome.files,
                    settled_at=now,
                    lease_until=None,
                )
            )
            .rowcount
        )
    return bool(changed == 1)


def moved(engine: Engine, key: str, *, now: dt.datetime) -> None:
    with transaction(engine) as session:
        session.execute(
            update(MailboxMessage)
            .where(col(MailboxMessage.key) == key, col(MailboxMessage.moved_at).is_(None))
            .values(moved_at=now)
        )
