"""`POST /api/v1/schools/{uai}/exports`: an archive submitted by a script, with a bearer token."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from daemon.app import App
from daemon.demo.generate import archive, make_pupils
from daemon.web.app import create_app
from db.models import ExportSubmission, FollowUp, IntakeFile
from db.schools import add_school
from tests.conftest import NOW, make_settings
from tests.factories import OTHER, UAI

INSTALLATION = "jeton-installation-0123456789"
SCHOOL = "jeton-ecole-0441234C-abcdef"
CHECK_KEYS = {"uai", "accepted", "refusal", "members", "headcount", "findings"}


def url(uai: str = UAI) -> str:
    return f"/api/v1/schools/{uai}/exports"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def zip_for(uai: str = UAI, seed: int = 1) -> bytes:
    pupils = make_pupils(uai, {"CP": 6, "CE1": 4}, random.Random(seed), 2026)
    return archive(uai, pupils, dt.date(2026, 9, 1))


@pytest.fixture
def web_app(tmp_path: Path, database_url: str, session: Session) -> Iterator[App]:
    add_school(session, now=NOW, uai=UAI, actor="t", name="École Saint-Joseph")
    add_school(session, now=NOW, uai=OTHER, actor="t", name="École Sainte-Anne")
    session.commit()
    settings = make_settings(
        tmp_path,
        database_url,
        web={"api_token": INSTALLATION, "school_tokens": {UAI: SCHOOL}, "max_upload_mb": 1},
    )
    app = App(settings, clock=lambda: NOW)
    yield app
    app.close()


@pytest.fixture
def client(web_app: App) -> Iterator[TestClient]:
    with TestClient(create_app(web_app), base_url="http://127.0.0.1") as client:
        yield client


def test_the_installation_token_submits_an_archive_and_gets_the_check(
    client: TestClient, session: Session
) -> None:
    answer = client.post(url(), content=zip_for(), headers=bearer(INSTALLATION))
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert set(body) >= CHECK_KEYS
    assert body["uai"] == UAI and body["accepted"] is True and body["outcome"] == "processed"
    assert "eleves.csv" in body["members"]
    assert "pupils" not in body  # identities stay in the database, not in the answer
    row = session.exec(select(ExportSubmission)).one()
    assert (row.channel, row.filename) == ("api", f"{UAI}.zip")
    intake = session.exec(select(IntakeFile)).one()
    assert (intake.channel, intake.outcome, intake.kind) == ("api", "processed", "export")
    assert session.exec(
        select(FollowUp).where(FollowUp.school_id == row.school_id)
    ).one().stage == ("exported")


def test_the_school_token_submits_for_its_own_school(client: TestClient) -> None:
    answer = client.post(url(UAI), content=zip_for(), headers=bearer(SCHOOL))
    assert answer.status_code == 201


def test_a_school_token_cannot_submit_for_another_school(
    client: TestClient, session: Session
) -> None:
    answer = client.post(url(OTHER), content=zip_for(OTHER), headers=bearer(SCHOOL))
    assert answer.status_code == 403 and OTHER in answer.json()["detail"]
    assert session.exec(select(IntakeFile)).all() == []


@pytest.mark.parametrize(
    "headers",
    [{}, bearer("mauvais-jeton"), {"Authorization": f"Basic {INSTALLATION}"}, bearer("")],
)
def test_without_a_valid_token_nothing_is_taken(
    client: TestClient, session: Session, headers: dict[str, str]
) -> None:
    answer = client.post(url(), content=zip_for(), headers=headers)
    assert answer.status_code == 401 and answer.headers["www-authenticate"].startswith("Bearer")
    assert session.exec(select(IntakeFile)).all() == []


def test_no_token_is_accepted_when_none_is_configured(
    tmp_path: Path, database_url: str, session: Session
) -> None:
    add_school(session, now=NOW, uai=UAI, actor="t", name="École Saint-Joseph")
    session.commit()
    app = App(make_settings(tmp_path, database_url), clock=lambda: NOW)
    with TestClient(create_app(app), base_url="http://127.0.0.1") as client:
        assert client.post(url(), content=zip_for(), headers=bearer("")).status_code == 401
        assert client.post(url(), content=zip_for(), headers=bearer("x")).status_code == 401
    app.close()


def test_a_multipart_upload_keeps_its_file_name(client: TestClient, session: Session) -> None:
    answer = client.post(
        url(),
        files={"file": (f"{UAI}.zip", zip_for(), "application/zip")},
        headers=bearer(INSTALLATION),
    )
    assert answer.status_code == 201, answer.text
    assert session.exec(select(ExportSubmission)).one().filename == f"{UAI}.zip"


def test_a_multipart_form_without_the_file_part_is_a_bad_request(client: TestClient) -> None:
    answer = client.post(url(), files={"autre": ("a.zip", b"PK")}, headers=bearer(INSTALLATION))
    assert answer.status_code == 400 and "file" in answer.json()["detail"]


def test_a_multipart_file_that_is_not_a_zip_name_is_refused(client: TestClient) -> None:
    answer = client.post(
        url(), files={"file": ("cr.pdf", b"%PDF-1.4")}, headers=bearer(INSTALLATION)
    )
    assert answer.status_code == 415 and "cr.pdf" in answer.json()["detail"]


def test_bytes_that_are_not_a_zip_are_quarantined_with_the_reason(
    client: TestClient, session: Session
) -> None:
    answer = client.post(url(), content=b"ceci n'est pas une archive", headers=bearer(SCHOOL))
    assert answer.status_code == 422
    body = answer.json()
    assert body["accepted"] is False and body["refusal"] and body["outcome"] == "quarantined"
    intake = session.exec(select(IntakeFile)).one()
    assert (intake.channel, intake.outcome) == ("api", "quarantined") and intake.reason


def test_the_same_archive_again_is_a_resubmission(client: TestClient, session: Session) -> None:
    data = zip_for()
    assert client.post(url(), content=data, headers=bearer(SCHOOL)).status_code == 201
    again = client.post(url(), content=data, headers=bearer(SCHOOL))
    assert again.status_code == 201 and again.json()["outcome"] == "duplicate"
    rows = session.exec(select(ExportSubmission).order_by(ExportSubmission.id)).all()
    assert len(rows) == 2 and rows[1].duplicate_of_id == rows[0].id


def test_an_archive_over_the_size_limit_is_refused(client: TestClient, session: Session) -> None:
    answer = client.post(url(), content=b"PK\x03\x04" + b"a" * (1024 * 1024 + 70_000),
                         headers=bearer(INSTALLATION))  # fmt: skip
    assert answer.status_code == 413 and "1 Mo" in answer.json()["detail"]
    assert session.exec(select(IntakeFile)).all() == []


def test_an_invalid_uai_in_the_address_is_not_found(client: TestClient) -> None:
    answer = client.post(url("0441234Z"), content=zip_for(), headers=bearer(INSTALLATION))
    assert answer.status_code == 404


def test_an_empty_body_is_a_bad_request(client: TestClient) -> None:
    answer = client.post(url(), content=b"", headers=bearer(INSTALLATION))
    assert answer.status_code == 400


def test_the_endpoint_is_in_the_openapi_description(client: TestClient) -> None:
    schema = client.get("/api/v1/openapi.json").json()
    operation = schema["paths"]["/api/v1/schools/{uai}/exports"]["post"]
    assert {"application/zip", "multipart/form-data"} <= set(operation["requestBody"]["content"])
    assert operation["security"] == [{"HTTPBearer": []}]
    assert {"201", "401", "403", "413", "422"} <= set(operation["responses"])


def test_get_is_not_allowed(client: TestClient) -> None:
    assert client.get(url(), headers=bearer(INSTALLATION)).status_code == 405


@pytest.mark.parametrize("over", [1, 4096, 60_000, 200_000])
@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_an_archive_just_over_the_limit_is_refused_whole_never_truncated(
    client: TestClient, session: Session, over: int, chunked: bool
) -> None:
    limit = 1024 * 1024
    body = zip_for() + b"\0" * (limit + over - len(zip_for()))
    content = iter([body[i : i + 65536] for i in range(0, len(body), 65536)]) if chunked else body
    answer = client.post(url(), content=content, headers=bearer(INSTALLATION))
    assert answer.status_code == 413, answer.text
    session.rollback()
    assert session.exec(select(IntakeFile)).all() == []  # nothing taken, not even quarantined


def test_another_schools_archive_posted_for_a_school_is_refused_and_changes_nothing(
    client: TestClient, session: Session
) -> None:
    answer = client.post(url(UAI), content=zip_for(OTHER), headers=bearer(INSTALLATION))
    assert answer.status_code == 422, answer.text
    body = answer.json()
    assert body["refusal"] == f"archive d'une autre école ({OTHER})"
    assert body["outcome"] == "quarantined" and body["headcount"] is None
    session.rollback()
    intake = session.exec(select(IntakeFile)).one()
    assert intake.outcome == "quarantined" and intake.reason == body["refusal"]
    follow_ups = session.exec(select(FollowUp)).all()
    assert all(f.stage == "awaiting_export" for f in follow_ups)


def test_every_error_of_the_api_has_one_shape(client: TestClient) -> None:
    """The export route's own refusals, the body limit before any route and FastAPI's own
    answers all say why in one `detail`, as the OpenAPI description's ApiError does."""
    over = b"PK\x03\x04" + b"a" * (1024 * 1024 + 70_000)
    answers = [
        client.post(url(), content=over, headers=bearer(INSTALLATION)),  # the route's 413
        client.post(url(), content=b"", headers=bearer(INSTALLATION)),  # 400
        client.post(url(), content=zip_for(), headers=bearer(SCHOOL.replace("a", "b"))),  # 401
        client.post(url(), content=zip_for()),  # 401, no token
        client.get("/api/v1/schools/0441234Z", headers=bearer(INSTALLATION)),  # 404
        client.post(  # the body limit in front of every route: 413
            url(), content=over * 40, headers=bearer(INSTALLATION)
        ),
    ]
    for answer in answers:
        assert answer.status_code >= 400
        body = answer.json()
        assert list(body) == ["detail"] and isinstance(body["detail"], str) and body["detail"]
