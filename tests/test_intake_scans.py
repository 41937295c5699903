"""Scans of comptes rendus: taken at once, read by OCR later in a worker process, recorded with
their names checked against the school's known pupils, or quarantined with their reason."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from sqlmodel import Session, col, select

from daemon.app import App
from daemon.budget import Budget
from daemon.ingest.intake.intake import Intake
from daemon.ingest.intake.scans import in_progress, run_reader
from daemon.ingest.intake.storage import reason_file
from daemon.ingest.reports.records import IneRow
from daemon.school.pupils import PupilBook
from db.models import Anomaly, Document, DocumentPage, Event, IntakeFile
from db.schools import add_school, get_school
from tests.conftest import NOW
from tests.factories import UAI
from tests.fixtures.reports.scans import make_scan

FILES = Path(__file__).parent / "fixtures" / "reports" / "files"
MINUTE = dt.timedelta(minutes=1)


@pytest.fixture(scope="module")
def scan() -> bytes:
    data, suffix = make_scan((FILES / "sj-reportlab.pdf").read_bytes(), "gris-150")
    assert suffix == ".pdf"
    return data


@pytest.fixture
def intake(app: App, session: Session) -> Intake:
    add_school(session, now=NOW, uai=UAI, actor="t", name="École Saint-Joseph")
    session.commit()
    return Intake(app)


def archive_pupils(app: App, session: Session, *, misspelt: bool = False) -> None:
    """The school's archive: the pupils of the compte rendu (one spelt otherwise) and others."""
    expected = json.loads((FILES / "sj-reportlab.expected.json").read_text("utf-8"))
    school = get_school(session, uai=UAI)
    campaign = app.campaign(session, NOW)
    assert school is not None and school.id is not None and campaign.id is not None
    book = PupilBook(session, school_id=school.id, campaign_id=campaign.id)
    for row in [*expected["anomalies"], *expected["ine"]["pupils"], *OTHERS]:
        born = dt.date.fromisoformat(row["birth_date"])
        last = "MARTINE" if misspelt and row["last_name"] == "MARTIN" else row["last_name"]
        pupil = IneRow(last, row["first_name"], born, "en_attente", None)
        book.get(pupil, now=NOW, source="export", document_id=None)
    book.flush()
    session.commit()


OTHERS = [
    {"last_name": "BERNARD", "first_name": "Jade", "birth_date": "2019-03-02"},
    {"last_name": "THOMAS", "first_name": "Louis", "birth_date": "2020-02-01"},
]


def test_a_scan_dropped_on_a_page_waits_for_its_reading(
    intake: Intake, session: Session, scan: bytes
) -> None:
    result = intake.take_bytes(scan, filename="scan.pdf", channel="page", now=NOW, school_uai=UAI)
    assert (result.outcome, result.kind, result.uai) == ("reading", "compte_rendu", UAI)
    assert result.message == "scan.pdf : compte rendu scanné : en cours de lecture par OCR"
    assert Path(result.stored_path).read_bytes() == scan
    assert session.exec(select(Document)).all() == []
    school = get_school(session, uai=UAI)
    assert school is not None and school.id is not None
    (row,) = in_progress(session, school_id=school.id)
    assert (row.outcome, row.id) == ("reading", result.intake_id)
    event = session.exec(select(Event).where(Event.kind == "scan_reading")).one()
    assert event.school_id == school.id and "en cours de lecture" in event.message
    assert intake.scans.due(NOW) == [result.intake_id]


@pytest.mark.slow
def test_the_reader_reads_it_checks_the_names_and_records_it_for_review(
    app: App, intake: Intake, session: Session, scan: bytes
) -> None:
    archive_pupils(app, session, misspelt=True)
    waiting = intake.take_bytes(scan, filename="scan.pdf", channel="page", now=NOW, school_uai=UAI)
    assert waiting.intake_id is not None
    done = intake.scans.read(waiting.intake_id, NOW + MINUTE)
    assert done is not None and (done.outcome, done.uai) == ("processed", UAI), done.reason
    session.expire_all()
    document = session.exec(select(Document)).one()
    assert document.result["source"] == "ocr" and document.ocr_unconfirmed
    assert document.review["names"] == {
        "anomalies": ["exact", "corrected", "exact", "exact"],  # MARTIN is MARTINE in the archive
        "ine": ["exact", "exact", "exact", "exact"],
    }
    assert document.result["anomalies"][1]["last_name"] == "MARTINE"
    pages = session.exec(select(DocumentPage)).all()
    assert len(pages) == 1 and pages[0].image.startswith(b"\xff\xd8")  # a JPEG
    row = session.get(IntakeFile, waiting.intake_id)
    assert row is not None
    assert (row.outcome, row.document_id, row.claimed_until) == ("processed", document.id, None)
    assert len(session.exec(select(Anomaly)).all()) == 4
    assert intake.scans.due(NOW + 2 * MINUTE) == []


