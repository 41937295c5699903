"""The one lifecycle owner: `relance serve` runs the web server, the scheduler (ticks and mail
sender) and the drop-folder watcher in one asyncio process.

Parts start in order and share one stop event. On SIGTERM/SIGINT the event is set: each part
finishes the unit of work in hand (releasing its leases) and returns; after `stop_timeout`
seconds the stragglers are cancelled; then the database is closed. A part that crashes is
logged and restarted with a growing delay; if it crashes too often, the whole process stops
with an error (systemd restarts it).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import signal
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from daemon.app import App
from daemon.runtime import systemd
from db.engine import DB_UNAVAILABLE

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

    def as_json(self) -> dict[str, Any]:
        return {
            "alive": self.alive,
            "started_at": self.started_at.isoformat() if self.started_at else None,
            "restarts": self.restarts,
            "db_waits": self.db_waits,
            "waiting_for_database": self.waiting_for_database,
            "last_error": self.last_error,
        }


class Lifecycle:
    def __init__(self, app: App, parts: list[tuple[str, Part]], *, stop_timeout: float = 20.0):
        self.app = app
        self.parts = parts
        self.stop_timeout = stop_timeout
        self.stop = asyncio.Event()
        self.states = {name: PartState(name) for name, _ in parts}
        self.failed: str | None = None
        self.started_at = app.now()

    def health(self) -> dict[str, Any]:
        """What `GET /healthz` shows: each part alive or not, and when it last worked."""
        extra = self.app.health_extra() if self.app.health_extra else {}
        healthy = all(s.alive for s in self.states.values()) and not self.stop.is_set()
        return {
            "status": "ok" if healthy else "degraded",
            "started_at": self.started_at.isoformat(),
            "parts": {name: state.as_json() for name, state in self.states.items()},
            **extra,
        }

    async def run(self) -> int:
        """Run until a signal or a fatal crash; returns the process exit code."""
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self._request_stop, sig.name)
        self.app.lifecycle = self
        tasks = [asyncio.create_task(self._supervise(n, p), name=n) for n, p in self.parts]
        systemd.notify("READY=1", f"STATUS=relance en service ({len(tasks)} parties)")
        watchdog = asyncio.create_task(self._watchdog())
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
            state.alive, state.started_at = True, self.app.now()
            state.waiting_for_database = False
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
                log.warning(
                    "part %s: database unavailable (%s), retrying", name, exc.__class__.__name__
                )
                await self._sleep(min(delay, 10.0))
                delay = min(delay * 2, 10.0)
                continue
            except Exception as exc:
                state.alive = False
                state.last_error = f"{type(exc).__name__}: {exc}"[:500]
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
