"""The lifecycle owner: parts start, crash and restart, stop cleanly on SIGTERM."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess

import pytest
from sqlmodel import Session

import daemon.runtime.lifecycle as main_module
from daemon.app import App
from daemon.runtime.lifecycle import Lifecycle
from db.health import heartbeats, instance_name
from db.models import Heartbeat
from tests.conftest import wait_for


def written(app: App) -> dict[str, Heartbeat]:
    """This daemon's heartbeats, as any process sharing the database reads them."""
    with Session(app.engine) as session:
        return {b.part: b for b in heartbeats(session) if b.instance == app.instance}


async def beaten(lifecycle: Lifecycle) -> dict[str, Heartbeat]:
    assert await lifecycle.beat()
    return written(lifecycle.app)


async def steady(app: App, stop: asyncio.Event) -> None:
    await stop.wait()


async def test_sigterm_stops_every_part_cleanly(app: App) -> None:
    finished: list[str] = []

    async def worker(app: App, stop: asyncio.Event) -> None:
        await stop.wait()
        await asyncio.sleep(0.05)  # finishing the unit of work in hand
        finished.append("worker")

    lifecycle = Lifecycle(app, [("steady", steady), ("worker", worker)], stop_timeout=5)
    task = asyncio.create_task(lifecycle.run())
    await asyncio.sleep(0.1)
    beats = await beaten(lifecycle)
    assert set(beats) == {"steady", "worker"} and all(b.alive for b in beats.values())
    os.kill(os.getpid(), signal.SIGTERM)
    assert await asyncio.wait_for(task, 5) == 0
    assert finished == ["worker"]
    assert not any(s.alive for s in lifecycle.states.values())
    assert written(app) == {}  # a daemon that stopped is no longer listed


