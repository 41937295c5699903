"""CSRF tokens: bound to one session (or one director link), required on every form POST."""

from __future__ import annotations

from daemon.app import App
from tests.web_helpers import EMAIL, PASSWORD, client_for, csrf_from, make_user, signed_in


def test_the_login_form_needs_its_token(app: App) -> None:
    make_user(app)
    with client_for(app) as client:
        client.get("/connexion")
        response = client.post("/connexion", data={"email": EMAIL, "password": PASSWORD})
        assert response.status_code == 403
        assert client.get("/").status_code == 303


def test_a_token_from_another_session_is_refused(app: App) -> None:
    with signed_in(app) as (client, _token), client_for(app) as other:
        foreign = csrf_from(other.get("/connexion").text)
        response = client.post(
            "/ecoles/0441234C/actions/note", data={"note": "x", "csrf_token": foreign}
        )
        assert response.status_code == 403


def test_the_token_is_the_same_across_the_pages_of_a_session(app: App) -> None:
    with signed_in(app) as (client, token):
        assert csrf_from(client.get("/").text) == token
        assert csrf_from(client.get("/quarantaine").text) == token


def test_signing_in_starts_a_new_token(app: App) -> None:
    make_user(app)
    with client_for(app) as client:
        before = csrf_from(client.get("/connexion").text)
        client.post("/connexion", data={"email": EMAIL, "password": PASSWORD, "csrf_token": before})
        after = csrf_from(client.get("/").text)
        assert after != before
