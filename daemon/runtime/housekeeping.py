"""Periodic chores of the running daemon: purge campaigns whose retention is over."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from sqlmodel import select

from daemon.app import App
from daemon.ingest.intake.storage import Store
from daemon.runtime.purge import purge_campaign, purge_due
from db.engine import compact, transaction
from db.models import Campaign

log = logging.getLogger(__name__)
INTERVAL_SECONDS = 3600


def purge_expired(app: App) -> list[str]:
    """Purge every campaign past its retention; returns their names."""
    now = app.now()
    purged = []
    store = Store.of(app.settings)
    with transaction(app.engine) as session:
        for campaign in session.exec(select(Campaign)).all():
            if purge_due(campaign, now.date()):
                purge_campaign(
                    session, campaign=campaign, store=store, now=now, actor="housekeeping"
                )
                purged.append(campaign.name)
    if purged:
        compact(app.engine)
    return purged


async def run_housekeeping(app: App, stop: asyncio.Event) -> None:
    while not stop.is_set():
        purged = await asyncio.to_thread(purge_expired, app)
        if purged:
            log.info("retention over: purged campaigns %s", ", ".join(purged))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=INTERVAL_SECONDS)
