"""The scheduler part: APScheduler fires the sweep at start and every tick; stops on the event."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from daemon.reminders import scheduler
from db.models import FollowUp, Reminder
from tests.reminder_helpers import add, paris, reminder_app


async def test_the_scheduler_sweeps_at_start_then_stops_cleanly(
    tmp_path: Path, database_url: str, engine: Engine
) -> None:
    app = reminder_app(tmp_path, database_url, engine)
    app.clock = lambda: paris(dt.date(2026, 10, 7), 9)
    with Session(engine) as session:
        add(session, 1, "École Saint-Joseph")
    stop = asyncio.Event()
    task = asyncio.create_task(scheduler.run_scheduler(app, stop))
    for _ in range(100):
        if scheduler.last_tick_at() == app.now():
            break
        await asyncio.sleep(0.05)
    stop.set()
    await asyncio.wait_for(task, timeout=5)
    assert scheduler.last_tick_at() == app.now()
    assert app.health_extra is not None
    assert app.health_extra()["scheduler_last_tick_at"] == app.now().isoformat()
    with Session(engine) as session:
        kinds = sorted(r.kind for r in session.exec(select(Reminder)))
        follow_up = session.exec(select(FollowUp)).one()
    assert kinds == ["digest", "reminder"]
    assert follow_up.next_reminder_at == paris(dt.date(2026, 10, 12), 8)
