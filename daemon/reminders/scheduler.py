"""The periodic tick of `relance serve`: APScheduler (3.x, AsyncIOScheduler) runs `sweep` every
`reminders.tick_seconds`. Durable state lives in the tables (`FollowUp.next_reminder_at`, the
ledger), not in APScheduler's job store: a restart or a second instance loses nothing, and a tick
missed while the daemon was down is made up by the next one."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from daemon.app import App
from daemon.reminders.sweep import sweep

log = logging.getLogger(__name__)
_last_tick_at: dt.datetime | None = None


def last_tick_at() -> dt.datetime | None:
    """When the last sweep of this process finished (for /healthz)."""
    return _last_tick_at


def health() -> dict[str, Any]:
    return {"scheduler_last_tick_at": _last_tick_at.isoformat() if _last_tick_at else None}


async def tick(app: App) -> None:
    """One sweep at the app's clock, in a worker thread; an error is logged, never raised."""
    global _last_tick_at
    now = app.now()
    try:
        await asyncio.to_thread(sweep, app, now)
    except Exception:
        log.exception("sweep at %s failed; the next tick will try again", now.isoformat())
        return
    _last_tick_at = now


async def run_scheduler(app: App, stop: asyncio.Event) -> None:
    """A part of `relance serve`: one tick at start, then every tick_seconds, until `stop`."""
    if app.health_extra is None:
        app.health_extra = health
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
