"""The JSON API: bearer tokens, a school token sees only its school, the OpenAPI description."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from openapi_spec_validator import validate
from sqlmodel import Session

from daemon.app import App
from db.campaigns import get_follow_up
from tests.conftest import NOW, make_settings
from tests.web_helpers import client_for, school

TOKEN = "jeton-du-district-0123456789"
SCHOOL_TOKEN = "jeton-de-l-ecole-0123456789"


@pytest.fixture
def api_app(tmp_path: Path, database_url: str, engine) -> App:
    settings = make_settings(
        tmp_path,
        database_url,
        web={"api_token": TOKEN, "school_tokens": {"0441234C": SCHOOL_TOKEN}},
    )
    return App(settings, clock=lambda: NOW, _engine=engine)


@pytest.fixture
def schools(api_app: App, session: Session) -> None:
    a = school(session, "0441234C", "École Saint-Joseph")
    school(session, "0441235D", "École Sainte-Anne", circonscription="Saint-Nazaire")
    campaign = api_app.campaign(session, NOW)
    assert a.id is not None and campaign.id is not None
    follow_up = get_follow_up(session, school_id=a.id, campaign_id=campaign.id)
    assert follow_up is not None
    follow_up.stage = "errors"
    follow_up.stage_reason = "2 rejets à corriger"
    session.add(follow_up)
    session.commit()


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_the_district_token_lists_schools_with_their_stage(api_app: App, schools: None) -> None:
    with client_for(api_app) as client:
        body = client.get("/api/v1/schools", headers=auth(TOKEN)).json()
        assert body["total"] == 2
        first = body["schools"][0]
        assert (first["uai"], first["stage"], first["stage_label"]) == (
            "0441234C",
            "errors",
            "Erreurs à corriger",
        )
        assert first["stage_reason"] == "2 rejets à corriger"
        filtered = client.get("/api/v1/schools?stage=errors", headers=auth(TOKEN)).json()
        assert [s["uai"] for s in filtered["schools"]] == ["0441234C"]
        page = client.get("/api/v1/schools?limit=1&offset=1", headers=auth(TOKEN)).json()
        assert [s["uai"] for s in page["schools"]] == ["0441235D"] and page["total"] == 2
        one = client.get("/api/v1/schools/0441235d", headers=auth(TOKEN)).json()
        assert one["name"] == "École Sainte-Anne" and one["stage"] == "awaiting_export"


def test_counts_per_stage(api_app: App, schools: None) -> None:
    with client_for(api_app) as client:
        body = client.get("/api/v1/stages", headers=auth(TOKEN)).json()
    counts = {s["stage"]: s["count"] for s in body["stages"]}
    assert body["total"] == 2 and counts["errors"] == 1 and counts["awaiting_export"] == 1
    assert counts["validated"] == 0 and body["campaign"] == "2026-2027"


def test_a_school_token_sees_only_its_school(api_app: App, schools: None) -> None:
    with client_for(api_app) as client:
        listed = client.get("/api/v1/schools", headers=auth(SCHOOL_TOKEN)).json()
        assert [s["uai"] for s in listed["schools"]] == ["0441234C"] and listed["total"] == 1
        assert client.get("/api/v1/schools/0441234C", headers=auth(SCHOOL_TOKEN)).status_code == 200
        other = client.get("/api/v1/schools/0441235D", headers=auth(SCHOOL_TOKEN))
        assert other.status_code == 404
        assert client.get("/api/v1/stages", headers=auth(SCHOOL_TOKEN)).status_code == 403
        search = client.get("/api/v1/schools?search=Sainte-Anne", headers=auth(SCHOOL_TOKEN))
        assert search.json()["schools"] == []


@pytest.mark.parametrize("header", ["", "Bearer ", "Bearer faux", f"Basic {TOKEN}", TOKEN])
def test_bad_tokens_are_refused(api_app: App, schools: None, header: str) -> None:
    with client_for(api_app) as client:
        response = client.get("/api/v1/schools", headers={"Authorization": header})
    assert response.status_code == 401
    assert response.json()["detail"] == "Jeton absent ou invalide."


def test_without_a_configured_token_nothing_is_open(app: App) -> None:
    with client_for(app) as client:
        assert client.get("/api/v1/schools", headers=auth("")).status_code == 401
        assert client.get("/api/v1/stages", headers=auth("x")).status_code == 401


def test_the_openapi_description_is_valid(api_app: App) -> None:
    with client_for(api_app) as client:
        spec = client.get("/api/v1/openapi.json").json()
    validate(spec)
    assert set(spec["paths"]) == {
        "/api/v1/schools",
        "/api/v1/schools/{uai}",
        "/api/v1/stages",
        "/api/v1/schools/{uai}/exports",  # daemon/web/api_exports.py
    }
    assert "HTTPBearer" in spec["components"]["securitySchemes"]


def test_one_school_serves_what_its_page_shows(api_app: App, schools: None) -> None:
    """Open anomalies, pupils without INE, the archive's tableau d'effectif and test de
    cohérence, the headcount of each source side by side, the next reminder."""
    from daemon.ingest.intake.intake import Intake
    from tests.archives import layout, set_cell, to_zip
    from tests.factories import cr_text

    members = layout(6)
    set_cell(members, "eleves.csv", 2, "prenom", "")
    intake = Intake(api_app)
    assert intake.take_bytes(to_zip(members), filename="0441234C.zip", channel="api", now=NOW)
    later = NOW + dt.timedelta(hours=1)
    intake.take_bytes(cr_text(errors=2, pending=1), filename="cr.txt", channel="api", now=later)
    with client_for(api_app) as client:
        body = client.get("/api/v1/schools/0441234C", headers=auth(TOKEN)).json()
        page = client.get("/api/v1/schools", headers=auth(TOKEN)).json()
    assert body["headcount"]["total"] == 6 and sum(body["headcount"]["by_level"].values()) == 6
    assert [(f["id_eleve"], f["field"]) for f in body["findings"]] == [("E00002", "prenom")]
    assert [(h["source"], h["total"]) for h in body["headcounts"]] == [
        ("archive d'export", 6),
        ("dernier compte rendu", 22),
        ("dernière extraction ONDE", None),
    ]
    assert body["headcounts_differ"] is True
    assert len(body["open_anomalies"]) == 2 and {a["severity"] for a in body["open_anomalies"]}
    assert [p["ine_status"] for p in body["without_ine"]] == ["en_attente"]
    assert body["next_reminder_at"] is not None
    listed = next(s for s in page["schools"] if s["uai"] == "0441234C")
    assert listed["next_reminder_at"] == body["next_reminder_at"]


def _answer_matches(spec: dict, path: str, method: str, response) -> None:  # type: ignore[no-untyped-def]
    """The answer's status is documented for the route, with a schema the body validates."""
    import jsonschema

    documented = spec["paths"][path][method]["responses"]
    status = str(response.status_code)
    assert status in documented, (path, method, status)
    schema = documented[status]["content"]["application/json"]["schema"]
    jsonschema.Draft202012Validator({**schema, "components": spec["components"]}).validate(
        response.json()
    )


