"""CSRF tokens: bound to one session (or one director link), required on every form POST."""

from __future__ import annotations

import re

import pytest
from sqlmodel import Session

from daemon.app import App
from daemon.school.links import make_token, secret_key
from daemon.web.render import PACKAGED_TEMPLATES
from tests.conftest import NOW
from tests.factories import UAI
from tests.web_helpers import (
    EMAIL,
    PASSWORD,
    client_for,
    concrete,
    csrf_from,
    make_user,
    route_list,
    school,
    signed_in,
)


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


def test_every_post_form_of_every_template_carries_the_token() -> None:
    """The pages' forms all come from templates/pages: each POST form has the hidden field."""
    forms = 0
    for template in sorted((PACKAGED_TEMPLATES / "pages").rglob("*.html")):
        html = template.read_text(encoding="utf-8")
        for form in re.finditer(r"<form\b([^>]*)>(.*?)</form>", html, re.S | re.I):
            method = re.search(r'method="(\w+)"', form.group(1))
            assert method, f"{template.name}: a form without an explicit method"
            if method.group(1).lower() == "post":
                forms += 1
                assert "csrf_field(request)" in form.group(2), f"{template.name}: {form.group(1)}"
    assert forms >= 8


@pytest.mark.parametrize(
    "path", [p for m, p in route_list() if m == "POST" and not p.startswith("/api/")]
)
def test_every_post_route_refuses_a_missing_or_wrong_token(
    app: App, session: Session, path: str
) -> None:
    """Every POST route of the app, signed in and with a valid link of a real school."""
    school(session, UAI)
    token = make_token(
        secret_key(app.settings), uai=UAI, campaign=app.settings.campaign.name, now=NOW
    )
    url = concrete(path).replace("jeton-invalide", token)
    with signed_in(app) as (client, good):
        if "{token}" in path:
            good = csrf_from(client.get(f"/ecole/{token}").text)
        form = {"note": "x", "confirmer": "oui", "categorie": "onde", "email": EMAIL}
        for sent in ({}, {"csrf_token": "faux"}, {"csrf_token": good + "x"}):
            response = client.post(url, data={**form, **sent})
            assert response.status_code == 403, (sent, response.text[:300])
            assert "Jeton de sécurité" in response.text
        assert client.get("/ecoles").status_code == 200  # still signed in: nothing acted
