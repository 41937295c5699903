"""The web application: every route guarded, security headers, health, French error pages."""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import re
import socket
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from daemon.app import App
from daemon.ingest.intake.intake import Intake
from daemon.school.actions import add_note
from daemon.school.links import make_token, secret_key
from daemon.web import coordinator
from daemon.web.app import create_app, run_web
from db.campaigns import get_follow_up
from db.models import Document, Event, FollowUp, IntakeFile, Reminder
from db.schools import add_school, get_school
from tests.conftest import NOW, make_settings
from tests.factories import OTHER, UAI, cr_text
from tests.web_helpers import EMAIL, client_for, concrete, csrf_from, route_list, signed_in

PUBLIC = {("GET", "/connexion"), ("POST", "/connexion"), ("GET", "/healthz")}
ROUTES = route_list()


def test_the_route_list_covers_the_pages_and_the_api() -> None:
    paths = {path for _, path in ROUTES}
    assert {"/", "/ecoles", "/ecoles/{uai}", "/quarantaine", "/api/v1/schools"} <= paths


@pytest.mark.parametrize(("method", "path"), [r for r in ROUTES if r not in PUBLIC])
def test_every_route_is_denied_without_a_session_or_token(app: App, method: str, path: str) -> None:
    with client_for(app) as client:
        response = client.request(method, concrete(path), data={"csrf_token": "x"})
    if path.startswith("/api/"):
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == "Bearer"
    elif path == "/ecole" or path.startswith("/ecole/"):  # director pages: no link, nothing
        assert response.status_code in (400, 401, 403, 404, 410)
    elif path == "/deconnexion":  # no session: nothing to end, and no valid CSRF token
        assert response.status_code == 403
    else:
        assert response.status_code == 303
        assert response.headers["location"].startswith("/connexion?suivant=")


@pytest.mark.parametrize(
    ("method", "path"),
    [r for r in ROUTES if r[0] == "POST" and not r[1].startswith(("/api/", "/ecole/"))],
)
def test_every_form_post_is_refused_without_the_csrf_token(
    app: App, method: str, path: str
) -> None:
    with signed_in(app) as (client, _token):
        response = client.post(concrete(path), data={"note": "x"})
        assert response.status_code == 403
        assert "Jeton de sécurité" in response.text
        wrong = client.post(concrete(path), data={"note": "x", "csrf_token": "faux"})
        assert wrong.status_code == 403


def test_security_headers_are_on_every_answer(app: App) -> None:
    with client_for(app) as client:
        for path in ("/connexion", "/healthz", "/static/style.css", "/nulle-part", "/"):
            headers = client.get(path).headers
            csp = headers["content-security-policy"]
            assert "default-src 'self'" in csp and "script-src 'none'" in csp
            assert "unsafe-inline" not in csp
            assert headers["x-content-type-options"] == "nosniff"
            assert headers["referrer-policy"] == "same-origin"
            assert headers["x-frame-options"] == "DENY"


def _assert_security_headers(response: httpx.Response, where: str) -> None:
    headers = response.headers
    csp = headers.get("content-security-policy", "")
    assert "default-src 'self'" in csp and "script-src 'none'" in csp, where
    assert "unsafe-inline" not in csp, where
    assert headers.get("x-content-type-options") == "nosniff", where
    assert headers.get("referrer-policy") == "same-origin", where
    assert headers.get("x-frame-options") == "DENY", where


def test_security_headers_are_on_every_route_signed_in_or_not(app: App) -> None:
    with signed_in(app) as (client, csrf), client_for(app) as anonymous:
        for method, path in ROUTES:
            url = concrete(path)
            for who, http in (("signed in", client), ("anonymous", anonymous)):
                response = http.request(method, url, data={"csrf_token": csrf})
                _assert_security_headers(response, f"{who} {method} {url}")
                if path.startswith(("/api/", "/ecoles", "/ecole/", "/quarantaine")):
                    assert response.headers.get("cache-control") == "no-store", url