def test_a_claimed_scan_is_read_once_and_an_expired_claim_is_taken_again(
    intake: Intake, scan: bytes
) -> None:
    waiting = intake.take_bytes(scan, filename="scan.pdf", channel="page", now=NOW, school_uai=UAI)
    assert waiting.intake_id is not None
    assert intake.scans._claim(waiting.intake_id, NOW) is not None
    assert intake.scans.read(waiting.intake_id, NOW) is None  # another reader has it
    assert intake.scans.due(NOW + MINUTE) == []
    later = NOW + dt.timedelta(seconds=intake.scans.budget.wall_seconds) + 2 * MINUTE
    assert intake.scans.due(later) == [waiting.intake_id]


@pytest.mark.slow
def test_the_command_line_reads_a_scan_at_once(app: App, session: Session, scan: bytes) -> None:
    add_school(session, now=NOW, uai=UAI, actor="t", name="École Saint-Joseph")
    session.commit()
    result = Intake(app, read_scans_now=True).take_bytes(
        scan, filename="scan.pdf", channel="cli", now=NOW
    )
    assert (result.outcome, result.uai) == ("processed", UAI), result.reason
    assert session.exec(select(Document)).one().ocr_unconfirmed


def _blank_photo() -> bytes:
    rng = np.random.default_rng(1)
    page = np.clip(250 + rng.normal(0, 4, (1100, 850)), 0, 255).astype(np.uint8)
    out = io.BytesIO()
    Image.fromarray(page).save(out, "PNG", dpi=(100, 100))
    return out.getvalue()


@pytest.mark.slow
def test_a_dropped_photo_with_nothing_to_read_is_quarantined_after_its_reading(
    intake: Intake, session: Session, tmp_path: Path
) -> None:
    drop = intake.store.drop_dir / UAI
    drop.mkdir(parents=True)
    (drop / "photo.png").write_bytes(_blank_photo())
    waiting = intake.take_path(drop / "photo.png", channel="folder", now=NOW, root=drop.parent)
    assert waiting.outcome == "reading" and waiting.uai == UAI  # its folder names the school
    assert "processed" in waiting.stored_path and not (drop / "photo.png").exists()
    assert waiting.intake_id is not None
    done = intake.scans.read(waiting.intake_id, NOW + MINUTE)
    assert done is not None and done.outcome == "quarantined"
    assert "sans texte lisible" in done.reason
    kept = Path(done.stored_path)
    assert kept.parent == intake.store.drop_quarantine and kept.read_bytes() == _blank_photo()
    assert "sans texte lisible" in reason_file(kept).read_text("utf-8")
    assert not Path(waiting.stored_path).exists()
    session.expire_all()
    row = session.get(IntakeFile, waiting.intake_id)
    assert row is not None and (row.outcome, row.stored_path) == ("quarantined", str(kept))
    assert session.exec(select(Event).where(Event.kind == "file_quarantined")).one()


def test_a_scan_over_its_budget_is_quarantined_with_the_budget_reason(
    intake: Intake, scan: bytes
) -> None:
    intake.scans.budget = Budget(cpu_seconds=60, memory_mb=1536, wall_seconds=1, workers=1)
    waiting = intake.take_bytes(scan, filename="scan.pdf", channel="page", now=NOW, school_uai=UAI)
    assert waiting.intake_id is not None
    done = intake.scans.read(waiting.intake_id, NOW)
    assert done is not None and done.outcome == "quarantined"
    assert done.reason == "lecture interrompue : plus de 1 seconde de lecture"


def test_without_tesseract_a_scan_is_quarantined_at_once_saying_ocr_is_not_installed(
    intake: Intake, session: Session, scan: bytes, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    result = intake.take_bytes(scan, filename="scan.pdf", channel="page", now=NOW, school_uai=UAI)
    assert result.outcome == "quarantined"
    assert "lecture par OCR impossible, tesseract n'est pas installé" in result.reason
    assert Path(result.stored_path).read_bytes() == scan
    photo = intake.take_bytes(_blank_photo(), filename="photo.png", channel="api", now=NOW)
    assert photo.outcome == "quarantined" and "tesseract n'est pas installé" in photo.reason
    outcomes = session.exec(select(IntakeFile.outcome).order_by(col(IntakeFile.id))).all()
    assert outcomes == ["quarantined", "quarantined"]


@pytest.mark.slow
def test_the_reader_part_reads_what_waits_and_stops_when_asked(
    intake: Intake, session: Session, scan: bytes
) -> None:
    waiting = intake.take_bytes(scan, filename="scan.pdf", channel="api", now=NOW, school_uai=UAI)

    async def run() -> str:
        stop = asyncio.Event()
        task = asyncio.create_task(run_reader(intake, stop, every=0.2))
        for _ in range(600):
            await asyncio.sleep(0.2)
            row = await asyncio.to_thread(_outcome, intake, waiting.intake_id)
            if row != "reading":
                break
        stop.set()
        await asyncio.wait_for(task, 30)
        return row

    assert asyncio.run(run()) == "processed"


def _outcome(intake: Intake, row_id: int | None) -> str:
    with Session(intake.app.engine) as session:
        row = session.get(IntakeFile, row_id)
        assert row is not None
        return row.outcome
