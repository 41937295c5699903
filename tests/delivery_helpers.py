"""Ledger rows and apps for the delivery tests."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from daemon.app import App
from db.models import Reminder, School
from tests.conftest import NOW, make_settings
from tests.mailsink import MailSink

FAST = {"retry_base_seconds": 1, "retry_max_seconds": 2, "lease_seconds": 60}


class Clock:
    """A clock tests move by hand."""

    def __init__(self, now: dt.datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += dt.timedelta(seconds=seconds)


def sending_app(
    tmp_path: Path, engine: Engine, sink: MailSink, clock: Clock | None = None, **smtp: Any
) -> App:
    url = engine.url.render_as_string(hide_password=False)
    settings = make_settings(tmp_path, url, smtp=sink.smtp_settings(**{**FAST, **smtp}))
    return App(settings, clock=clock or Clock(), _engine=engine)


def add_reminders(
    engine: Engine,
    count: int,
    *,
    due: dt.datetime = NOW,
    spacing: dt.timedelta = dt.timedelta(seconds=1),
    recipient: str = "directeur{n}@ecole.example",
    prefix: str = "rappel",
    school_id: int | None = None,
    cc: list[str] | None = None,
) -> list[str]:
    """`count` pending rows due from `due` (each `spacing` later); returns their keys in order."""
    keys = []
    with Session(engine) as session:
        for n in range(count):
            at = due - (count - n) * spacing
            key = f"{prefix}:{n:05d}"
            keys.append(key)
            session.add(
                Reminder(
                    key=key,
                    school_id=school_id,
                    kind="reminder",
                    day=at.date(),
                    recipient=recipient.format(n=n),
                    cc=cc or [],
                    payload={
                        "subject": f"Constat de rentrée : rappel {n}",
                        "text": f"Bonjour,\nil reste à faire ({n}).",
                        "html": f"<p>Bonjour, il reste à faire ({n}).</p>",
                        "reply_to": "coordination@ddec.example",
                    },
                    due_at=at,
                    next_attempt_at=at,
                    created_at=at,
                )
            )
        session.commit()
    return keys


def add_school(engine: Engine, email: str, uai: str = "0441234C") -> int:
    with Session(engine) as session:
        school = School(
            uai=uai,
            name="École Saint-Joseph",
            director_email=email,
            created_at=NOW,
            updated_at=NOW,
        )
        session.add(school)
        session.commit()
        assert school.id is not None
        return school.id


def rows(engine: Engine) -> dict[str, Reminder]:
    with Session(engine) as session:
        return {r.key: r for r in session.exec(select(Reminder).order_by(col(Reminder.id)))}
