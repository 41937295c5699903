"""Recording comptes rendus and extractions: per-pupil anomalies and INE statuses over time."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest
from sqlmodel import Session, col, select

from daemon.app import App
from daemon.ingest.reports.records import (
    AnomalyRow,
    CompteRendu,
    Counts,
    ExtractedPupil,
    Extraction,
    IneRow,
    IneSection,
    Report,
)
from daemon.school.documents import FileFacts, record_document
from daemon.school.stage import Stage
from db.campaigns import get_follow_up
from db.models import Anomaly, Document, Event, Pupil
from db.schools import add_school
from tests.conftest import NOW

DAY = dt.timedelta(days=1)


def cr(
    processed: str,
    anomalies: list[tuple[str, str, str, str, str]],
    pending: list[tuple[str, str, str, str]],
) -> CompteRendu:
    """A parse result: anomalies (last, first, birth, field, severity) and INE rows
    (last, first, birth, status)."""
    return CompteRendu(
        uai="0441234C",
        school_name="ÉCOLE",
        archive="0441234C.zip",
        processed_at=dt.datetime.fromisoformat(processed),
        counts=Counts(read=10, integrated=8, rejected=2, warnings=1),
        anomalies=tuple(
            AnomalyRow(ln, fn, dt.date.fromisoformat(b), f, f"message {f}", s, "export")
            for ln, fn, b, f, s in anomalies
        ),
        ine=IneSection(
            attributed=5,
            pending=len(pending),
            pupils=tuple(
                IneRow(ln, fn, dt.date.fromisoformat(b), st, None) for ln, fn, b, st in pending
            ),
        ),
    )


def extraction(rows: list[tuple[str, str, str, str | None]], ine_column: bool = True) -> Extraction:
    return Extraction(
        ine_column=ine_column,
        pupils=tuple(
            ExtractedPupil(ln, fn, dt.date.fromisoformat(b), "CP", "CYCLE II", "CP A", ine)
            for ln, fn, b, ine in rows
        ),
    )


A = ("MARTIN", "Léa", "2019-05-03")
B = ("N'GUYEN-LEFÈVRE", "Jean-Baptiste", "2018-01-02")
C = ("DURAND", "Noé", "2021-02-01")


@pytest.fixture
def ctx(app: App, session: Session):
    school = add_school(session, now=NOW, uai="0441234C", actor="t", name="École")
    campaign = app.campaign(session, NOW)
    counter = iter(range(1000))

    def ingest(result: Report, at: dt.datetime):
        n = next(counter)
        facts = FileFacts(f"f{n}.pdf", 100, f"{n:064d}", "cli", "")
        recorded = record_document(
            session, school=school, campaign=campaign, result=result, facts=facts, now=at
        )
        session.flush()
        return recorded

    return school, campaign, ingest


def open_anomalies(session: Session) -> list[tuple[str, str]]:
    rows = session.exec(
        select(Anomaly).where(col(Anomaly.resolved_at).is_(None)).order_by(Anomaly.id)
    ).all()
    return [(a.match_key.split("|")[0], a.field) for a in rows]


def stage(session: Session, school, campaign) -> str:
    follow_up = get_follow_up(session, school_id=school.id, campaign_id=campaign.id)
    assert follow_up is not None
    return follow_up.stage


def test_a_first_compte_rendu_opens_anomalies_and_pending_ines(session: Session, ctx) -> None:
    school, campaign, ingest = ctx
    recorded = ingest(
        cr(
            "2026-09-15T03:10:00+02:00",
            [(*A, "Lieu de naissance", "rejet"), (*B, "Adresse", "avertissement")],
            [(*C, "en_attente")],
        ),
        NOW + DAY,
    )
    assert recorded.document.counts["rejections"] == 1
    assert recorded.document.counts["pending_ine"] == 1
    assert open_anomalies(session) == [
        ("martin", "Lieu de naissance"),
        ("n'guyen-lefevre", "Adresse"),
    ]
    assert stage(session, school, campaign) == Stage.ERRORS
    pupils = {p.last_name: p for p in session.exec(select(Pupil))}
    assert pupils["DURAND"].ine_status == "en_attente"
    event = session.exec(select(Event).where(Event.kind == "compte_rendu_ingested")).one()
    assert event.message.startswith("Compte rendu du 15/09/2026 : 1 rejet, 1 avertissement")
    assert "MARTIN" not in event.message and "Léa" not in event.message


def test_a_newer_compte_rendu_supersedes_the_older_one(session: Session, ctx) -> None:
    school, campaign, ingest = ctx
    ingest(
        cr(
            "2026-09-15T03:10:00+02:00",
            [(*A, "Lieu de naissance", "rejet"), (*B, "Adresse", "avertissement")],
            [(*C, "en_attente"), (*B, "en_attente")],
        ),
        NOW + DAY,
    )
    # Same pupil written differently: accents, case, spaces.
    second = ingest(
        cr(
            "2026-09-17T03:10:00+02:00",
            [("Martin", "LEA", "2019-05-03", "lieu de naissance", "rejet")],
            [(*C, "litige")],
        ),
        NOW + 3 * DAY,
    )
    assert open_anomalies(session) == [("martin", "Lieu de naissance")]
    still = session.exec(select(Anomaly).where(col(Anomaly.resolved_at).is_(None))).one()
    assert still.first_seen_at == NOW + DAY and still.last_document_id == second.document.id
    resolved = session.exec(select(Anomaly).where(col(Anomaly.resolved_at).is_not(None))).one()
    assert resolved.resolved_by_document_id == second.document.id
    pupils = {p.last_name: p for p in session.exec(select(Pupil))}
    assert pupils["N'GUYEN-LEFÈVRE"].ine_status == "attribue"  # absent from the waiting list now
    assert pupils["DURAND"].ine_status == "litige"
    assert len(pupils) == 3
    assert second.changes is not None and (
        second.changes.resolved,
        second.changes.ine_attributed,
    ) == (1, 1)
    follow_up = get_follow_up(session, school_id=school.id, campaign_id=campaign.id)
    assert follow_up is not None and follow_up.last_progress_at == NOW + 3 * DAY


def test_an_older_compte_rendu_dropped_later_changes_nothing(session: Session, ctx) -> None:
    school, campaign, ingest = ctx
    newest = ingest(cr("2026-09-17T03:10:00+02:00", [], [(*C, "en_attente")]), NOW + DAY)
    older = ingest(cr("2026-09-15T03:10:00+02:00", [(*A, "Niveau", "rejet")], []), NOW + 2 * DAY)
    assert older.changes is None and older.document.superseded_by_id == newest.document.id
    assert "enregistré sans effet" in older.message
    assert open_anomalies(session) == []
    assert stage(session, school, campaign) == Stage.AWAITING_INE


def test_all_clear_makes_the_school_ready(session: Session, ctx) -> None:
    school, campaign, ingest = ctx
    ingest(cr("2026-09-15T03:10:00+02:00", [(*A, "Niveau", "rejet")], [(*C, "en_attente")]), NOW)
    ingest(cr("2026-09-17T03:10:00+02:00", [], []), NOW + 3 * DAY)
    assert open_anomalies(session) == []
    assert stage(session, school, campaign) == Stage.READY_TO_VALIDATE


def test_an_extraction_attributes_ines_and_fills_levels(session: Session, ctx) -> None:
    school, campaign, ingest = ctx
    ingest(cr("2026-09-15T03:10:00+02:00", [], [(*C, "en_attente"), (*A, "en_attente")]), NOW)
    recorded = ingest(
        extraction([(*C, "123456789AB"), (*A, None), (*B, "1234567890A")]), NOW + 2 * DAY
    )
    pupils = {p.last_name: p for p in session.exec(select(Pupil))}
    assert (pupils["DURAND"].ine_status, pupils["DURAND"].ine) == ("attribue", "123456789AB")
    assert pupils["MARTIN"].ine_status == "en_attente" and pupils["MARTIN"].level == "CP"
    assert recorded.document.counts["pending_ine"] == 1
    assert stage(session, school, campaign) == Stage.AWAITING_INE
    # A compte rendu processed before the extraction does not undo its INEs.
    ingest(cr("2026-09-16T03:10:00+02:00", [], [(*C, "en_attente")]), NOW + 3 * DAY)
    assert session.get(Pupil, pupils["DURAND"].id).ine_status == "attribue"


def test_an_extraction_without_ine_column_leaves_statuses(session: Session, ctx) -> None:
    school, campaign, ingest = ctx
    ingest(cr("2026-09-15T03:10:00+02:00", [], [(*C, "en_attente")]), NOW)
    recorded = ingest(extraction([(*C, None)], ine_column=False), NOW + DAY)
    assert recorded.document.counts["pending_ine"] is None
    assert "sans colonne INE" in recorded.message
    assert session.exec(select(Pupil)).one().ine_status == "en_attente"
    assert stage(session, school, campaign) == Stage.AWAITING_INE


def test_review_flag_follows_unclassified_lines_and_warnings(session: Session, ctx) -> None:
    _, _, ingest = ctx
    result = cr("2026-09-15T03:10:00+02:00", [], [])
    result = replace(
        result,
        unclassified=("Ligne étrange",),
        warnings=("4 rejets comptés mais 3 lignes trouvées",),
    )
    document = ingest(result, NOW).document
    assert document.needs_review
    assert document.review_reasons == [
        "ligne non reconnue : Ligne étrange",
        "4 rejets comptés mais 3 lignes trouvées",
    ]
    assert session.exec(select(Document)).one().needs_review


def test_a_pupil_in_error_and_without_ine_in_one_report_is_one_pupil(session: Session, ctx) -> None:
    _school, _campaign, ingest = ctx
    ingest(
        cr("2026-09-15T03:10:00+02:00", [(*C, "Adresse", "rejet")], [(*C, "en_attente")]),
        NOW + DAY,
    )
    (durand,) = session.exec(select(Pupil)).all()
    assert durand.ine_status == "en_attente"
    anomaly = session.exec(select(Anomaly)).one()
    assert anomaly.pupil_id == durand.id


def test_a_compte_rendu_without_ine_section_leaves_the_ine_statuses(session: Session, ctx) -> None:
    school, campaign, ingest = ctx
    ingest(cr("2026-09-15T03:10:00+02:00", [], [(*C, "en_attente")]), NOW)
    silent = replace(cr("2026-09-17T03:10:00+02:00", [], []), ine=IneSection())
    recorded = ingest(silent, NOW + 3 * DAY)
    assert recorded.document.counts["pending_ine"] is None
    assert session.exec(select(Pupil)).one().ine_status == "en_attente"
    assert stage(session, school, campaign) == Stage.AWAITING_INE
    counters_only = replace(silent, ine=IneSection(attributed=9, pending=1))
    ingest(counters_only, NOW + 4 * DAY)
    assert session.exec(select(Pupil)).one().ine_status == "en_attente"  # which one? unknown


def test_an_anomaly_without_severity_stays_unknown_and_flags_its_document(
    session: Session, ctx
) -> None:
    _, _, ingest = ctx
    result = cr("2026-09-15T03:10:00+02:00", [(*A, "Adresse", "")], [])
    result = replace(result, anomalies=tuple(replace(a, severity=None) for a in result.anomalies))
    document = ingest(result, NOW).document
    anomaly = session.exec(select(Anomaly)).one()
    assert anomaly.severity == "inconnue"  # neither a reject nor a warning
    assert document.needs_review
    assert "gravité non lue pour 1 anomalie : ni rejet ni avertissement" in document.review_reasons
