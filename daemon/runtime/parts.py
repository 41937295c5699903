"""The parts `relance serve` runs, in start order. Each is `async def part(app, stop)`: it works
until `stop` is set, then finishes the unit of work in hand and returns."""

from __future__ import annotations

import asyncio

from daemon.app import App
from daemon.runtime.housekeeping import run_housekeeping
from daemon.runtime.lifecycle import Part
from db.health import SCHEDULER_PART


async def run_watcher(app: App, stop: asyncio.Event) -> None:
    """The drop folder: scanned at start, then watched."""
    from daemon.ingest.intake.intake import Intake
    from daemon.ingest.intake.watcher import DropWatcher

    await DropWatcher(Intake(app), clock=app.now).run(stop)


async def run_reader(app: App, stop: asyncio.Event) -> None:
    """Scans and photos of comptes rendus, read by OCR in a worker process, one at a time."""
    from daemon.ingest.intake.intake import Intake
    from daemon.ingest.intake.scans import run_reader as run

    await run(Intake(app), stop)


async def run_scheduler(app: App, stop: asyncio.Event) -> None:
    from daemon.reminders.scheduler import run_scheduler as run

    await run(app, stop)


async def run_sender(app: App, stop: asyncio.Event) -> None:
    from daemon.delivery.sender import run_sender as run
    from daemon.school.links import link_maker

    await run(app, stop, links=link_maker(app.settings))


async def run_mailbox(app: App, stop: asyncio.Event) -> None:
    from daemon.mailbox.poller import run_mailbox as run

    await run(app, stop)


async def run_web(app: App, stop: asyncio.Event) -> None:
    from daemon.web.app import run_web as run

    await run(app, stop)


def all_parts() -> dict[str, Part]:
    """Each part imports its code when it starts: `--only watcher` needs no web stack."""
    return {
        "web": run_web,
        "watcher": run_watcher,
        "reader": run_reader,
        SCHEDULER_PART: run_scheduler,
        "sender": run_sender,
        "housekeeping": run_housekeeping,
        "mailbox": run_mailbox,
    }


PART_NAMES = ("web", "watcher", "reader", SCHEDULER_PART, "sender", "housekeeping", "mailbox")
