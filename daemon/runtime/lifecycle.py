"""The one lifecycle owner: `relance serve` runs the web server, the scheduler (ticks and mail
sender) and the drop-folder watcher in one asyncio process.

Parts start in order and share one stop event. On SIGTERM/SIGINT the event is set: each part
finishes the unit of work in hand (releasing its leases) and returns; after `stop_timeout`
seconds the stragglers are cancelled; then the database is closed. A part that crashes is
logged and restarted with a growing delay; if it crashes too often, the whole process stops
with an error (systemd restarts it).

Each part's state is a heartbeat row (`db.health`), written every `BEAT_SECONDS` and at once on
a change: `/healthz` and the pages of any process sharing the database read them. The rows go
when the process stops; those of a process that died on this host go when the next one starts.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import os
import signal
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from daemon.app import App
from daemon.runtime import systemd
from db import health
from db.engine import DB_UNAVAILABLE, transaction

log = logging.getLogger(__name__)
Part = Callable[[App, asyncio.Event], Awaitable[None]]

CRASH_WINDOW_SECONDS = 300
MAX_CRASHES_IN_WINDOW = 5


@dataclass
class PartState:
    name: str
    alive: bool = False
    started_at: dt.datetime | None = None
    restarts: int = 0
    db_waits: int = 0
    waiting_for_database: bool = False
    last_error: str = ""
    crashes: list[float] = field(default_factory=list)

    def beat(self) -> health.PartBeat:
        return health.PartBeat(
            part=self.name,
            alive=self.alive,
            waiting_for_database=self.waiting_for_database,
            started_at=self.started_at,
            restarts=self.restarts,
            db_waits=self.db_waits,
            last_error=self.last_error,
        )


class Lifecycle:
    def __init__(self, app: App, parts: list[tuple[str, Part]], *, stop_timeout: float = 20.0):
        self.app = app
        self.parts = parts
        self.stop_timeout = stop_timeout
        self.stop = asyncio.Event()
        self.states = {name: PartState(name) for name, _ in parts}
        self.failed: str | None = None
        self.started_at = app.wall()
        self.changed = asyncio.Event()  # a part's state changed: beat now
        self.beating = asyncio.Lock()

    async def beat(self) -> bool:
        """Write every part's heartbeat now; False when the database did not take it (the next
        beat will)."""
        async with self.beating:  # one at a time: a later beat never lands before an earlier
            self.changed.clear()
            try:
                await asyncio.to_thread(self._write_beat)
            except Exception as exc:  # a heartbeat never stops the daemon
                log.warning("heartbeat not written (%s)", type(exc).__name__)
                return False
            return True

    def _write_beat(self) -> None:
        with transaction(self.app.engine) as session:
            health.beat(
                session,
                instance=self.app.instance,
                instance_started_at=self.started_at,
                parts=[state.beat() for state in self.states.values()],
                at=self.app.wall(),
            )

    async def _beating(self) -> None:
        try:
            await asyncio.to_thread(self._arrive)
        except Exception as exc:  # tidying up: the next start will
            log.warning("heartbeats of gone processes not forgotten (%s)", type(exc).__name__)
        while not self.stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.changed.wait(), timeout=health.BEAT_SECONDS)
            await self.beat()

    def _arrive(self) -> None:
        """Before the first beat: forget the rows of this host's processes that are gone (a
        restart after a crash) and of any process silent for long."""
        with transaction(self.app.engine) as session:
            gone = [b.instance for b in health.heartbeats(session) if _gone(b.instance)]
            health.forget(session, instances=sorted(set(gone)))
            health.forget_old(session, now=self.app.wall())

    def _leave(self) -> None:
        with transaction(self.app.engine) as session:
            health.forget(session, instances=[self.app.instance])

    async def run(self) -> int:
        """Run until a signal or a fatal crash; returns the process exit code."""
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self._request_stop, sig.name)
        tasks = [asyncio.create_task(self._supervise(n, p), name=n) for n, p in self.parts]
        systemd.notify("READY=1", f"STATUS=relance en service ({len(tasks)} parties)")
        watchdog = asyncio.create_task(self._watchdog())
        beating = asyncio.create_task(self._beating())
        await self.stop.wait()
        systemd.notify("STOPPING=1")
        _done, pending = await asyncio.wait(tasks, timeout=self.stop_timeout)
        for task in pending:
            log.warning(
                "stop: part %s did not finish in %ss, cancelled", task.get_name(), self.stop_timeout
            )
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        watchdog.cancel()
        self.changed.set()  # the last beat, then the rows go
        await asyncio.gather(beating, return_exceptions=True)
        with contextlib.suppress(Exception):
            await asyncio.to_thread(self._leave)
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)
        log.info("stopped (%s)", self.failed or "clean stop")
        return 1 if self.failed else 0

    def _request_stop(self, why: str) -> None:
        if not self.stop.is_set():
            log.info("stop requested (%s): finishing the work in hand", why)
            self.stop.set()

    async def _supervise(self, name: str, part: Part) -> None:
        state = self.states[name]
        delay = 1.0
        while not self.stop.is_set():
            state.alive, state.started_at = True, self.app.wall()
            state.waiting_for_database = False
            self.changed.set()
            try:
                await part(self.app, self.stop)
                if self.stop.is_set():
                    break
                raise RuntimeError("the part returned while the daemon runs")
            except asyncio.CancelledError:
                raise
            except DB_UNAVAILABLE as exc:
                # The database is locked or unreachable (SQLite busy, PostgreSQL restarting):
                # not the part's fault. Wait and resume; nothing is lost, since every unit of
                # work is a transaction that was rolled back.
                state.alive, state.waiting_for_database = False, True
                state.last_error = f"base de données indisponible : {type(exc).__name__}"
                state.db_waits += 1
                self.changed.set()
                log.warning(
                    "part %s: database unavailable (%s), retrying", name, exc.__class__.__name__
                )
                await self._sleep(min(delay, 10.0))
                delay = min(delay * 2, 10.0)
                continue
            except Exception as exc:
                state.alive = False
                state.last_error = f"{type(exc).__name__}: {exc}"[:500]
                self.changed.set()
                log.exception("part %s crashed", name)
                if self._too_many_crashes(state):
                    self.failed = f"part {name} crashed {MAX_CRASHES_IN_WINDOW} times"
                    log.error("%s: stopping the daemon", self.failed)
                    self._request_stop(self.failed)
                    break
                state.restarts += 1
                await self._sleep(delay)
                delay = min(delay * 2, 60.0)
        state.alive = False
        self.changed.set()

    @staticmethod
    def _too_many_crashes(state: PartState) -> bool:
        now = time.monotonic()
        state.crashes = [t for t in state.crashes if now - t < CRASH_WINDOW_SECONDS] + [now]
        return len(state.crashes) >= MAX_CRASHES_IN_WINDOW

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.stop.wait(), timeout=seconds)

    def watchdog_ok(self) -> bool:
        """Every part runs, or waits for the database: a restart by systemd would not bring
        the database back, so waiting for it is no reason to stop the pings."""
        return all(s.alive or s.waiting_for_database for s in self.states.values())

    async def _watchdog(self) -> None:
        """Tell systemd we are alive while `watchdog_ok` (WATCHDOG=1), if it asked."""
        interval = systemd.watchdog_interval()
        if interval is None:
            return
        while not self.stop.is_set():
            if self.watchdog_ok():
                waiting = sorted(n for n, s in self.states.items() if s.waiting_for_database)
                status = (
                    "STATUS=en attente de la base de données (" + ", ".join(waiting) + ")"
                    if waiting
                    else "STATUS=en service"
                )
                systemd.notify("WATCHDOG=1", status)
            await self._sleep(interval / 2)


def _gone(instance: str) -> bool:
    """A process of this host (`host:pid`) that no longer runs."""
    host, _, pid = instance.rpartition(":")
    if host != health.instance_name().rpartition(":")[0] or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # runs, under another user
        return False
    return False
