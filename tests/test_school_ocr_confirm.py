"""The coordinator confirms or corrects the rows of a compte rendu read by OCR."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest
from sqlmodel import Session, col, select

from daemon.app import App
from daemon.ingest.reports.ocr.pupils import NameChecks
from daemon.ingest.reports.records import AnomalyRow, CompteRendu, Counts, IneRow, IneSection
from daemon.school.ocr_confirm import WHOLE, confirm_ocr_row
from daemon.school.stage import Stage
from db.campaigns import get_follow_up
from db.models import Anomaly, Document, DocumentPage, Event, Pupil
from db.schools import add_school
from tests.conftest import NOW
from tests.factories import document_ingester

DAY = dt.timedelta(days=1)
BORN = dt.date(2019, 5, 3)


def anomaly(last: str, first: str, field: str) -> AnomalyRow:
    return AnomalyRow(last, first, BORN, field, f"message {field}", "rejet", "export")


def text_cr(*rows: AnomalyRow, pending: tuple[IneRow, ...] = ()) -> CompteRendu:
    return CompteRendu(
        uai="0441234C",
        processed_at=dt.datetime(2026, 9, 15, 3, 10, tzinfo=dt.UTC),
        counts=Counts(read=10, integrated=10 - len(rows), rejected=len(rows), warnings=0),
        anomalies=rows,
        ine=IneSection(attributed=0, pending=len(pending), pupils=pending),
    )


def ocr_cr(*rows: AnomalyRow, pending: tuple[IneRow, ...] = ()) -> CompteRendu:
    later = dt.datetime(2026, 9, 17, 3, 10, tzinfo=dt.UTC)
    return replace(text_cr(*rows, pending=pending), source="ocr", processed_at=later)


@pytest.fixture
def ctx(app: App, session: Session):
    school = add_school(session, now=NOW, uai="0441234C", actor="t", name="École")
    campaign = app.campaign(session, NOW)
    record = document_ingester(session, school, campaign, views=(b"page-1", b"page-2"))

    def ingest(result: CompteRendu, at: dt.datetime, names: NameChecks | None = None) -> Document:
        return record(result, at, names).document

    def click(document: Document, table: str, index: int, values=None, at=NOW + 3 * DAY) -> str:
        assert document.id is not None
        return confirm_ocr_row(
            session,
            school=school,
            campaign=campaign,
            document_id=document.id,
            table=table,
            index=index,
            values=values,
            actor="coordination@example.org",
            now=at,
        )

    def stage() -> str:
        follow_up = get_follow_up(session, school_id=school.id, campaign_id=campaign.id)
        assert follow_up is not None
        return follow_up.stage

    return ingest, click, stage


def open_anomalies(session: Session) -> list[tuple[str, str]]:
    rows = session.exec(select(Anomaly).where(col(Anomaly.resolved_at).is_(None))).all()
    return sorted((a.match_key.split("|")[0], a.field) for a in rows)


def test_a_reading_waits_for_review_with_its_pages(session: Session, ctx) -> None:
    ingest, _click, _stage = ctx
    document = ingest(ocr_cr(anomaly("MARTIN", "Léa", "Niveau")), NOW)
    assert document.ocr_unconfirmed and document.needs_review
    assert document.review == {"names": {"anomalies": ["unchecked"], "ine": []}, "rows": {}}
    pages = session.exec(select(DocumentPage).order_by(col(DocumentPage.number))).all()
    assert [(p.number, p.image) for p in pages] == [(1, b"page-1"), (2, b"page-2")]
    text = ingest(text_cr(), NOW + DAY)
    assert not text.ocr_unconfirmed and text.review == {}


def test_confirming_every_row_lets_the_reading_resolve_what_it_no_longer_lists(
    session: Session, ctx
) -> None:
    ingest, click, stage = ctx
    ingest(text_cr(anomaly("MARTIN", "Léa", "Niveau"), anomaly("DURAND", "Noé", "Adresse")), NOW)
    document = ingest(ocr_cr(anomaly("DURAND", "Noé", "Adresse")), NOW + DAY)
    assert len(open_anomalies(session)) == 2  # unconfirmed: MARTIN's anomaly held open
    message = click(document, "anomalies", 0)
    assert "ligne 1 du tableau des anomalies confirmée" in message
    assert "toutes ses lignes sont vérifiées" in message and "(1 anomalie résolue)" in message
    assert open_anomalies(session) == [("durand", "Adresse")]
    assert not document.ocr_unconfirmed and not document.needs_review
    assert document.review["rows"]["anomalies:0"]["state"] == "confirmed"
    assert stage() == Stage.ERRORS
    event = session.exec(select(Event).where(Event.kind == "ocr_row_reviewed")).one()
    assert event.actor == "coordination@example.org" and "DURAND" not in event.message
    assert event.data == {"document_id": document.id, "table": "anomalies", "row": 0}


def test_one_row_confirmed_out_of_two_changes_nothing_yet(session: Session, ctx) -> None:
    ingest, click, _stage = ctx
    ingest(text_cr(anomaly("PETIT", "Inès", "Niveau")), NOW)
    document = ingest(
        ocr_cr(anomaly("MARTIN", "Léa", "Niveau"), anomaly("DURAND", "Noé", "Adresse")), NOW + DAY
    )
    message = click(document, "anomalies", 1)
    assert "vérifiées" not in message and document.ocr_unconfirmed
    assert ("petit", "Niveau") in open_anomalies(session)


def test_a_corrected_name_moves_the_anomaly_to_the_right_pupil(session: Session, ctx) -> None:
    """OCR read `MARTIM`: a pupil that never existed. The coordinator types `MARTIN`: the
    anomaly is the known pupil's, and the misread one is gone."""
    ingest, click, _stage = ctx
    ingest(text_cr(anomaly("MARTIN", "Léa", "Niveau")), NOW)
    document = ingest(ocr_cr(anomaly("MARTIM", "Léa", "Niveau")), NOW + DAY)
    assert {p.last_name for p in session.exec(select(Pupil))} == {"MARTIN", "MARTIM"}
    message = click(document, "anomalies", 0, {"last_name": "MARTIN", "birth_date": "03/05/2019"})
    assert "corrigée" in message and "toutes ses lignes sont vérifiées" in message
    assert {p.last_name for p in session.exec(select(Pupil))} == {"MARTIN"}
    assert open_anomalies(session) == [("martin", "Niveau")]
    assert CompteRendu.from_json(document.result).anomalies[0].last_name == "MARTIN"
    assert document.review["rows"]["anomalies:0"]["state"] == "corrected"


