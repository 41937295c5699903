"""A campaign across the Toussaint holidays of zone B and the 11 November, for the reminder
tests: start Monday 5 October 2026, observation Friday 16 October, deadline Tuesday 10 November."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from daemon.app import App
from daemon.codes import uai_check_letter
from daemon.reminders.sweep import SweepReport, sweep
from db.models import Reminder, School
from db.schools import add_school
from tests.conftest import make_settings

PARIS = ZoneInfo("Europe/Paris")
CAMPAIGN = {
    "name": "2026-2027",
    "start": "2026-10-05",
    "observation_date": "2026-10-16",
    "deadline": "2026-11-10",
}
CONTACTS = {
    "coordinator_name": "Direction diocésaine – coordination du constat",
    "coordinator_email": "coord@example.org",
    "coordinators": ["coord@example.org"],
    "export_support_email": "ange@example.org",
    "onde_support_email": "assistance-onde@example.org",
    "ine_support_email": "ine@example.org",
}


def uai(number: int) -> str:
    digits = f"{number:07d}"
    return digits + uai_check_letter(digits)


def paris(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=PARIS).astimezone(dt.UTC)


def reminder_app(tmp_path: Path, database_url: str, engine: Engine, **extra: dict) -> App:
    settings = make_settings(
        tmp_path,
        database_url,
        campaign=CAMPAIGN,
        contacts=CONTACTS,
        web={"secret_key": "clé-de-test", "base_url": "https://relance.example.org"},
        **extra,
    )
    return App(settings, clock=lambda: paris(dt.date(2026, 10, 5), 7), _engine=engine)


def add(session: Session, number: int, name: str, email: str = "") -> School:
    school = add_school(
        session,
        now=paris(dt.date(2026, 10, 1), 9),
        uai=uai(number),
        actor="test",
        name=name,
        commune="Nantes",
        circonscription="Nantes Nord",
        director_name="Mme Claire Dupont",
        director_email=email or f"ce.{uai(number).lower()}@example.org",
    )
    session.commit()
    return school


def days(start: dt.date, end: dt.date) -> Iterator[dt.date]:
    current = start
    while current <= end:
        yield current
        current += dt.timedelta(days=1)


def run_day(
    app: App, day: dt.date, hours: tuple[int, ...] = (6, 7, 8, 10, 13, 17, 19)
) -> list[SweepReport]:
    """The scheduler's ticks over one day (the minutes between change nothing)."""
    return [sweep(app, paris(day, h, 45 if h == 7 else 5)) for h in hours]


def ledger(session: Session, kind: str | None = None) -> list[Reminder]:
    query = select(Reminder).order_by(col(Reminder.created_at), col(Reminder.id))
    if kind:
        query = query.where(Reminder.kind == kind)
    session.rollback()  # a fresh snapshot: the sweeps wrote in other sessions
    session.expire_all()
    return list(session.exec(query))


def reminder_days(session: Session, school_uai: str) -> list[dt.date]:
    school = session.exec(select(School).where(School.uai == school_uai)).one()
    return [r.day for r in ledger(session, "reminder") if r.school_id == school.id]
