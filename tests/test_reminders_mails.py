"""The exact text of one reminder of each stage (snapshots in tests/snapshots/), the HTML escaped,
and the French dates."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from daemon.app import App
from daemon.ingest.intake.intake import Intake
from daemon.reminders.compose import long_date
from daemon.reminders.mails import escalation_mail, open_items, reminder_payload
from daemon.reminders.policy import policy_stage
from daemon.school.actions import ProblemCategory, report_problem
from daemon.school.followup import refresh_stage
from db.models import Campaign, ExportSubmission, FollowUp, School
from tests.factories import cr_text
from tests.reminder_helpers import add, paris, reminder_app

SNAPSHOTS = Path(__file__).parent / "snapshots"
ON = paris(dt.date(2026, 10, 16), 9)
LATE = paris(dt.date(2026, 11, 12), 9)


def _prepare(app: App, session: Session, stage: str) -> School:
    school = add(session, 4410001, "École Saint-Joseph")
    campaign = app.campaign(session, ON)
    if stage == "exported":
        session.add(
            ExportSubmission(
                school_id=school.id,
                campaign_id=campaign.id,
                filename=f"{school.uai}.zip",
                size=10,
                sha256="e" * 64,
                received_at=ON - dt.timedelta(days=1),
                channel="page",
            )
        )
        refresh_stage(session, school=school, campaign=campaign, now=ON)
    session.commit()
    counts = {"errors": (2, 1), "awaiting_ine": (0, 2), "ready_to_validate": (0, 0)}
    if stage in counts:
        errors, pending = counts[stage]
        result = Intake(app).take_bytes(
            cr_text(school.uai, errors=errors, pending=pending),
            filename="cr.txt",
            channel="page",
            now=ON - dt.timedelta(hours=1),
            school_uai=school.uai,
        )
        assert result.outcome == "processed"
    return school


def _render(app: App, session: Session, school: School, now: dt.datetime) -> dict:
    session.expire_all()
    campaign = session.exec(select(Campaign)).one()
    follow_up = session.exec(select(FollowUp)).one()
    stage = policy_stage(follow_up.stage, now.date(), campaign.deadline)
    items = open_items(session, app.settings, school, campaign, now)
    return reminder_payload(
        app.settings, school=school, campaign=campaign, items=items, stage=stage, number=1, now=now
    )


@pytest.mark.parametrize(
    "stage",
    ["awaiting_export", "exported", "errors", "awaiting_ine", "ready_to_validate", "overdue"],
)
def test_the_reminder_of_each_stage_says_exactly_this(
    stage: str, tmp_path: Path, database_url: str, engine: Engine, session: Session
) -> None:
    app = reminder_app(tmp_path, database_url, engine)
    school = _prepare(app, session, "awaiting_export" if stage == "overdue" else stage)
    payload = _render(app, session, school, LATE if stage == "overdue" else ON)
    assert payload["stage"] == stage
    text = f"Objet : {payload['subject']}\nRépondre à : {payload['reply_to']}\n\n{payload['text']}"
    snapshot = SNAPSHOTS / f"reminder_{stage}.txt"
    if os.environ.get("RELANCE_UPDATE_SNAPSHOTS"):
        snapshot.write_text(text, encoding="utf-8")
    assert text == snapshot.read_text(encoding="utf-8")


def test_the_html_version_escapes_what_comes_from_files(
    tmp_path: Path, database_url: str, engine: Engine, session: Session
) -> None:
    app = reminder_app(tmp_path, database_url, engine)
    school = _prepare(app, session, "errors")
    school.name = "École <b>Saint-Joseph</b>"
    session.add(school)
    session.commit()
    html = _render(app, session, school, ON)["html"]
    assert "&lt;b&gt;Saint-Joseph&lt;/b&gt;" in html and "<b>Saint" not in html
    assert "https://relance.example.org/ecole/" in html


def test_dates_are_written_the_french_way() -> None:
    assert long_date(dt.date(2026, 11, 1)) == "dimanche 1er novembre 2026"
    assert long_date(dt.date(2026, 10, 2)) == "vendredi 2 octobre 2026"
    assert long_date(dt.datetime(2026, 9, 30, 23, 30, tzinfo=dt.UTC)) == "jeudi 1er octobre 2026"


@pytest.mark.parametrize(
    ("name", "said"),
    [
        ("Ecole primaire Saint-Joseph", "L'école primaire Saint-Joseph ("),
        ("École Sainte-Anne", "L'école Sainte-Anne ("),
        ("Saint-Michel", "L'école Saint-Michel ("),
    ],
)
def test_the_escalation_mail_names_the_school_without_saying_ecole_twice(
    tmp_path: Path, database_url: str, engine: Engine, session: Session, name: str, said: str
) -> None:
    from daemon.reminders.mails import escalation_mail

    app = reminder_app(tmp_path, database_url, engine)
    school = add(session, 4410001, name)
    campaign = app.campaign(session, ON)
    follow_up = session.exec(select(FollowUp).where(FollowUp.school_id == school.id)).one()
    items = open_items(session, app.settings, school, campaign, ON)
    mail = escalation_mail(
        app.settings,
        school=school,
        campaign=campaign,
        follow_up=follow_up,
        items=items,
        stage="awaiting_export",
        count=5,
    )
    assert mail is not None
    assert said in mail.payload["text"]
    assert "école Ecole" not in mail.payload["text"] + mail.payload["html"]
    assert "école École" not in mail.payload["text"] + mail.payload["html"]
    strong = said.removeprefix("L'école ").removesuffix(" (")
    assert f"L&#39;école <strong>{strong}</strong>" in mail.payload["html"]


def test_an_escalation_is_routed_by_what_is_open_now(
    tmp_path: Path, database_url: str, engine: Engine, session: Session
) -> None:
    """An export problem reported before the school moved on says nothing about the constat it
    now has to validate; an INE problem reported since goes to the INE contact."""
    app = reminder_app(tmp_path, database_url, engine)
    school = _prepare(app, session, "ready_to_validate")  # moved on an hour ago
    campaign = session.exec(select(Campaign)).one()

    def reported(category: ProblemCategory, detail: str, at: dt.datetime) -> None:
        report_problem(
            session,
            school=school,
            campaign=campaign,
            category=category,
            detail=detail,
            now=at,
            actor="directeur",
        )
        session.commit()

    reported(ProblemCategory.EXPORT, "Ange plante à l'export", ON - dt.timedelta(days=21))

    def escalation() -> tuple[str, str]:
        session.expire_all()
        follow_up = session.exec(select(FollowUp)).one()
        items = open_items(session, app.settings, school, campaign, ON)
        mail = escalation_mail(
            app.settings,
            school=school,
            campaign=campaign,
            follow_up=follow_up,
            items=items,
            stage=follow_up.stage,
            count=3,
        )
        assert mail is not None
        return mail.recipient, mail.payload["text"]

    recipient, text = escalation()
    assert recipient != "ange@example.org" and "Ange plante" not in text
    reported(ProblemCategory.INE, "INE en litige depuis trois semaines", ON)
    recipient, text = escalation()
    assert recipient == "ine@example.org"
    assert "INE en attente depuis longtemps, en litige" in text and "trois semaines" in text