def test_an_internal_error_page_has_the_security_headers_too(app: App) -> None:
    web = create_app(app)

    def broken() -> None:
        raise RuntimeError("boom")

    web.add_api_route("/api/v1/en-panne", broken)
    web.add_api_route("/en-panne", broken)
    with TestClient(web, raise_server_exceptions=False) as client:
        for path in ("/en-panne", "/api/v1/en-panne"):
            response = client.get(path)
            assert response.status_code == 500 and "boom" not in response.text
            _assert_security_headers(response, path)


@pytest.mark.parametrize("streamed", [False, True], ids=["declared", "chunked"])
def test_no_route_takes_a_body_over_the_upload_limit(
    tmp_path, database_url: str, engine, streamed: bool
) -> None:
    """Every POST route, signed in or not, with a body over the limit: declared by its length
    or streamed without one (chunked), it is refused with 413 before it is all taken."""
    settings = make_settings(
        tmp_path, database_url, web={"max_upload_mb": 1, "api_token": "jeton-" + "x" * 30}
    )
    app = App(settings, clock=lambda: NOW, _engine=engine)
    with Session(engine) as session:
        add_school(session, now=NOW, uai=UAI, actor="t", name="École Saint-Joseph")
        session.commit()
    token = make_token(secret_key(settings), uai=UAI, campaign=settings.campaign.name, now=NOW)
    boundary = "limite"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="fichier"; filename="cr.txt"\r\n'
        "Content-Type: text/plain\r\n\r\n"
    ).encode()
    body = head + b"a" * (2 * 1024 * 1024) + f"\r\n--{boundary}--\r\n".encode()

    def chunks() -> Iterator[bytes]:
        for start in range(0, len(body), 64 * 1024):
            yield body[start : start + 64 * 1024]

    headers = {
        "content-type": f"multipart/form-data; boundary={boundary}",
        "authorization": f"Bearer {settings.web.api_token}",  # the API reads the body too
    }
    with signed_in(app) as (client, _csrf), client_for(app) as anonymous:
        for method, path in ROUTES:
            if method != "POST":
                continue
            url = concrete(path).replace("jeton-invalide", token)
            for who, http in (("signed in", client), ("anonymous", anonymous)):
                content = chunks() if streamed else body
                response = http.post(url, content=content, headers=headers)
                where = f"{who} POST {url} → {response.status_code}"
                if who == "anonymous" and response.status_code == 303:
                    continue  # a coordinator page: sent to the login form, the body unread
                assert response.status_code == 413, where
                assert "1 Mo" in response.text, where
    assert not (settings.state_path / "web-uploads" / UAI).exists()
    app.close()


def test_pages_have_no_inline_script_or_style(app: App) -> None:
    with signed_in(app) as (client, _token):
        for path in ("/", "/ecoles", "/quarantaine", "/connexion"):
            html = client.get(path).text
            assert "<script" not in html and "style=" not in html and "<style" not in html


def test_health_without_a_daemon_running_is_ok(app: App) -> None:
    """No part has a heartbeat and no sender has written yet: nothing is down."""
    with client_for(app) as client:
        public = client.get("/healthz")
    assert public.status_code == 200
    assert public.json() == {"status": "ok", "parts": {"smtp": "ok"}}
    with signed_in(app) as (client, _csrf):
        response = client.get("/healthz")
    assert response.status_code == 200 and response.json() == {
        "status": "ok",
        "started_at": None,
        "parts": {},
        "instances": {},
        "scheduler_last_tick_at": None,
        "delivery": {
            "smtp": {
                "state": "unknown",
                "up": True,
                "since": None,
                "last_error": "",
                "last_sent_at": None,
                "sent": 0,
            }
        },
    }


