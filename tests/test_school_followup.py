"""Loading evidence from the tables and keeping the cached stage current."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session, select

from daemon.app import App
from daemon.school.followup import refresh_stage
from daemon.school.stage import Stage
from db.models import Document, Event, ExportSubmission
from db.schools import add_school
from tests.conftest import NOW


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
