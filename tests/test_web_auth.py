"""Coordinator sign-in: passwords, cookie flags, rate limit, logout, disabled accounts."""

from __future__ import annotations

from pathlib import Path

from daemon.app import App
from daemon.web.accounts import set_user_active
from db.engine import transaction
from tests.conftest import NOW, make_settings
from tests.web_helpers import EMAIL, PASSWORD, client_for, csrf_from, make_user, sign_in


def _login(client, password: str, email: str = EMAIL):
    token = csrf_from(client.get("/connexion").text)
    return client.post(
        "/connexion", data={"email": email, "password": password, "csrf_token": token}
    )


def test_a_coordinator_signs_in_and_reaches_the_page_asked_for(app: App) -> None:
    make_user(app)
    with client_for(app) as client:
        first = client.get("/ecoles?etape=errors")
        assert first.status_code == 303
        login_page = client.get(first.headers["location"])
        assert 'name="suivant" value="/ecoles?etape=errors"' in login_page.text
        token = csrf_from(login_page.text)
        response = client.post(
            "/connexion",
            data={
                "email": EMAIL.upper(),
                "password": PASSWORD,
                "csrf_token": token,
                "suivant": "/ecoles?etape=errors",
            },
        )
        assert response.status_code == 303
        assert response.headers["location"] == "/ecoles?etape=errors"
        assert client.get("/ecoles").status_code == 200


def test_after_login_a_foreign_redirect_is_ignored(app: App) -> None:
    make_user(app)
    with client_for(app) as client:
        token = csrf_from(client.get("/connexion").text)
        response = client.post(
            "/connexion",
            data={
                "email": EMAIL,
                "password": PASSWORD,
                "csrf_token": token,
                "suivant": "//evil.example/",
            },
        )
        assert response.headers["location"] == "/"


def test_a_wrong_password_is_refused_in_french(app: App) -> None:
    make_user(app)
    with client_for(app) as client:
        response = _login(client, "pas-le-bon-mot-de-passe")
        assert response.status_code == 401
        assert "Adresse ou mot de passe incorrect" in response.text
        assert client.get("/").status_code == 303


def test_the_session_cookie_is_httponly_lax_and_not_secure_over_http(app: App) -> None:
    make_user(app)
    with client_for(app) as client:
        response = _login(client, PASSWORD)
        cookie = response.headers["set-cookie"].lower()
        assert "relance_session=" in cookie
        assert "httponly" in cookie and "samesite=lax" in cookie and "secure" not in cookie
        assert f"max-age={12 * 3600}" in cookie


def test_the_cookie_is_secure_when_the_site_is_https(tmp_path: Path, database_url: str) -> None:
    settings = make_settings(
        tmp_path, database_url, web={"base_url": "https://relance.example.org", "session_hours": 2}
    )
    app = App(settings, clock=lambda: NOW)
    try:
        make_user(app)
        with client_for(app, base_url="https://testserver") as client:
            cookie = _login(client, PASSWORD).headers["set-cookie"].lower()
        assert "secure" in cookie and "httponly" in cookie and "max-age=7200" in cookie
    finally:
        app.close()


def test_failed_logins_are_rate_limited_per_address_and_account(
    tmp_path: Path, database_url: str
) -> None:
    settings = make_settings(tmp_path, database_url, web={"login_attempts_per_minute": 3})
    app = App(settings, clock=lambda: NOW)
    try:
        make_user(app)
        make_user(app, email="collegue@example.org", password="un autre mot de passe")
        with client_for(app) as client:
            for _ in range(3):
                assert _login(client, "mauvais-mot-de-passe").status_code == 401
            blocked = _login(client, PASSWORD)  # even the right password waits
            assert blocked.status_code == 429
            assert "Trop de tentatives" in blocked.text
            assert client.get("/").status_code == 303
            # a colleague behind the same address (a reverse proxy) still signs in
            colleague = _login(client, "un autre mot de passe", email="collegue@example.org")
            assert colleague.status_code == 303 and client.get("/").status_code == 200
    finally:
        app.close()


def test_logout_ends_the_session(app: App) -> None:
    make_user(app)
    with client_for(app) as client:
        token = sign_in(client)
        response = client.post("/deconnexion", data={"csrf_token": token})
        assert response.status_code == 303 and response.headers["location"] == "/connexion"
        assert client.get("/").status_code == 303


def test_a_disabled_account_loses_its_session_and_cannot_sign_in(app: App) -> None:
    make_user(app)
    with client_for(app) as client:
        sign_in(client)
        with transaction(app.engine) as session:
            set_user_active(session, email=EMAIL, active=False, now=NOW)
        assert client.get("/").status_code == 303
        assert _login(client, PASSWORD).status_code == 401


def test_a_tampered_session_cookie_is_ignored(app: App) -> None:
    make_user(app)
    with client_for(app) as client:
        sign_in(client)
        value = client.cookies["relance_session"]
        client.cookies.clear()
        tampered = value[:-2] + ("AA" if value[-2:] != "AA" else "BB")
        client.cookies.set("relance_session", tampered)
        assert client.get("/").status_code == 303


def test_a_sign_in_is_recorded_on_the_account(app: App) -> None:
    from daemon.web.accounts import get_user
    from db.engine import reading

    make_user(app)
    with client_for(app) as client:
        sign_in(client)
    with reading(app.engine) as session:
        user = get_user(session, EMAIL)
        assert user is not None and user.last_login_at == NOW