def test_error_pages_are_in_french(app: App) -> None:
    with signed_in(app) as (client, _token):
        response = client.get("/page-qui-n-existe-pas")
        assert response.status_code == 404
        assert "Page introuvable" in response.text and 'lang="fr"' in response.text
        assert "Not Found" not in response.text
        unknown = client.get("/ecoles/0449999Z")
        assert unknown.status_code == 404 and "École inconnue" in unknown.text
        bad_page = client.get("/ecoles?page=abc")
        assert bad_page.status_code == 422 and "Formulaire incomplet" in bad_page.text


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_run_web_serves_until_stop_is_set(tmp_path, database_url: str) -> None:
    port = _free_port()
    settings = make_settings(tmp_path, database_url, web={"port": port, "host": "127.0.0.1"})
    app = App(settings)

    async def scenario() -> int:
        stop = asyncio.Event()
        task = asyncio.create_task(run_web(app, stop))
        async with httpx.AsyncClient() as client:
            for _ in range(100):
                try:
                    response = await client.get(f"http://127.0.0.1:{port}/healthz")
                    break
                except httpx.ConnectError:
                    await asyncio.sleep(0.05)
        stop.set()
        await asyncio.wait_for(task, 10)
        return response.status_code

    try:
        assert asyncio.run(scenario()) == 200
    finally:
        app.close()


def test_run_web_fails_clearly_when_the_port_is_taken(tmp_path, database_url: str) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = int(busy.getsockname()[1])
        settings = make_settings(tmp_path, database_url, web={"port": port})
        app = App(settings)
        try:
            with pytest.raises(RuntimeError, match="could not listen"):
                asyncio.run(asyncio.wait_for(run_web(app, asyncio.Event()), 10))
        finally:
            app.close()


def test_health_reports_the_parts_and_503_when_a_part_is_down(app: App) -> None:
    from daemon.runtime.lifecycle import Lifecycle

    async def idle(_app: App, stop: asyncio.Event) -> None:
        await stop.wait()

    lifecycle = Lifecycle(app, [("web", idle)])
    with client_for(app) as client:
        lifecycle.states["web"].alive = True
        assert asyncio.run(lifecycle.beat())
        ok = client.get("/healthz")
        assert ok.status_code == 200
        assert ok.json() == {"status": "ok", "parts": {"web": "ok", "smtp": "ok"}}
        lifecycle.states["web"].alive = False
        assert asyncio.run(lifecycle.beat())
        down = client.get("/healthz")
        assert down.status_code == 503 and down.json()["status"] == "pas ok"


def test_healthz_says_only_ok_or_pas_ok_publicly_and_the_details_to_coordinators(
    app: App,
) -> None:
    import datetime as dt

    from daemon.delivery.health import server_name
    from daemon.runtime.lifecycle import Lifecycle
    from db.engine import transaction
    from db.health import note_smtp
    from db.states import SmtpState

    async def idle(_app: App, stop: asyncio.Event) -> None:
        await stop.wait()

    lifecycle = Lifecycle(app, [("web", idle), ("sender", idle)])
    lifecycle.states["web"].alive = True
    lifecycle.states["sender"].last_error = "RuntimeError: mot de passe refusé par smtp.interne"
    assert asyncio.run(lifecycle.beat())
    with transaction(app.engine) as session:
        note_smtp(
            session,
            server=server_name(app.settings.smtp),
            state=SmtpState.DOWN,
            now=dt.datetime(2026, 9, 14, 8, 0, tzinfo=dt.UTC),
            error="Connexion refusée par 10.0.0.12:25",
        )
    with client_for(app) as anyone:
        public = anyone.get("/healthz")
    assert public.status_code == 503
    assert public.json() == {
        "status": "pas ok",
        "parts": {"web": "ok", "sender": "pas ok", "smtp": "pas ok"},
    }
    with signed_in(app) as (coordinator, _csrf):
        details = coordinator.get("/healthz").json()
    assert details["delivery"]["smtp"]["last_error"] == "Connexion refusée par 10.0.0.12:25"
    assert "mot de passe refusé" in details["parts"]["sender"]["last_error"]


