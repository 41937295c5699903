"""The living demo behind `make run`: a local installation (SQLite, a campaign around today, the
private schools of Ille-et-Vilaine with generated directors' addresses) whose past three weeks
are replayed through the real ingest path — archives and comptes rendus at past times, a few
validations — so that the pages show a realistic mix of stages and the mail history is real."""

from __future__ import annotations

import datetime as dt
import logging
import random
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from daemon import DATA_DIR
from daemon.app import App
from daemon.config import load_settings
from daemon.demo.generate import archive, compte_rendu, headcounts, make_pupils
from daemon.demo.replies import prepare_replies
from daemon.ingest.intake.intake import Intake
from daemon.reminders.sweep import sweep
from daemon.school.annuaire import Filters, import_directory
from db.engine import transaction
from db.models import School
from db.schools import list_schools

log = logging.getLogger(__name__)
PARIS = ZoneInfo("Europe/Paris")
ANNUAIRE = DATA_DIR / "demo" / "annuaire-035-2023.csv"
DEMO_USER = "coordination@demo.invalid"
DEMO_PASSWORD = "demo-relance"
MAIL_PORT = 8025
WEB_PORT = 8000
# How far each school got, with the share of schools: a campaign two weeks before its deadline.
SCENARIOS = (
    ("nothing", 0.14),
    ("exported", 0.14),
    ("errors", 0.22),
    ("errors_fixed", 0.10),
    ("ine_missing", 0.14),
    ("ready", 0.12),
    ("validated", 0.14),
)


@dataclass
class DemoInfo:
    directory: Path
    config: Path
    schools: int
    created: bool


def config_text(directory: Path, today: dt.date) -> str:
    """The demo's relance.toml: dates around today, mail to the local catcher."""
    state = (directory / "state").resolve()
    start = today - dt.timedelta(days=24)
    observation = today - dt.timedelta(days=2)
    deadline = today + dt.timedelta(days=12)
    return f"""# Demo installation written by `relance demo` ({today.isoformat()}).
state_dir = "{state}"

[campaign]
name = "demo-{today.year}"
start = {start.isoformat()}
observation_date = {observation.isoformat()}
deadline = {deadline.isoformat()}

[contacts]
coordinator_name = "Coordination de la démo"
coordinator_email = "{DEMO_USER}"
coordinators = ["{DEMO_USER}"]
export_support_email = "assistance-ange@demo.invalid"
onde_support_email = "assistance-onde@demo.invalid"
other_support_email = "{DEMO_USER}"

[smtp]
host = "127.0.0.1"
port = {MAIL_PORT}
from_address = "relance@demo.invalid"
rate_per_minute = 6000

[web]
host = "127.0.0.1"
port = {WEB_PORT}
base_url = "http://127.0.0.1:{WEB_PORT}"
demo_mail_dir = "{(directory / "mails").resolve()}"

[mailbox]
maildir = "{(directory / "maildir").resolve()}"
poll_seconds = 2
"""


def school_days_before(today: dt.date, count: int) -> list[dt.date]:
    """The `count` weekdays before today, oldest first (the demo's replayed history)."""
    days: list[dt.date] = []
    day = today
    while len(days) < count:
        day -= dt.timedelta(days=1)
        if day.weekday() < 5:
            days.append(day)
    return sorted(days)


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), PARIS).astimezone(dt.UTC)


def choose(rng: random.Random) -> str:
    roll, total = rng.random(), 0.0
    for name, share in SCENARIOS:
        total += share
        if roll < total:
            return name
    return SCENARIOS[-1][0]


def build_demo(directory: Path, *, today: dt.date | None = None, seed: int = 2026) -> DemoInfo:
    """Create the demo installation in `directory` (once: an existing one is kept)."""
    today = today or dt.datetime.now(PARIS).date()
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "mails").mkdir(exist_ok=True)
    config = directory / "relance.toml"
    if config.exists():
        app = App(load_settings(config, {}))
        with transaction(app.engine) as session:
            count = len(list_schools(session))
        app.close()
        return DemoInfo(directory, config, count, created=False)
    config.write_text(config_text(directory, today), encoding="utf-8")
    app = App(load_settings(config, {}))
    history = school_days_before(today, 12)
    start = at(history[0], 8)
    with transaction(app.engine) as session:
        import_directory(
            session,
            data=ANNUAIRE.read_bytes(),
            filters=Filters(statut="prive"),
            now=start,
            actor="demo",
        )
        schools = [school for school, _ in list_schools(session)]
        for school in schools:
            school.director_email = f"direction.{school.uai.lower()}@ecoles.demo.invalid"
            session.add(school)
        app.campaign(session, start)
    replay_history(app, schools, history, seed)
    # The last school day's round of reminders and digest, sent when the daemon starts (late,
    # as after any stop: due mail is never skipped).
    sweep(app, at(history[-1], 10))
    prepare_replies(app, directory / "replies", now=at(today, 7))
    app.close()
    return DemoInfo(directory, config, len(schools), created=True)


def replay_history(app: App, schools: list[School], days: list[dt.date], seed: int) -> None:
    """Archives and comptes rendus at past times, through the real intake."""
    from daemon.school.actions import declare_validated

    intake = Intake(app)
    counts = headcounts()
    for school in schools:
        rng = random.Random(f"{seed}:{school.uai}")
        scenario = choose(rng)
        if scenario == "nothing":
            continue
        pupils = make_pupils(school.uai, counts.get(school.uai), rng, days[0].year)
        rentree = dt.date(days[0].year if days[0].month >= 9 else days[0].year - 1, 9, 1)
        export_day = rng.randrange(0, 6)
        exported = at(days[export_day], rng.randint(8, 17), rng.randrange(60))
        intake.take_bytes(
            archive(school.uai, pupils, rentree),
            filename=f"{school.uai}.zip",
            channel="page",
            now=exported,
            school_uai=school.uai,
            actor="demo",
        )
        if scenario == "exported":
            continue
        errors = {"errors": rng.randint(1, 6), "errors_fixed": 0}.get(scenario, 0)
        pending = rng.randint(1, 5) if scenario in ("errors", "ine_missing") else 0
        report_day = days[min(export_day + 1, len(days) - 1)]
        for round_, (errs, pend) in enumerate(
            [(rng.randint(2, 7), pending), (errors, pending)]
            if scenario == "errors_fixed"
            else [(errors, pending)]
        ):
            day = days[min(export_day + 1 + 3 * round_, len(days) - 1)]
            report_day = day
            text = compte_rendu(
                school.uai,
                school.name,
                pupils,
                submitted=at(day, 7) - dt.timedelta(days=1),
                processed=at(day, 7),
                errors=errs,
                pending=pend,
                rng=rng,
            )
            intake.take_bytes(
                text.encode("utf-8"),
                filename=f"compte-rendu-{school.uai}-{round_ + 1}.txt",
                channel="page",
                now=at(day, rng.randint(8, 17), rng.randrange(60)),
                school_uai=school.uai,
                actor="demo",
            )
        if scenario == "validated":
            when = at(days[-1], 16) if report_day >= days[-1] else at(report_day, 17)
            with transaction(app.engine) as session:
                campaign = app.campaign(session, when)
                declare_validated(session, school=school, campaign=campaign, now=when, actor="demo")
