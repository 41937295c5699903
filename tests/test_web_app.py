"""The web application: every route guarded, security headers, health, French error pages."""

from __future__ import annotations

import asyncio
import socket

import httpx
import pytest

from daemon.app import App
from daemon.web.app import run_web
from tests.conftest import make_settings
from tests.web_helpers import client_for, concrete, route_list, signed_in

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
    elif path.startswith("/ecole/"):  # director pages: a bogus link gives nothing
        assert response.status_code in (400, 403, 404, 410)
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


def test_pages_have_no_inline_script_or_style(app: App) -> None:
    with signed_in(app) as (client, _token):
        for path in ("/", "/ecoles", "/quarantaine", "/connexion"):
            html = client.get(path).text
            assert "<script" not in html and "style=" not in html and "<style" not in html


def test_health_without_a_lifecycle_is_ok(app: App) -> None:
    with client_for(app) as client:
        response = client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


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


def test_health_reports_the_lifecycle_and_503_when_a_part_is_down(app: App) -> None:
    from daemon.main import Lifecycle

    async def idle(_app: App, stop: asyncio.Event) -> None:
        await stop.wait()

    lifecycle = Lifecycle(app, [("web", idle)])
    app.lifecycle = lifecycle
    with client_for(app) as client:
        lifecycle.states["web"].alive = True
        ok = client.get("/healthz")
        assert ok.status_code == 200 and ok.json()["status"] == "ok"
        assert "web" in ok.json()["parts"]
        lifecycle.states["web"].alive = False
        down = client.get("/healthz")
        assert down.status_code == 503 and down.json()["status"] == "degraded"