def test_an_smtp_outage_is_shown_on_every_coordinator_page(app: App) -> None:
    import datetime as dt

    from db.engine import transaction
    from db.health import note_smtp
    from db.states import SmtpState

    server = f"{app.settings.smtp.host}:{app.settings.smtp.port}"

    def sender_saw(state: SmtpState, error: str = "") -> None:
        with transaction(app.engine) as session:
            at = dt.datetime(2026, 9, 14, 8, 0, tzinfo=dt.UTC)
            note_smtp(session, server=server, state=state, now=at, error=error)

    with signed_in(app) as (client, _csrf):
        assert "serveur de courrier ne répond pas" not in client.get("/").text
        sender_saw(SmtpState.DOWN, "Connexion refusée")
        for path in ("/", "/ecoles", "/quarantaine"):
            page = client.get(path).text
            assert "Le serveur de courrier ne répond pas depuis le 14/09/2026 10:00" in page
            assert "Connexion refusée" in page
        sender_saw(SmtpState.UP)
        assert "serveur de courrier ne répond pas" not in client.get("/").text


# ---- one school's credentials against every route ----------------------------------------------
SECRET_NAME = "École Secrète du Bourg"
SECRET_EMAIL = "direction-secrete@example.org"
SECRET_NOTE = "note confidentielle sur le Bourg"
SCHOOL_TOKEN = "jeton-de-l-ecole-a-" + "x" * 20


def _school_state(session: Session, uai: str) -> dict[str, Any]:
    """Everything recorded about one school: compared before and after the attempts."""
    session.rollback()
    row = get_school(session, uai=uai)
    assert row is not None and row.id is not None

    def rows(model: Any) -> list[dict[str, Any]]:
        found = session.exec(select(model).where(model.school_id == row.id).order_by(model.id))
        return [r.model_dump() for r in found]

    return {
        "school": row.model_dump(),
        "follow_ups": rows(FollowUp),
        "events": rows(Event),
        "documents": rows(Document),
        "intake": rows(IntakeFile),
        "reminders": rows(Reminder),
    }