def test_every_answer_a_route_gives_is_described_with_its_schema(
    api_app: App, schools: None
) -> None:
    from tests.archives import export_archive

    api_app.settings.web.max_upload_mb = 1
    exports = "/api/v1/schools/{uai}/exports"
    with client_for(api_app) as client:
        spec = client.get("/api/v1/openapi.json").json()
        validate(spec)
        calls = [
            ("/api/v1/schools", "get", client.get("/api/v1/schools", headers=auth(TOKEN))),
            ("/api/v1/schools", "get", client.get("/api/v1/schools")),
            (
                "/api/v1/schools",
                "get",
                client.get("/api/v1/schools?offset=-1", headers=auth(TOKEN)),
            ),
            (
                "/api/v1/schools/{uai}",
                "get",
                client.get("/api/v1/schools/0441234C", headers=auth(TOKEN)),
            ),
            (
                "/api/v1/schools/{uai}",
                "get",
                client.get("/api/v1/schools/0441239J", headers=auth(TOKEN)),
            ),
            (
                "/api/v1/schools/{uai}",
                "get",
                client.get("/api/v1/schools/0441234C", headers=auth("x")),
            ),
            ("/api/v1/stages", "get", client.get("/api/v1/stages", headers=auth(TOKEN))),
            ("/api/v1/stages", "get", client.get("/api/v1/stages", headers=auth(SCHOOL_TOKEN))),
            ("/api/v1/stages", "get", client.get("/api/v1/stages")),
        ]
        post = client.post
        url = "/api/v1/schools/0441234C/exports"
        archive = {"Content-Type": "application/zip"}
        calls += [
            (
                exports,
                "post",
                post(url, content=export_archive(), headers={**auth(TOKEN), **archive}),
            ),
            (
                exports,
                "post",
                post(url, content=b"PK\x03\x04junk", headers={**auth(TOKEN), **archive}),
            ),
            (exports, "post", post(url, content=b"", headers={**auth(TOKEN), **archive})),
            (exports, "post", post(url, content=b"x")),
            (
                exports,
                "post",
                post("/api/v1/schools/0441235D/exports", content=b"x", headers=auth(SCHOOL_TOKEN)),
            ),
            (
                exports,
                "post",
                post("/api/v1/schools/nope/exports", content=b"x", headers=auth(TOKEN)),
            ),
            (exports, "post", post(url, content=b"x" * (2 * 1024 * 1024), headers=auth(TOKEN))),
            (exports, "post", post(url, files={"file": ("notes.txt", b"x")}, headers=auth(TOKEN))),
        ]
    statuses = {(path, method, r.status_code) for path, method, r in calls}
    assert {s for _p, _m, s in statuses} >= {200, 201, 400, 401, 403, 404, 413, 415, 422}
    for path, method, response in calls:
        _answer_matches(spec, path, method, response)
