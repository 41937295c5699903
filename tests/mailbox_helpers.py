"""A small world for the mailbox tests: two schools with their directors, a reminder of ours
already sent to the first (the mail directors answer), an app whose clock tests move."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from daemon.app import App
from daemon.delivery.message import message_id
from daemon.mailbox.outcome import Outcome
from daemon.mailbox.process import Processor
from db.models import Event, IntakeFile, MailboxMessage, Reminder, School
from db.schools import add_school
from tests.conftest import NOW, REPO, make_settings
from tests.delivery_helpers import Clock
from tests.factories import OTHER, UAI

FROM = "relance@example.org"
DIRECTOR = "direction.0441234c@ecoles.example.org"
OTHER_DIRECTOR = "direction.0441235d@ecoles.example.org"
SECRETARY = "secretariat.0441234c@ecoles.example.org"
KEY = f"{UAI}:2026-2027:reminder:2026-09-11"
OUR_ID = message_id(KEY, FROM)
PDF = (REPO / "tests/fixtures/reports/files/sj-chromium.pdf").read_bytes()  # 0441234C's CR


@dataclass
class World:
    app: App
    clock: Clock
    school_id: int
    other_id: int
    reminder_id: int


def mailbox_app(tmp_path: Path, engine: Engine, clock: Clock | None = None, **mailbox: Any) -> App:
    url = engine.url.render_as_string(hide_password=False)
    settings = make_settings(
        tmp_path,
        url,
        smtp={"from_address": FROM},
        contacts={"coordinator_email": "coordination@example.org"},
        mailbox={"maildir": str(tmp_path / "maildir"), "poll_seconds": 1, **mailbox},
    )
    return App(settings, clock=clock or Clock(), _engine=engine)


def build_world(tmp_path: Path, engine: Engine, **mailbox: Any) -> World:
    clock = Clock()
    app = mailbox_app(tmp_path, engine, clock, **mailbox)
    with Session(engine) as session:
        first = add_school(
            session,
            now=NOW,
            uai=UAI,
            actor="t",
            name="École Saint-Joseph",
            director_email=DIRECTOR,
            director_name="Marie Dupont",
        )
        other = add_school(
            session,
            now=NOW,
            uai=OTHER,
            actor="t",
            name="École Sainte-Anne",
            director_email=OTHER_DIRECTOR,
        )
        campaign = app.campaign(session, NOW - dt.timedelta(days=3))
        sent = NOW - dt.timedelta(days=3)
        reminder = Reminder(
            key=KEY,
            school_id=first.id,
            campaign_id=campaign.id,
            kind="reminder",
            stage="awaiting_export",
            day=sent.date(),
            recipient=DIRECTOR,
            payload={"subject": "Constat de rentrée : export Ange attendu"},
            due_at=sent,
            next_attempt_at=sent,
            status="sent",
            sent_at=sent,
            message_id=OUR_ID,
            created_at=sent,
        )
        session.add(reminder)
        session.commit()
        assert first.id and other.id and reminder.id
        return World(app, clock, first.id, other.id, reminder.id)


def add_pending(engine: Engine, key: str, school_id: int, recipient: str) -> None:
    """A mail of ours still waiting in the ledger."""
    with Session(engine) as session:
        session.add(
            Reminder(
                key=key,
                school_id=school_id,
                kind="reminder",
                day=NOW.date(),
                recipient=recipient,
                due_at=NOW,
                next_attempt_at=NOW,
                created_at=NOW,
            )
        )
        session.commit()


def events(engine: Engine, kind: str) -> list[Event]:
    with Session(engine) as session:
        query = select(Event).where(Event.kind == kind).order_by(col(Event.id))
        return list(session.exec(query))


def ledger(engine: Engine, kind: str) -> list[Reminder]:
    with Session(engine) as session:
        query = select(Reminder).where(Reminder.kind == kind).order_by(col(Reminder.id))
        return list(session.exec(query))


def intake_rows(engine: Engine) -> list[IntakeFile]:
    with Session(engine) as session:
        return list(session.exec(select(IntakeFile).order_by(col(IntakeFile.id))))


def mailbox_rows(engine: Engine) -> list[MailboxMessage]:
    with Session(engine) as session:
        return list(session.exec(select(MailboxMessage).order_by(col(MailboxMessage.id))))


def school(engine: Engine, school_id: int) -> School:
    with Session(engine) as session:
        found = session.get(School, school_id)
        assert found is not None
        return found


@pytest.fixture(name="world")
def world_fixture(tmp_path: Path, engine: Engine) -> World:
    return build_world(tmp_path, engine)


def process(world: World, raw: bytes) -> Outcome:
    return Processor(world.app).process(raw, now=world.clock())
