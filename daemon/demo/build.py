"""The living demo behind `make run`: a local installation (SQLite, a campaign around today, the
private schools under contrat d'association of Ille-et-Vilaine with generated directors'
addresses) whose past is replayed through the real code (`daemon.demo.replay`): archives and
comptes rendus at past times, validations since the observation date, and each school day's
reminders, escalations and digest delivered to the demo's mail catcher."""

from __future__ import annotations

import datetime as dt
import logging
import socket
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from daemon import DATA_DIR
from daemon.app import App
from daemon.clock import utc_now
from daemon.config import Settings, load_settings
from daemon.demo.mailcatcher import start_catcher
from daemon.demo.replay import Replay
from daemon.demo.replies import prepare_replies
from daemon.demo.timeline import PARIS, Dates, at, campaign_dates
from daemon.school.annuaire import Filters, import_directory
from db import ledger
from db.engine import transaction
from db.models import School
from db.schools import list_schools

log = logging.getLogger(__name__)
ANNUAIRE = DATA_DIR / "demo" / "annuaire-035-2023.csv"
DEMO_USER = "coordination@demo.invalid"
DEMO_PASSWORD = "demo-relance"
WEB_PORT = 8000
Progress = Callable[[str, int, int], None]  # (step, done, total)


def mail_port(web_port: int) -> int:
    """The mail catcher listens next to the pages: `--port N` moves both."""
    return web_port + 1


@dataclass
class DemoInfo:
    directory: Path
    config: Path
    schools: int
    created: bool
    port: int


def config_text(directory: Path, dates: Dates, port: int) -> str:
    """The demo's relance.toml: its campaign's dates, mail to the local catcher, its port."""
    state = (directory / "state").resolve()
    return f"""# Demo installation written by `relance demo` (campaign around {dates.history[-1]}).
state_dir = "{state}"

[campaign]
name = "demo-{dates.start.year}"
start = {dates.start.isoformat()}
observation_date = {dates.observation_date.isoformat()}
deadline = {dates.deadline.isoformat()}

[contacts]
coordinator_name = "Coordination de la démo"
coordinator_email = "{DEMO_USER}"
coordinators = ["{DEMO_USER}"]
export_support_email = "assistance-ange@demo.invalid"
onde_support_email = "assistance-onde@demo.invalid"
ine_support_email = "immatriculation@demo.invalid"
other_support_email = "{DEMO_USER}"

[smtp]
host = "127.0.0.1"
port = {mail_port(port)}
from_address = "relance@demo.invalid"
rate_per_minute = 6000

[web]
host = "127.0.0.1"
port = {port}
base_url = "http://127.0.0.1:{port}"
demo_mail_dir = "{(directory / "mails").resolve()}"

[mailbox]
maildir = "{(directory / "maildir").resolve()}"
poll_seconds = 2
"""


def configured_port(config: Path) -> int:
    return int(tomllib.loads(config.read_text(encoding="utf-8"))["web"]["port"])


def _quiet(progress: Progress | None) -> Progress:
    return progress or (lambda _step, _done, _total: None)


def build_demo(
    directory: Path,
    *,
    now: dt.datetime | None = None,
    port: int = WEB_PORT,
    seed: int = 2026,
    progress: Progress | None = None,
) -> DemoInfo:
    """Create the demo installation in `directory` (once: an existing one is kept, and moved to
    `port` if it listened elsewhere)."""
    from daemon.demo.moving import move_demo

    now = now or utc_now()
    config = directory / "relance.toml"
    if config.exists():
        move_demo(directory, port)
        app = App(load_settings(config, {}))
        with transaction(app.engine) as session:
            count = len(list_schools(session))
        app.close()
        return DemoInfo(directory, config, count, created=False, port=port)
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "mails").mkdir(exist_ok=True)
    dates = campaign_dates(now.astimezone(PARIS).date())
    config.write_text(config_text(directory, dates, port), encoding="utf-8")
    count = _replay(load_settings(config, {}), directory, dates, now, seed, _quiet(progress))
    return DemoInfo(directory, config, count, created=True, port=port)


def _replay(
    settings: Settings,
    directory: Path,
    dates: Dates,
    now: dt.datetime,
    seed: int,
    progress: Progress,
) -> int:
    """The schools, then their campaign so far; the past mails go to a catcher of the build's
    own (on a free port), into the demo's mail folder."""
    port = free_port()
    catcher = start_catcher(directory / "mails", port=port)
    try:
        smtp = settings.smtp.model_copy(update={"port": port, "rate_per_minute": 10**6})
        app = App(settings.model_copy(update={"smtp": smtp}), clock=lambda: now)
        progress("écoles", 0, 1)
        schools = _import_schools(app, at(dates.start, 7))
        progress("écoles", 1, 1)
        Replay(app, dates, now, seed).run(schools, partial(progress, "jours"))
        prepare_replies(app, directory / "replies", now=now)
        with transaction(app.engine) as session:  # they leave when the demo starts, any hour
            ledger.unbind_pending_from_their_day(session)
        app.close()
    finally:
        catcher.stop()
    return len(schools)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _import_schools(app: App, when: dt.datetime) -> list[School]:
    """The private schools under contrat d'association (those a diocesan office follows)."""
    with transaction(app.engine) as session:
        import_directory(
            session,
            data=ANNUAIRE.read_bytes(),
            filters=Filters(statut="prive", contrat="association"),
            now=when,
            actor="demo",
        )
        schools = [school for school, _ in list_schools(session)]
        for school in schools:
            school.director_email = f"direction.{school.uai.lower()}@ecoles.demo.invalid"
            session.add(school)
        app.campaign(session, when)
    return schools
