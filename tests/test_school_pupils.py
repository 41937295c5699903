"""The pupil book: known pupils as rows, new ones written together, every change kept."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest
from sqlmodel import Session, select

from daemon.app import App
from daemon.ingest.reports.ocr.pupils import KnownPupil
from daemon.ingest.reports.records import IneRow
from daemon.school.pupils import PUPIL_COLUMNS, NewPupil, PupilBook, known_pupils, row_key
from db.models import Pupil
from db.schools import add_school
from tests.conftest import NOW

LEA = IneRow("Martin ", "LÉA", dt.date(2019, 5, 3), "en_attente", None)
NOE = IneRow("DURAND", "Noé", dt.date(2021, 2, 1), "en_attente", None)


@pytest.fixture
def book_for(app: App, session: Session):
    school = add_school(session, now=NOW, uai="0441234C", actor="t", name="École")
    campaign = app.campaign(session, NOW)
    assert school.id is not None and campaign.id is not None
    return lambda: PupilBook(session, school_id=school.id, campaign_id=campaign.id)


def pupils(session: Session) -> dict[str, Pupil]:
    session.expire_all()
    return {p.first_name: p for p in session.exec(select(Pupil))}


def test_a_new_pupil_carries_every_column_of_the_table() -> None:
    assert set(PUPIL_COLUMNS) == set(NewPupil.__annotations__)


def test_new_pupils_are_written_once_with_their_ids(session: Session, book_for) -> None:
    book = book_for()
    lea = book.get(LEA, now=NOW, source="compte_rendu", document_id=None)
    noe = book.get(NOE, now=NOW, source="compte_rendu", document_id=None)
    same = replace(LEA, last_name="MARTIN")
    assert book.get(same, now=NOW, source="x", document_id=None) is lea
    book.flush()
    stored = pupils(session)
    assert (lea.id, noe.id) == (stored["LÉA"].id, stored["Noé"].id)
    assert stored["LÉA"].ine_status == "inconnu" and stored["LÉA"].level == ""
    assert stored["LÉA"].birth_date == dt.date(2019, 5, 3)
    assert book.created == 2


def test_a_change_after_the_first_write_is_written_too(session: Session, book_for) -> None:
    book = book_for()
    lea = book.get(LEA, now=NOW, source="compte_rendu", document_id=None)
    book.flush()
    lea.ine_status, lea.class_label = "en_attente", "CP A"
    book.flush()
    stored = pupils(session)["LÉA"]
    assert (stored.ine_status, stored.class_label) == ("en_attente", "CP A")
    assert len(pupils(session)) == 1


def test_a_known_pupil_is_the_stored_row(session: Session, book_for) -> None:
    first = book_for()
    first.get(LEA, now=NOW, source="compte_rendu", document_id=None)
    first.flush()
    later = NOW + dt.timedelta(days=2)
    second = book_for()
    lea = second.get(LEA, now=later, source="onde_extraction", document_id=None)
    assert isinstance(lea, Pupil) and second.created == 0
    second.flush()
    assert pupils(session)["LÉA"].last_seen_at == later


def test_known_pupils_are_those_the_school_sent_itself(session: Session, book_for) -> None:
    """An archive's and an extraction's pupils are known; one first read on a compte rendu
    (perhaps misread by OCR) is not."""
    book = book_for()
    book.get(LEA, now=NOW, source="export", document_id=None)
    book.get(NOE, now=NOW, source="onde_extraction", document_id=None)
    book.get(replace(NOE, first_name="Noa"), now=NOW, source="compte_rendu", document_id=None)
    book.flush()
    known = known_pupils(session, school_id=book.school_id, campaign_id=book.campaign_id)
    assert sorted(known, key=lambda p: p.last_name) == [
        KnownPupil("DURAND", "Noé", dt.date(2021, 2, 1)),
        KnownPupil("Martin ", "LÉA", dt.date(2019, 5, 3)),
    ]
    assert row_key(LEA) == "martin|lea|2019-05-03"


def test_a_pupil_first_read_on_a_compte_rendu_is_known_once_the_school_sends_it(
    session: Session, book_for
) -> None:
    """Known pupils are the accepted archive's and the extraction's, whatever came first: a
    name read on a compte rendu before the extraction is checked once the extraction has it."""
    book = book_for()
    book.get(NOE, now=NOW, source="compte_rendu", document_id=None)
    book.get(LEA, now=NOW, source="compte_rendu", document_id=None)
    book.flush()
    assert known_pupils(session, school_id=book.school_id, campaign_id=book.campaign_id) == []
    later = book_for()
    later.get(NOE, now=NOW, source="onde_extraction", document_id=None)
    later.flush()
    archive = book_for()
    archive.get(LEA, now=NOW, source="export", document_id=None)
    archive.flush()
    known = known_pupils(session, school_id=book.school_id, campaign_id=book.campaign_id)
    assert sorted(p.first_name for p in known) == ["LÉA", "Noé"]
