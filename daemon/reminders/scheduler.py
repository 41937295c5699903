"""The periodic tick of `relance serve`: APScheduler (3.x, AsyncIOScheduler) runs `sweep` every
`reminders.tick_seconds`. Durable state lives in the tables (`FollowUp.next_reminder_at`, the
ledger), not in APScheduler's job store: a restart or a second instance loses nothing, and a tick
missed while the daemon was down is made up by the next one.

Several daemons on one PostgreSQL take turns: a tick first tries a session-level advisory lock
and, when another daemon is sweeping, leaves this tick to it (the next tick sees what that sweep
wrote). Without the turn both would decide on the same follow-ups at once and one would fail
on the ledger's unique keys, every tick, until the other had finished.

Each tick that swept is noted on the scheduler's heartbeat (`db.health.note_work`): `/healthz`
shows the last one, whichever process reads it."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import Iterator

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy import text
from sqlalchemy.engine import Engine

from daemon.app import App
from daemon.reminders.report import SweepReport
from daemon.reminders.sweep import sweep
from db import health
from db.engine import reading, transaction

log = logging.getLogger(__name__)
SWEEP_LOCK = 7263002  # PostgreSQL advisory lock key (7263001 is the schema upgrade's)


@contextlib.contextmanager
def sweep_turn(engine: Engine) -> Iterator[bool]:
    """True when this process may sweep now: on PostgreSQL, when no other daemon sharing the
    database is sweeping (advisory lock held until the end of the block); always on SQLite,
    whose write lock already serialises the writers."""
    if engine.dialect.name != "postgresql":
        yield True
        return
    with engine.connect() as connection:
        got = bool(
            connection.execute(
                text("SELECT pg_try_advisory_lock(:key)"), {"key": SWEEP_LOCK}
            ).scalar()
        )
        connection.commit()
        try:
            yield got
        finally:
            if got:
                try:
                    connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": SWEEP_LOCK})
                    connection.commit()
                except Exception:
                    # Closing the server session is what releases a session lock for sure.
                    connection.invalidate()


def sweep_if_turn(app: App, now: dt.datetime) -> SweepReport | None:
    """One sweep at `now`, unless another daemon is sweeping (None then)."""
    with sweep_turn(app.engine) as turn:
        if not turn:
            log.info("sweep at %s left to another daemon (sweeping now)", now.isoformat())
            return None
        return sweep(app, now)


def note_tick(app: App, now: dt.datetime) -> None:
    """The tick at `now` is done: noted on this process's scheduler heartbeat."""
    with transaction(app.engine) as session:
        health.note_work(
            session, instance=app.instance, part=health.SCHEDULER_PART, at=now, wall=app.wall()
        )


def last_tick_at(app: App) -> dt.datetime | None:
    """When this process's scheduler last swept (on the campaign's clock), None before."""
    with reading(app.engine) as session:
        beat = health.part_beat(session, instance=app.instance, part=health.SCHEDULER_PART)
        return beat.worked_at if beat else None


async def tick(app: App) -> None:
    """One sweep at the app's clock, in a worker thread; an error is logged, never raised."""
    now = app.now()
    try:
        await asyncio.to_thread(sweep_if_turn, app, now)
    except Exception:
        log.exception("sweep at %s failed; the next tick will try again", now.isoformat())
        return
    try:
        await asyncio.to_thread(note_tick, app, now)
    except Exception as exc:
        log.warning("sweep at %s not noted on the heartbeat (%s)", now.isoformat(), exc)


async def run_scheduler(app: App, stop: asyncio.Event) -> None:
    """A part of `relance serve`: one tick at start, then every tick_seconds, until `stop`."""
    scheduler = AsyncIOScheduler(timezone=dt.UTC)
    scheduler.add_job(
        tick,
        "interval",
        args=[app],
        seconds=app.settings.reminders.tick_seconds,
        next_run_time=dt.datetime.now(dt.UTC),
        coalesce=True,
        max_instances=1,
        misfire_grace_time=None,
        id="reminders-sweep",
    )
    scheduler.start()
    try:
        await stop.wait()
    finally:
        scheduler.shutdown(wait=False)
