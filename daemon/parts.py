"""The parts `relance serve` runs, in start order. Each is `async def part(app, stop)`: it works
until `stop` is set, then finishes the unit of work in hand and returns."""

from __future__ import annotations

import asyncio

from daemon.app import App
from daemon.housekeeping import run_housekeeping
from daemon.main import Part


async def run_watcher(app: App, stop: asyncio.Event) -> None:
    """The drop folder: scanned at start, then watched."""
    from daemon.ingest.intake import Intake
    from daemon.ingest.watcher import DropWatcher

    await DropWatcher(Intake(app), clock=app.now).run(stop)


def all_parts() -> dict[str, Part]:
    from daemon.delivery.sender import run_sender
    from daemon.reminders.scheduler import run_scheduler
    from daemon.web.app import run_web

    return {
        "web": run_web,
        "watcher": run_watcher,
        "scheduler": run_scheduler,
        "sender": run_sender,
        "housekeeping": run_housekeeping,
    }


PART_NAMES = ("web", "watcher", "scheduler", "sender", "housekeeping")
