"""The coordinators' CSV exports: pupils without INE and open anomalies, across the district or
one circonscription, with the conventions of /ecoles.csv; the pages link them."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from daemon.app import App
from daemon.ingest.intake.intake import Intake
from daemon.web.csv_exports import ANOMALY_COLUMNS, WITHOUT_INE_COLUMNS, file_name
from tests.conftest import NOW
from tests.factories import OTHER, UAI, cr_text
from tests.web_helpers import school, signed_in

THIRD = "0441236E"


@pytest.fixture
def district(app: App, session: Session) -> None:
    """Two schools in Nantes Centre, one in Saint-Nazaire; a compte rendu each (with errors and
    pupils without INE), but none for the inactive one."""
    school(session, UAI, "École Saint-Joseph")
    school(session, OTHER, '=HYPERLIEN("x") École', commune="Rezé")
    school(session, THIRD, "École du Port", circonscription="Saint-Nazaire", commune="Pornic")
    app.campaign(session, NOW)
    session.commit()
    intake = Intake(app)
    for uai, errors, pending in ((UAI, 2, 1), (OTHER, 1, 2), (THIRD, 3, 1)):
        result = intake.take_bytes(
            cr_text(uai, errors=errors, pending=pending),
            filename=f"{uai}-cr.txt",
            channel="cli",
            now=NOW,
        )
        assert result.outcome == "processed", result.reason


@pytest.fixture
def client(app: App, district: None) -> Iterator[TestClient]:
    with signed_in(app) as (signed, _token):
        yield signed


def download(client: TestClient, url: str) -> tuple[dict[str, str], list[list[str]]]:
    response = client.get(url)
    assert response.status_code == 200, response.text
    raw = response.content
    assert raw.startswith("\ufeff".encode())  # what spreadsheets need to read UTF-8
    text = raw.decode("utf-8-sig")
    assert "\r\n" in text
    return dict(response.headers), list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))


def test_pupils_without_ine_of_the_whole_district(client: TestClient) -> None:
    headers, rows = download(client, "/eleves-sans-ine.csv")
    assert headers["content-type"].startswith("text/csv")
    assert headers["content-disposition"] == 'attachment; filename="eleves-sans-ine-2026-09-14.csv"'
    assert tuple(rows[0]) == WITHOUT_INE_COLUMNS
    body = rows[1:]
    assert [r[1] for r in body] == [UAI, OTHER, OTHER, THIRD]  # by circonscription, school
    assert {r[9] for r in body} == {"en attente d'INE"}
    assert all(r[6].count("/") == 2 and r[10] == "14/09/2026" for r in body)


def test_pupils_without_ine_of_one_circonscription(client: TestClient) -> None:
    headers, rows = download(client, "/eleves-sans-ine.csv?circonscription=Saint-Nazaire")
    assert headers["content-disposition"].endswith(
        'filename="eleves-sans-ine-saint-nazaire-2026-09-14.csv"'
    )
    assert [r[1] for r in rows[1:]] == [THIRD]
    assert rows[1][0] == "Saint-Nazaire" and rows[1][2] == "École du Port"


def test_open_anomalies_of_the_district_and_of_a_circonscription(client: TestClient) -> None:
    _headers, rows = download(client, "/anomalies.csv")
    assert tuple(rows[0]) == ANOMALY_COLUMNS
    assert sorted(r[1] for r in rows[1:]) == sorted([UAI] * 2 + [OTHER] + [THIRD] * 3)
    first = rows[1]
    assert first[4] and first[5] and first[9] and first[10]  # the pupil, the field, the message
    assert {r[11] for r in rows[1:]} <= {"rejet", "avertissement"}
    assert {r[12] for r in rows[1:]} <= {
        "logiciel de l'école (puis nouvel export)",
        "ONDE (assistance académique)",
        "autre",
    }
    _headers, nantes = download(client, "/anomalies.csv?circonscription=Nantes%20Centre")
    assert sorted(r[1] for r in nantes[1:]) == sorted([UAI] * 2 + [OTHER])


def test_a_cell_a_spreadsheet_would_run_stays_text(client: TestClient) -> None:
    _headers, rows = download(client, "/anomalies.csv?circonscription=Nantes%20Centre")
    names = {r[2] for r in rows[1:]}
    assert '\'=HYPERLIEN("x") École' in names


def test_an_inactive_school_and_a_resolved_anomaly_are_left_out(
    app: App, session: Session, client: TestClient
) -> None:
    from db.schools import get_school, set_active

    third = get_school(session, uai=THIRD)
    assert third is not None
    set_active(session, now=NOW, school=third, active=False, actor="test")
    session.commit()
    Intake(app).take_bytes(
        cr_text(UAI, errors=0, pending=0, day=16), filename="cr2.txt", channel="cli", now=NOW
    )
    _headers, anomalies = download(client, "/anomalies.csv")
    assert [r[1] for r in anomalies[1:]] == [OTHER]
    _headers, pupils = download(client, "/eleves-sans-ine.csv")
    assert [r[1] for r in pupils[1:]] == [OTHER, OTHER]


def test_only_coordinators_download_them(app: App, district: None) -> None:
    from tests.web_helpers import client_for

    with client_for(app) as client:
        for url in ("/eleves-sans-ine.csv", "/anomalies.csv"):
            response = client.get(url, follow_redirects=False)
            assert response.status_code in (302, 303, 401), url


def test_the_dashboard_and_the_school_table_link_them(client: TestClient) -> None:
    dashboard = client.get("/").text
    table = client.get("/ecoles?circonscription=Saint-Nazaire").text
    for scope in ("", "?circonscription=Saint-Nazaire", "?circonscription=Nantes%20Centre"):
        assert f'href="/eleves-sans-ine.csv{scope}"' in dashboard
        assert f'href="/anomalies.csv{scope}"' in dashboard
    assert 'href="/eleves-sans-ine.csv?circonscription=Saint-Nazaire"' in table
    assert 'href="/anomalies.csv?circonscription=Saint-Nazaire"' in table


def test_file_names_are_plain_ascii() -> None:
    import datetime as dt

    day = dt.date(2026, 9, 14)
    assert file_name("anomalies", None, day) == "anomalies-2026-09-14.csv"
    assert file_name("anomalies", "Rennes Nord — Saint-Grégoire", day) == (
        "anomalies-rennes-nord-saint-gregoire-2026-09-14.csv"
    )
