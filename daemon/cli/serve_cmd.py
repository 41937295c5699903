"""`relance serve`: the daemon — web server, scheduler, mail sender and drop-folder watcher in one
asyncio process, owned by `daemon.runtime.lifecycle.Lifecycle`."""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from collections.abc import Sequence

import click

from daemon.app import App
from daemon.cli import french
from daemon.cli.base import Context, fail, parse_now, pass_context
from daemon.clock import SimulatedClock
from daemon.logs import setup_logging
from daemon.runtime.lifecycle import Lifecycle, Part
from daemon.runtime.parts import PART_NAMES, all_parts

log = logging.getLogger("daemon.serve")


@click.command("serve")
@click.option(
    "--only",
    multiple=True,
    type=click.Choice(PART_NAMES),
    help="Ne lancer que ces parties (répétable ; défaut : toutes).",
)
@click.option(
    "--without",
    multiple=True,
    type=click.Choice(PART_NAMES),
    help="Ne pas lancer ces parties (répétable).",
)
@click.option(
    "--clock", "clock_start", metavar="DATE", help="Horloge simulée : heure de départ (ISO)."
)
@click.option(
    "--clock-speed",
    type=french.FloatRange(min=0.001),
    default=1.0,
    show_default=True,
    help="Horloge simulée : vitesse (600 = dix minutes par seconde).",
)
@click.option(
    "--stop-timeout",
    type=french.FloatRange(min=0.1),
    default=20.0,
    show_default=True,
    help="Secondes laissées aux parties pour finir leur travail à l'arrêt.",
)
@pass_context
def serve_cmd(
    ctx: Context,
    only: tuple[str, ...],
    without: tuple[str, ...],
    clock_start: str | None,
    clock_speed: float,
    stop_timeout: float,
) -> None:
    """Lance le démon : pages web, relances, envoi des mails, dossier de dépôt."""
    setup_logging(
        ctx.settings.log_level, ctx.settings.log_format, journal="JOURNAL_STREAM" in os.environ
    )
    app = ctx.app
    if clock_start:
        app.clock = SimulatedClock(parse_now(clock_start), clock_speed)
        log.warning("simulated clock from %s at %sx", clock_start, clock_speed)
    names = [n for n in PART_NAMES if (not only or n in only) and n not in without]
    if not names:
        fail("aucune partie à lancer")
    sys.exit(run_daemon(app, names, stop_timeout=stop_timeout))


def log_advice(app: App) -> None:
    """The probable mistakes `relance config check` warns about, in the journal at start."""
    from zoneinfo import ZoneInfo

    from sqlmodel import Session

    from daemon.runtime.config_advice import CampaignDates, advice

    today = app.now().astimezone(ZoneInfo(app.settings.campaign.timezone)).date()
    with Session(app.engine) as session:
        settled = app.settled_campaign(session)  # reads only
    followed = (
        None
        if settled is None
        else CampaignDates(settled.name, settled.observation_date, settled.deadline)
    )
    for item in advice(app.settings, today=today, followed=followed):
        log.warning("configuration %s: %s (relance config check says more)", item.key, item.log)


def run_daemon(
    app: App,
    names: Sequence[str] = PART_NAMES,
    *,
    stop_timeout: float = 20.0,
    extra: Sequence[tuple[str, Part]] = (),
) -> int:
    """Run the named parts (and `extra` ones) under one lifecycle until a signal; returns the
    exit code."""
    settings = app.settings
    setup_logging(settings.log_level, settings.log_format, journal="JOURNAL_STREAM" in os.environ)
    parts = all_parts()
    try:
        app.engine  # noqa: B018 — connect and migrate before announcing readiness
    except Exception as exc:  # a clear message, not a traceback
        fail(f"base de données inaccessible : {exc}")
    log.info(
        "relance serve: %s; web listens on %s:%d, links use %s (database %s)",
        ", ".join(names),
        settings.web.host,
        settings.web.port,
        settings.web.base_url,
        app.engine.url.render_as_string(hide_password=True),
    )
    log_advice(app)
    changed = app.apply_settings(app.now(), actor="démon")
    if changed:
        log.info("campaign settings applied from the configuration: %s", ", ".join(changed))
    chosen = [(n, parts[n]) for n in names] + list(extra)
    lifecycle = Lifecycle(app, chosen, stop_timeout=stop_timeout)
    code = asyncio.run(lifecycle.run())
    app.close()
    return code
