"""The installation's sending pace: `smtp.rate_per_minute` holds for every sender on the
database together, not for each process.

A sender reserves its next sending moments in one short transaction (`reserve`): the row of the
mail server is locked, the reserved moments start at its `next_at` (or now, when that has
passed) and `next_at` moves past them. Two senders thus share the rate: each waits for the
moments it was given.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from db.models import SendPace


def reserve(
    session: Session, *, server: str, count: int, interval: float, now: dt.datetime
) -> dt.datetime:
    """Reserve `count` sending moments `interval` seconds apart (in the caller's transaction);
    returns the first one."""
    query = select(SendPace).where(SendPace.server == server).with_for_update()
    row = session.exec(query).first()
    if row is None:
        try:
            with session.begin_nested():
                row = SendPace(server=server, next_at=now)
                session.add(row)
        except IntegrityError:
            row = session.exec(query).one()
    start = max(row.next_at, now)
    row.next_at = start + dt.timedelta(seconds=count * interval)
    session.flush()
    return start