def test_a_corrected_ine_status_is_applied(session: Session, ctx) -> None:
    ingest, click, _stage = ctx
    row = IneRow("DURAND", "Noé", BORN, "litige", None)
    document = ingest(ocr_cr(pending=(row,)), NOW)
    click(document, "ine", 0, {"status": "attribue", "ine": "123456789ab"})
    durand = session.exec(select(Pupil)).one()
    assert (durand.ine_status, durand.ine) == ("attribue", "123456789AB")


def test_a_wrong_value_or_row_changes_nothing(session: Session, ctx) -> None:
    ingest, click, _stage = ctx
    document = ingest(ocr_cr(anomaly("MARTIN", "Léa", "Niveau")), NOW)
    with pytest.raises(ValueError, match="date de naissance illisible"):
        click(document, "anomalies", 0, {"birth_date": "31/02/20"})
    with pytest.raises(ValueError, match="ligne introuvable"):
        click(document, "anomalies", 3)
    with pytest.raises(ValueError, match="valeur inconnue"):
        click(document, "anomalies", 0, {"severity": "grave"})
    session.rollback()
    assert session.exec(select(Event).where(Event.kind == "ocr_row_reviewed")).all() == []


def test_a_reading_without_rows_is_confirmed_as_such(session: Session, ctx) -> None:
    ingest, click, stage = ctx
    ingest(text_cr(anomaly("MARTIN", "Léa", "Niveau")), NOW)
    document = ingest(ocr_cr(), NOW + DAY)
    assert stage() == Stage.ERRORS  # held open
    message = click(document, WHOLE, 0)
    assert message.startswith("Compte rendu lu par OCR, sans ligne, confirmé tel quel")
    assert open_anomalies(session) == [] and stage() == Stage.READY_TO_VALIDATE