def test_one_schools_link_and_token_open_nothing_of_another_on_every_route(
    tmp_path, database_url: str, engine
) -> None:
    """With school A's signed link, its CSRF token and its API token, every route of the app is
    tried against school B: nothing of B is shown, nothing of B changes."""
    settings = make_settings(
        tmp_path, database_url, web={"api_token": "", "school_tokens": {UAI: SCHOOL_TOKEN}}
    )
    app = App(settings, clock=lambda: NOW, _engine=engine)
    with Session(engine, expire_on_commit=False) as session:
        add_school(session, now=NOW, uai=UAI, actor="t", name="École Saint-Joseph")
        add_school(
            session, now=NOW, uai=OTHER, actor="t", name=SECRET_NAME, director_email=SECRET_EMAIL
        )
        session.commit()
        campaign = app.campaign(session, NOW)
        session.commit()
        other = get_school(session, uai=OTHER)
        assert other is not None
        add_note(session, school=other, campaign=campaign, text=SECRET_NOTE, now=NOW, actor="t")
        session.commit()
    their_report = cr_text(OTHER)
    intake = Intake(app)
    theirs = intake.take_bytes(their_report, filename="cr.txt", channel="folder", now=NOW)
    assert theirs.outcome == "processed" and theirs.uai == OTHER
    refused = intake.take_bytes(
        b"PK\x03\x04 pas une archive",
        filename=f"{OTHER}.zip",
        channel="api",
        now=NOW,
        school_uai=OTHER,
    )
    assert refused.outcome == "quarantined"
    with Session(engine, expire_on_commit=False) as session:
        before = _school_state(session, OTHER)
    secrets_of_b = (SECRET_NAME, SECRET_EMAIL, SECRET_NOTE, "Secr&#232;te", "Secr\\u00e8te")

    token = make_token(secret_key(settings), uai=UAI, campaign=settings.campaign.name, now=NOW)
    values: dict[str, list[str]] = dict(
        action=[*coordinator.ACTIONS, *coordinator.QUARANTINE_ACTIONS, "x"],
        kind=["document", "envoi"],
        key=["x"],
        uai=[OTHER],
        token=[token],
        intake_id=[str(refused.intake_id)],
        file_id=[str(theirs.document_id)],
        document_id=[str(theirs.document_id)],
        number=["1"],
    )
    tried = 0
    with client_for(app, headers={"Authorization": f"Bearer {SCHOOL_TOKEN}"}) as client:
        page = client.get(f"/ecole/{token}", follow_redirects=True)
        assert page.status_code == 200 and "École Saint-Joseph" in page.text
        csrf = csrf_from(page.text)
        # B's own compte rendu, staged on A's page: confirming it must not touch B
        staged = client.post(
            "/ecole/depot",
            data={"csrf_token": csrf},
            files={"fichier": ("cr.txt", their_report)},
        )
        fichier_id = re.search(r'name="fichier_id" value="([^"]+)"', staged.text)
        assert staged.status_code == 200 and fichier_id
        form = {
            "csrf_token": csrf,
            "confirmer": "oui",
            "categorie": "onde",
            "detail": "essai",
            "date": (NOW + dt.timedelta(days=3)).date().isoformat(),
            "fichier_id": fichier_id.group(1),
            "uai": OTHER,
            "note": "essai",
            "adresse": "intrus@example.org",
            "jusquau": "2026-09-20",
            "email": EMAIL,
            "password": "faux",
        }
        for method, path in route_list():
            names = re.findall(r"\{(\w+)(?::\w+)?\}", path)
            unknown = [n for n in names if n not in values]
            assert not unknown, f"{path}: no value to try for {unknown}: add one to this test"
            combos = itertools.product(*(values[n] for n in names))
            for combo in combos:
                url = path
                for name, value in zip(names, combo, strict=True):
                    url = re.sub(r"\{" + name + r"(:\w+)?\}", value, url)
                kwargs: dict[str, Any] = {"params": {"uai": OTHER, "ecole": OTHER}}
                if method == "POST":
                    kwargs["data"] = form
                    if path.startswith("/api/"):
                        kwargs = {"content": their_report}
                    elif path.endswith("/depot"):
                        kwargs["files"] = {"fichier": ("cr.txt", their_report)}
                response = client.request(method, url, **kwargs)
                tried += 1
                where = f"{method} {url} → {response.status_code}"
                for secret in secrets_of_b:
                    assert secret not in response.text, f"{where} shows school B"
                if "{token}" in path or path == "/ecole" or path.startswith("/ecole/"):
                    assert response.status_code < 500, where  # A's own page: for A only
                elif path == "/api/v1/schools" and method == "GET":
                    assert [s["uai"] for s in response.json()["schools"]] == [UAI], where
                elif (method, path) in PUBLIC:  # the sign-in form, the health check
                    assert response.status_code in (200, 401, 403), where
                elif path.startswith("/api/"):
                    assert response.status_code in (401, 403, 404), where
                else:  # coordinator pages: the link is no session
                    assert response.status_code in (303, 403), where
                    if response.status_code == 303:
                        assert response.headers["location"].startswith("/connexion"), where
    assert tried > len(route_list())
    with Session(engine, expire_on_commit=False) as session:
        after = _school_state(session, OTHER)
        assert after == before
        mine = get_school(session, uai=UAI)
        assert mine is not None
        ours = get_follow_up(session, school_id=mine.id, campaign_id=campaign.id)  # type: ignore[arg-type]
        assert ours is not None and ours.problem_category == "onde"  # A's own link did act
    app.close()
