"""Loading evidence from the tables and keeping the cached stage current."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from sqlmodel import Session, select

from daemon.app import App
from daemon.demo.generate import archive, make_pupils
from daemon.ingest.intake.intake import Intake
from daemon.school.followup import refresh_stage
from daemon.school.stage import Stage
from db.models import Document, Event, ExportSubmission, FollowUp
from db.schools import add_school
from tests.conftest import NOW
from tests.factories import UAI, cr_text


def test_refresh_stage_follows_the_evidence_and_writes_one_event_per_change(app: App) -> None:
    with Session(app.engine) as session:
        school = add_school(session, now=NOW, uai="0441234C", actor="test", name="A")
        campaign = app.campaign(session, NOW)
        assert (
            refresh_stage(session, school=school, campaign=campaign, now=NOW).stage
            is Stage.AWAITING_EXPORT
        )
        session.add(
            ExportSubmission(
                school_id=school.id,
                campaign_id=campaign.id,
                filename="0441234C.zip",
                size=10,
                sha256="a" * 64,
                received_at=NOW,
                channel="cli",
            )
        )
        later = NOW + dt.timedelta(days=1)
        assert (
            refresh_stage(session, school=school, campaign=campaign, now=later).stage
            is Stage.EXPORTED
        )
        assert (
            refresh_stage(session, school=school, campaign=campaign, now=later).stage
            is Stage.EXPORTED
        )
        session.add(
            Document(
                school_id=school.id,
                campaign_id=campaign.id,
                kind="compte_rendu",
                filename="cr.pdf",
                size=10,
                sha256="b" * 64,
                received_at=later,
                channel="cli",
                processed_at=later - dt.timedelta(hours=5),
                counts={"rejections": 2, "warnings": 0, "pending_ine": None},
            )
        )
        result = refresh_stage(session, school=school, campaign=campaign, now=later)
        assert result.stage is Stage.ERRORS and "2 rejets" in result.reason
        session.commit()
        changes = session.exec(
            select(Event).where(Event.kind == "stage_changed").order_by(Event.id)
        ).all()
    assert [e.data["to"] for e in changes] == ["exported", "errors"]
    assert changes[1].message.startswith("Exporté, compte rendu attendu → Erreurs à corriger")


def test_duplicate_documents_are_not_evidence(app: App) -> None:
    with Session(app.engine) as session:
        school = add_school(session, now=NOW, uai="0441234C", actor="test", name="A")
        campaign = app.campaign(session, NOW)
        first = ExportSubmission(
            school_id=school.id,
            campaign_id=campaign.id,
            filename="0441234C.zip",
            size=10,
            sha256="a" * 64,
            received_at=NOW,
            channel="cli",
        )
        session.add(first)
        session.flush()
        session.add(
            ExportSubmission(
                school_id=school.id,
                campaign_id=campaign.id,
                filename="0441234C.zip",
                size=10,
                sha256="a" * 64,
                received_at=NOW + dt.timedelta(days=3),
                channel="cli",
                duplicate_of_id=first.id,
            )
        )
        result = refresh_stage(
            session, school=school, campaign=campaign, now=NOW + dt.timedelta(days=4)
        )
    assert result.since == NOW


def _matched_files() -> tuple[bytes, bytes, bytes]:
    """A CR (deposited in ONDE on 14/09, processed on 15/09), the archive it reports on (same
    pupils) and a genuinely newer export of the school (one pupil more)."""
    pupils = make_pupils(UAI, {"CP": 12, "CE1": 10}, random.Random(UAI), 2026)
    newer = make_pupils(UAI, {"CP": 13, "CE1": 10}, random.Random(2), 2026)
    start = dt.date(2026, 9, 1)
    return cr_text(day=15), archive(UAI, pupils, start), archive(UAI, newer, start)


@pytest.mark.parametrize("cr_first", [True, False], ids=["cr-then-archive", "archive-then-cr"])
def test_an_archive_dropped_after_its_own_compte_rendu_does_not_make_it_stale(
    app: App, session: Session, cr_first: bool
) -> None:
    add_school(session, now=NOW, uai=UAI, actor="t", name="École Saint-Joseph")
    session.commit()
    intake = Intake(app)
    report, same, newer = _matched_files()
    day = dt.datetime(2026, 9, 15, 9, tzinfo=dt.UTC)
    files = [(report, "cr.txt"), (same, f"{UAI}.zip")]
    for hours, (data, name) in enumerate(files if cr_first else files[::-1]):
        at = day + dt.timedelta(hours=hours)
        assert intake.take_bytes(data, filename=name, channel="page", now=at).outcome == (
            "processed"
        )
    session.rollback()
    follow_up = session.exec(select(FollowUp)).one()
    assert follow_up.stage == Stage.ERRORS, follow_up.stage_reason
    assert "compte rendu attendu" not in follow_up.stage_reason
    later = day + dt.timedelta(days=1)
    intake.take_bytes(newer, filename=f"{UAI}.zip", channel="page", now=later)
    session.rollback()
    follow_up = session.exec(select(FollowUp)).one()
    assert follow_up.stage == Stage.EXPORTED and "compte rendu attendu" in follow_up.stage_reason
