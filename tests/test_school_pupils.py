"""The pupil book: known pupils as rows, new ones written together, every change kept."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest
from sqlmodel import Session, select

from daemon.app import App
from daemon.ingest.reports.records import IneRow
from daemon.school.pupils import PUPIL_COLUMNS, NewPupil, PupilBook
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
