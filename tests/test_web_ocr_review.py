"""Comptes rendus read by OCR on the coordinator's pages: « lu par OCR — à vérifier » on the
school page and the attention list, the page images beside the rows, one click a row."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session, select

from daemon.app import App
from daemon.ingest.reports.ocr.pupils import NameChecks
from daemon.ingest.reports.records import AnomalyRow, CompteRendu, Counts, IneRow, IneSection
from daemon.school.documents import FileFacts, record_document
from db.models import Document, Event
from tests.conftest import NOW
from tests.web_helpers import school, signed_in

BORN = dt.date(2019, 5, 3)
READ = CompteRendu(
    uai="0441234C",
    processed_at=dt.datetime(2026, 9, 15, 1, 10, tzinfo=dt.UTC),
    counts=Counts(read=10, integrated=9, rejected=1, warnings=0),
    anomalies=(AnomalyRow("MARTIM", "Léa", BORN, "Niveau", "Niveau incompatible", "rejet", "x"),),
    ine=IneSection(
        attributed=0, pending=1, pupils=(IneRow("DURAND", "Noé", BORN, "litige", None),)
    ),
    source="ocr",
    warnings=("1 nom lu par OCR sans élève connu correspondant : à vérifier",),
)


def scanned(app: App, session: Session) -> int:
    joseph = school(session, "0441234C")
    school(session, "0441235D", "École Sainte-Anne")
    campaign = app.campaign(session, NOW)
    recorded = record_document(
        session,
        school=joseph,
        campaign=campaign,
        result=READ,
        facts=FileFacts("scan.pdf", 10, "0" * 64, "page", ""),
        now=NOW,
        names=NameChecks(("unknown",), ("exact",)),
        views=(b"\xff\xd8\xff page one",),
    )
    session.commit()
    assert recorded.document.id is not None
    return recorded.document.id


def test_the_school_page_shows_the_pages_beside_the_rows_read(app: App, session: Session) -> None:
    document_id = scanned(app, session)
    with signed_in(app) as (client, _token):
        html = client.get("/ecoles/0441234C").text
        image = client.get(f"/ecoles/0441234C/ocr/{document_id}/pages/1")
        elsewhere = client.get(f"/ecoles/0441235D/ocr/{document_id}/pages/1")
        missing = client.get(f"/ecoles/0441234C/ocr/{document_id}/pages/2")
    assert "Lu par OCR — à vérifier : scan.pdf" in html
    assert f'<img src="/ecoles/0441234C/ocr/{document_id}/pages/1"' in html
    assert 'value="MARTIM"' in html and "élève inconnu de l&#39;école : à vérifier" in html
    assert "2 lignes sur 2 à vérifier" in html and "nom connu" in html
    assert (image.status_code, image.headers["content-type"]) == (200, "image/jpeg")
    assert image.content == b"\xff\xd8\xff page one"
    assert elsewhere.status_code == 404 and missing.status_code == 404


def test_the_attention_list_says_lu_par_ocr(app: App, session: Session) -> None:
    scanned(app, session)
    with signed_in(app) as (client, _token):
        html = client.get("/").text
    attention = html.split("À regarder en premier")[1].split("Écoles sans relance prévue")[0]
    row = attention.split("École Saint-Joseph")[1].split("</tr>")[0]
    assert "Lu par OCR — à vérifier" in row


def test_one_click_confirms_a_row_or_saves_it_corrected(app: App, session: Session) -> None:
    document_id = scanned(app, session)
    url = f"/ecoles/0441234C/ocr/{document_id}/lignes"
    pupil = {"last_name": "DURAND", "first_name": "Noé", "birth_date": "03/05/2019"}
    with signed_in(app) as (client, token):
        confirmed = client.post(
            url,
            data={"csrf_token": token, "table": "ine", "index": "0", **pupil, "status": "litige"},
        )
        corrected = client.post(
            url,
            data={
                "csrf_token": token,
                "table": "anomalies",
                "index": "0",
                "last_name": "MARTIN",
                "first_name": "Léa",
                "birth_date": "03/05/2019",
                "field": "Niveau",
                "message": "Niveau incompatible",
                "severity": "rejet",
            },
        )
        page = client.get("/ecoles/0441234C?fait=ocr").text
    assert confirmed.status_code == corrected.status_code == 303
    assert corrected.headers["location"] == f"/ecoles/0441234C?fait=ocr#ocr-{document_id}"
    session.expire_all()
    document = session.get(Document, document_id)
    assert document is not None and not document.ocr_unconfirmed
    states = {k: v["state"] for k, v in document.review["rows"].items()}
    assert states == {"ine:0": "confirmed", "anomalies:0": "corrected"}
    assert document.result["anomalies"][0]["last_name"] == "MARTIN"
    assert "Lu par OCR — à vérifier" not in page and "Ligne du compte rendu lu par OCR" in page
    events = session.exec(select(Event).where(Event.kind == "ocr_row_reviewed")).all()
    assert [e.actor for e in events] == ["coordination@example.org"] * 2


def test_a_wrong_value_is_refused_in_french_and_nothing_changes(app: App, session: Session) -> None:
    document_id = scanned(app, session)
    with signed_in(app) as (client, token):
        refused = client.post(
            f"/ecoles/0441234C/ocr/{document_id}/lignes",
            data={"csrf_token": token, "table": "ine", "index": "0", "birth_date": "hier"},
        )
        no_token = client.post(
            f"/ecoles/0441234C/ocr/{document_id}/lignes", data={"table": "ine", "index": "0"}
        )
    assert refused.status_code == 400
    assert "Date de naissance illisible : « hier »" in refused.text
    assert no_token.status_code == 403
    session.expire_all()
    document = session.get(Document, document_id)
    assert document is not None and document.review["rows"] == {}
