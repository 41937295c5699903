"""Quarantine as the intake's: retry keeps where a file came from, discard deletes the entry
itself, one of them wins per row."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import Session, select

from daemon.app import App
from daemon.ingest.intake import quarantine
from daemon.ingest.intake.intake import Intake
from db.models import Document, Event, IntakeFile
from db.schools import add_school
from tests.conftest import NOW
from tests.factories import OTHER, UAI, extraction_csv


@pytest.fixture
def intake(app: App, session: Session) -> Intake:
    app.campaign(session, NOW)
    add_school(session, now=NOW, uai=UAI, actor="t", name="École Saint-Joseph")
    session.commit()
    return Intake(app)


def test_a_retry_keeps_the_drop_folder_path_that_named_the_school(
    intake: Intake, session: Session
) -> None:
    """An extraction in a folder named after a school not yet followed: once the school is
    added, the retry finds it from the folder name again."""
    folder = intake.store.drop_dir / OTHER
    folder.mkdir(parents=True)
    (folder / "CSVExtraction.csv").write_bytes(extraction_csv())
    first = intake.take_path(
        folder / "CSVExtraction.csv", channel="folder", now=NOW, root=intake.store.drop_dir
    )
    assert first.outcome == "quarantined" and OTHER in first.reason
    add_school(session, now=NOW, uai=OTHER, actor="t", name="École Sainte-Anne")
    session.commit()
    assert first.intake_id is not None
    again = quarantine.retry(intake, first.intake_id, now=NOW, actor="coordination")
    assert (again.outcome, again.uai) == ("processed", OTHER)
    assert not Path(first.stored_path).exists()
    session.rollback()
    assert session.exec(select(Document)).one().kind == "onde_extraction"
    assert session.exec(select(Event).where(Event.kind == "quarantine_retried")).one()


def test_a_row_is_retried_or_discarded_once(intake: Intake, session: Session) -> None:
    result = intake.take_bytes(b"n'importe quoi", filename="x.bin", channel="page", now=NOW)
    assert result.intake_id is not None
    quarantine.discard(intake, result.intake_id, now=NOW, actor="a")
    with pytest.raises(quarantine.NotQuarantined):
        quarantine.discard(intake, result.intake_id, now=NOW, actor="b")
    with pytest.raises(quarantine.NotQuarantined):
        quarantine.retry(intake, result.intake_id, now=NOW, actor="b")
    assert not Path(result.stored_path).exists()
    session.rollback()
    assert session.exec(select(IntakeFile)).one().outcome == "discarded"


def test_where_a_file_came_from_is_said_in_french(intake: Intake, session: Session) -> None:
    result = intake.take_bytes(
        b"n'importe quoi", filename="x.bin", channel="api", now=NOW, school_uai=UAI
    )
    assert result.intake_id is not None
    found = quarantine.quarantined_file(session, result.intake_id)
    assert found.origin == "reçu par l'API pour l'école École Saint-Joseph (0441234C)"
