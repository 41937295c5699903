"""The scheduler part: APScheduler fires the sweep at start and every tick; stops on the event."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from daemon.reminders import scheduler
from daemon.runtime.lifecycle import Lifecycle
from daemon.web.health import health_body
from db.health import heartbeats
from db.models import FollowUp, Reminder, SmtpHealth
from tests.reminder_helpers import add, paris, reminder_app


async def test_the_scheduler_sweeps_at_start_then_stops_cleanly(
    tmp_path: Path, database_url: str, engine: Engine
) -> None:
    app = reminder_app(tmp_path, database_url, engine)
    app.clock = lambda: paris(dt.date(2026, 10, 7), 9)
    with Session(engine) as session:
        add(session, 1, "École Saint-Joseph")
    lifecycle = Lifecycle(app, [("scheduler", scheduler.run_scheduler)], stop_timeout=5)
    task = asyncio.create_task(lifecycle.run())

    def last_tick() -> object:
        with Session(engine) as session:
            return health_body(heartbeats(session), SmtpHealth(server="-"), app.wall())[1][
                "scheduler_last_tick_at"
            ]

    for _ in range(200):
        if last_tick() == app.now().isoformat():
            break
        await asyncio.sleep(0.05)
    assert last_tick() == app.now().isoformat()  # noted on the heartbeat, for any process
    lifecycle.stop.set()
    assert await asyncio.wait_for(task, timeout=10) == 0
    with Session(engine) as session:
        kinds = sorted(r.kind for r in session.exec(select(Reminder)))
        follow_up = session.exec(select(FollowUp)).one()
    assert kinds == ["digest", "reminder"]
    assert follow_up.next_reminder_at == paris(dt.date(2026, 10, 12), 8)


def test_a_sweep_is_left_to_the_daemon_already_sweeping(
    tmp_path: Path, database_url: str, engine: Engine
) -> None:
    app = reminder_app(tmp_path, database_url, engine)
    now = paris(dt.date(2026, 10, 7), 9)
    with Session(engine) as session:
        add(session, 1, "École Saint-Joseph")
    if engine.dialect.name != "postgresql":
        # SQLite: one writer at a time anyway; every daemon may sweep.
        with scheduler.sweep_turn(engine) as turn:
            assert turn
        return
    # Another daemon (another server session) holds the turn: this one writes nothing.
    with engine.connect() as other:
        other.execute(text("SELECT pg_advisory_lock(:k)"), {"k": scheduler.SWEEP_LOCK})
        assert scheduler.sweep_if_turn(app, now) is None
        with Session(engine) as session:
            assert session.exec(select(Reminder)).all() == []
        other.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": scheduler.SWEEP_LOCK})
    report = scheduler.sweep_if_turn(app, now)
    assert report is not None and len(report.created) == 2
    # The turn is given back after the sweep: the next tick (here or elsewhere) can take it.
    with engine.connect() as other:
        assert other.execute(
            text("SELECT pg_try_advisory_lock(:k)"), {"k": scheduler.SWEEP_LOCK}
        ).scalar()
        other.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": scheduler.SWEEP_LOCK})