async def test_a_crashing_part_is_restarted_and_the_others_keep_running(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = 0

    async def flaky(app: App, stop: asyncio.Event) -> None:
        nonlocal calls
        calls += 1
        if calls < 3:
            raise ValueError("boom")
        await stop.wait()

    monkeypatch.setattr(Lifecycle, "_sleep", lambda self, s: asyncio.sleep(0))
    lifecycle = Lifecycle(app, [("steady", steady), ("flaky", flaky)], stop_timeout=5)
    task = asyncio.create_task(lifecycle.run())
    await asyncio.sleep(0.1)
    state = (await beaten(lifecycle))["flaky"]
    assert calls == 3 and state.alive and state.restarts == 2
    assert state.last_error == "ValueError: boom"
    lifecycle.stop.set()
    assert await asyncio.wait_for(task, 5) == 0


async def test_a_part_crashing_again_and_again_stops_the_daemon(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(app: App, stop: asyncio.Event) -> None:
        raise RuntimeError("always")

    monkeypatch.setattr(Lifecycle, "_sleep", lambda self, s: asyncio.sleep(0))
    lifecycle = Lifecycle(app, [("steady", steady), ("broken", broken)], stop_timeout=5)
    assert await asyncio.wait_for(lifecycle.run(), 5) == 1
    assert lifecycle.failed == f"part broken crashed {main_module.MAX_CRASHES_IN_WINDOW} times"


async def test_a_part_that_ignores_stop_is_cancelled_after_the_timeout(app: App) -> None:
    cancelled = asyncio.Event()

    async def stubborn(app: App, stop: asyncio.Event) -> None:
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    lifecycle = Lifecycle(app, [("stubborn", stubborn)], stop_timeout=0.2)
    task = asyncio.create_task(lifecycle.run())
    await asyncio.sleep(0.05)
    lifecycle.stop.set()
    assert await asyncio.wait_for(task, 5) == 0
    assert cancelled.is_set()


async def test_an_unavailable_database_is_waited_for_not_counted_as_a_crash(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sqlalchemy import create_engine, text

    calls = 0
    # A real failure: a database file that cannot be opened.
    missing = create_engine("sqlite:////nonexistent-folder/relance.sqlite3")

    async def needs_database(app: App, stop: asyncio.Event) -> None:
        nonlocal calls
        calls += 1
        if calls <= main_module.MAX_CRASHES_IN_WINDOW + 2:
            with missing.connect() as conn:
                conn.execute(text("SELECT 1"))
        await stop.wait()

    monkeypatch.setattr(Lifecycle, "_sleep", lambda self, s: asyncio.sleep(0))
    lifecycle = Lifecycle(app, [("db", needs_database)], stop_timeout=5)
    task = asyncio.create_task(lifecycle.run())
    await asyncio.sleep(0.2)
    state = (await beaten(lifecycle))["db"]
    assert lifecycle.failed is None and state.alive
    assert state.db_waits == main_module.MAX_CRASHES_IN_WINDOW + 2 and state.restarts == 0
    lifecycle.stop.set()
    assert await asyncio.wait_for(task, 5) == 0


async def test_the_watchdog_keeps_pinging_while_a_part_waits_for_the_database(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sqlalchemy import create_engine, text

    missing = create_engine("sqlite:////nonexistent-folder/relance.sqlite3")

    async def needs_database(app: App, stop: asyncio.Event) -> None:
        with missing.connect() as conn:
            conn.execute(text("SELECT 1"))

    async def broken(app: App, stop: asyncio.Event) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(Lifecycle, "_sleep", lambda self, s: asyncio.sleep(0.05))
    waiting = Lifecycle(app, [("db", needs_database), ("steady", steady)], stop_timeout=5)
    task = asyncio.create_task(waiting.run())
    await wait_for(
        lambda: "db" in waiting.states and waiting.states["db"].waiting_for_database,
        timeout=10.0,
        every=0.01,
    )
    assert (await beaten(waiting))["db"].waiting_for_database
    assert waiting.watchdog_ok()  # systemd restarting us would not bring the database back
    waiting.stop.set()
    assert await asyncio.wait_for(task, 5) == 0

    crashing = Lifecycle(app, [("bug", broken), ("steady", steady)], stop_timeout=5)
    task = asyncio.create_task(crashing.run())
    # once the part has crashed (not merely before it started), the pings stop
    await wait_for(
        lambda: bool(crashing.states["bug"].crashes) and not crashing.watchdog_ok(),
        timeout=10.0,
        every=0.01,
    )
    crashing.stop.set()
    await asyncio.wait_for(task, 5)


async def test_a_change_of_state_is_written_at_once_not_at_the_next_beat(app: App) -> None:
    async def short(app: App, stop: asyncio.Event) -> None:
        raise RuntimeError("gone")

    lifecycle = Lifecycle(app, [("steady", steady), ("short", short)], stop_timeout=5)
    task = asyncio.create_task(lifecycle.run())
    for _ in range(100):  # well before BEAT_SECONDS
        beats = written(app)
        if "short" in beats and beats["short"].last_error == "RuntimeError: gone":
            break
        await asyncio.sleep(0.02)
    assert beats["steady"].alive and not beats["short"].alive
    lifecycle.stop.set()
    await asyncio.wait_for(task, 5)


async def test_the_rows_of_a_process_of_this_host_that_died_go_when_the_next_one_starts(
    app: App,
) -> None:
    host = instance_name().rpartition(":")[0]
    gone = App(app.settings, clock=app.clock, _engine=app.engine)
    gone.instance = f"{host}:{_finished_pid()}"  # killed: its rows stayed
    elsewhere = App(app.settings, clock=app.clock, _engine=app.engine)
    elsewhere.instance = "un-autre-serveur:1234"
    for other in (gone, elsewhere):
        assert await Lifecycle(other, [("sender", steady)]).beat()
    lifecycle = Lifecycle(app, [("steady", steady)], stop_timeout=5)
    task = asyncio.create_task(lifecycle.run())
    await asyncio.sleep(0.2)
    with Session(app.engine) as session:
        instances = {b.instance for b in heartbeats(session)}
    assert instances == {app.instance, elsewhere.instance}  # another host's are not judged
    lifecycle.stop.set()
    await asyncio.wait_for(task, 5)


def _finished_pid() -> int:
    """The pid of a process that ran and is gone."""
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid
