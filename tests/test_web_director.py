"""The director's page: reached by a signed link, one school only, every change a confirmed POST."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import os
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bench.reliability.hostile import cpu_bomb_pdf
from daemon.app import App
from daemon.config import Settings
from daemon.reminders.mails import reminder_payload
from daemon.school.links import make_token, secret_key
from daemon.school.open_items import load_open_items
from daemon.web.app import create_app
from db.models import Document, Event, FollowUp, IntakeFile, Reminder
from db.schools import add_school, edit_school, get_school
from tests.conftest import NOW, make_settings
from tests.factories import OTHER, UAI, cr_text
from tests.web_helpers import free_port, serving, signed_in

HOSTILE = '<script>alert("x")</script> École'


@pytest.fixture
def schools(session: Session) -> None:
    add_school(session, now=NOW, uai=UAI, actor="t", name="École Saint-Joseph")
    add_school(session, now=NOW, uai=OTHER, actor="t", name=HOSTILE)
    session.commit()


@pytest.fixture
def client(app: App, schools: None) -> Iterator[TestClient]:
    with TestClient(create_app(app), base_url="http://127.0.0.1") as client:
        yield client


def link(
    app: App, uai: str = UAI, *, now: dt.datetime = NOW, campaign: str = "", version: int = 1
) -> str:
    campaign = campaign or app.settings.campaign.name
    token = make_token(
        secret_key(app.settings), uai=uai, campaign=campaign, now=now, version=version
    )
    return f"/ecole/{token}"


def csrf(page: Response) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found, "no CSRF field on the page"
    return found.group(1)


def clean(url: str) -> str:
    """Where a form of the link's page posts: `/ecole/<token>/relance` → `/ecole/relance` (the
    link, once opened, is kept in the session and out of the addresses)."""
    return re.sub(r"^/ecole/[^/]+/", "/ecole/", url)


def post(client: TestClient, url: str, data: dict[str, str], *, page: str = "") -> Response:
    """Open the link at `page` (default: the one `url` starts with), then POST its form with
    the page's CSRF token."""
    token = csrf(client.get(page or url.rsplit("/", 1)[0]))
    return client.post(clean(url), data={**data, "csrf_token": token}, follow_redirects=False)


def upload(
    client: TestClient, base: str, name: str, data: bytes
) -> tuple[Response, Response | None]:
    """Open the link, drop a file, then confirm it: (the confirm page, the result page or
    None)."""
    token = csrf(client.get(base))
    staged = client.post(
        "/ecole/depot", data={"csrf_token": token}, files={"fichier": (name, data)}
    )
    found = re.search(r'name="fichier_id" value="([^"]+)"', staged.text)
    if staged.status_code != 200 or not found:
        return staged, None
    done = client.post(
        "/ecole/depot/confirmer", data={"csrf_token": token, "fichier_id": found.group(1)}
    )
    return staged, done


def follow_up(session: Session, uai: str) -> FollowUp:
    session.rollback()
    school = get_school(session, uai=uai)
    assert school is not None
    found = session.exec(select(FollowUp).where(FollowUp.school_id == school.id)).first()
    return found or FollowUp(school_id=school.id, campaign_id=0)  # no campaign opened yet


# ---- the link ---------------------------------------------------------------------------------
def test_the_page_shows_the_stage_and_the_next_step(client: TestClient, app: App) -> None:
    page = client.get(link(app))
    assert page.status_code == 200
    assert "École Saint-Joseph" in page.text and UAI in page.text
    assert 'data-stage="awaiting_export"' in page.text and "Export attendu" in page.text
    assert "Exporter les élèves depuis Ange" in page.text
    assert page.headers["cache-control"] == "no-store"


def test_an_altered_link_is_refused_with_a_french_page(client: TestClient, app: App) -> None:
    url = link(app)
    page = client.get(url[:-3] + ("aaa" if not url.endswith("aaa") else "bbb"))
    assert page.status_code == 403
    assert "Lien invalide" in page.text and "École Saint-Joseph" not in page.text


def test_an_expired_link_says_so(client: TestClient, app: App) -> None:
    old = NOW - dt.timedelta(days=app.settings.web.link_ttl_days + 1)
    page = client.get(link(app, now=old))
    assert page.status_code == 410
    assert "Lien expiré" in page.text and "dernier message" in page.text


def test_a_link_of_another_campaign_is_gone(client: TestClient, app: App) -> None:
    page = client.get(link(app, campaign="2025-2026"))
    assert page.status_code == 410 and "campagne terminée" in page.text


def test_once_the_next_campaign_is_opened_its_links_open_and_the_last_ones_are_gone(
    client: TestClient, app: App
) -> None:
    assert client.get(link(app)).status_code == 200  # the configured campaign, 2026-2027
    dates = {"start": dt.date(2027, 9, 1), "observation_date": dt.date(2027, 9, 17)}
    dates["deadline"] = dt.date(2027, 10, 1)
    app.open_next_campaign(name="2027-2028", dates=dates, now=NOW, actor="t")
    old = client.get(link(app))
    assert old.status_code == 410 and "campagne terminée" in old.text
    page = client.get(link(app, campaign="2027-2028"))
    assert page.status_code == 200 and "École Saint-Joseph" in page.text
    assert 'data-stage="awaiting_export"' in page.text


def test_a_link_signed_with_another_key_is_refused(client: TestClient, app: App) -> None:
    token = make_token("une autre clé", uai=UAI, campaign=app.settings.campaign.name, now=NOW)
    assert client.get(f"/ecole/{token}").status_code == 403


def test_a_link_to_a_school_no_longer_followed_is_refused(
    client: TestClient, app: App, session: Session
) -> None:
    school = get_school(session, uai=UAI)
    assert school is not None
    school.active = False
    session.commit()
    page = client.get(link(app))
    assert page.status_code == 403 and "plus suivie" in page.text


def test_hostile_school_names_are_escaped(client: TestClient, app: App) -> None:
    page = client.get(link(app, OTHER))
    assert page.status_code == 200
    assert "<script>" not in page.text and "&lt;script&gt;" in page.text


# ---- every action route: POST only, CSRF, one school ------------------------------------------
ACTIONS = ("depot", "depot/confirmer", "relance", "probleme", "valide")


@pytest.mark.parametrize("action", ACTIONS)
def test_actions_are_post_only(client: TestClient, app: App, action: str) -> None:
    client.get(link(app))
    assert client.get(clean(f"{link(app)}/{action}")).status_code == 405


@pytest.mark.parametrize("action", ACTIONS)
def test_actions_without_the_csrf_token_are_refused(
    client: TestClient, app: App, session: Session, action: str
) -> None:
    client.get(link(app))
    answer = client.post(f"/ecole/{action}", data={"confirmer": "oui", "categorie": "onde"})
    assert answer.status_code == 403
    assert follow_up(session, UAI).problem_category == ""


@pytest.mark.parametrize("action", ACTIONS)
def test_the_csrf_token_of_one_school_does_not_work_for_another(
    client: TestClient, app: App, session: Session, action: str
) -> None:
    token_a = csrf(client.get(link(app, UAI)))
    client.get(link(app, OTHER))  # the browser now holds the other school's link
    answer = client.post(
        f"/ecole/{action}",
        data={"csrf_token": token_a, "confirmer": "oui", "categorie": "onde"},
    )
    assert answer.status_code == 403
    assert follow_up(session, OTHER).problem_category == ""


@pytest.mark.parametrize("action", ("", *ACTIONS))
def test_a_link_forged_for_another_school_opens_nothing(
    client: TestClient, app: App, action: str
) -> None:
    """Change the school in a valid token's payload: the signature no longer holds."""
    token = link(app, UAI).removeprefix("/ecole/")
    payload, rest = token.split(".", 1)
    other = link(app, OTHER).removeprefix("/ecole/").split(".", 1)[0]
    forged = f"/ecole/{other}.{rest}"
    assert payload != other
    if action:
        # the forged link is never kept: with the CSRF token that would match it, its forms
        # act on nothing
        visit = client.get(forged)
        assert visit.status_code == 403 and "Lien invalide" in visit.text
        key = client.app.state.csrf_key  # type: ignore[attr-defined]
        token = hmac.new(key.encode(), f"link:{forged[7:]}".encode(), hashlib.sha256).hexdigest()
        answer = client.post(
            f"/ecole/{action}",
            data={"csrf_token": token, "confirmer": "oui", "categorie": "onde"},
            files={"fichier": ("cr.txt", cr_text(OTHER))} if action == "depot" else None,
        )
        assert answer.status_code == 403 and "Jeton de sécurité" in answer.text
    else:
        page = client.get(forged)
        assert page.status_code == 403 and HOSTILE not in page.text


def test_actions_on_one_link_change_only_its_school(
    client: TestClient, app: App, session: Session
) -> None:
    base = link(app, OTHER)
    post(client, f"{base}/probleme", {"categorie": "export", "confirmer": "oui"})
    post(client, f"{base}/valide", {"confirmer": "oui"})
    until = (NOW + dt.timedelta(days=3)).date().isoformat()
    post(client, f"{base}/relance", {"date": until, "confirmer": "oui"})
    upload(client, base, "cr.txt", cr_text(UAI))
    mine, theirs = follow_up(session, UAI), follow_up(session, OTHER)
    assert (mine.problem_category, mine.declared_validated_at, mine.snoozed_until) == (
        "",
        None,
        None,
    )
    assert theirs.problem_category == "export" and theirs.declared_validated_at is not None
    assert session.exec(select(Document)).all() == []


def test_a_file_staged_on_one_link_cannot_be_taken_from_another(
    client: TestClient, app: App, session: Session
) -> None:
    mine, theirs = link(app, UAI), link(app, OTHER)
    token = csrf(client.get(mine))
    staged = client.post(
        "/ecole/depot", data={"csrf_token": token}, files={"fichier": ("cr.txt", cr_text())}
    )
    fichier_id = re.search(r'name="fichier_id" value="([^"]+)"', staged.text)
    assert fichier_id
    stolen = post(
        client, f"{theirs}/depot/confirmer", {"fichier_id": fichier_id.group(1)}, page=theirs
    )
    assert stolen.status_code == 404 and "introuvable" in stolen.text
    assert session.exec(select(Document)).all() == []
    taken = post(client, f"{mine}/depot/confirmer", {"fichier_id": fichier_id.group(1)}, page=mine)
    assert taken.status_code == 200


# ---- dropping a file ----------------------------------------------------------------------
def test_a_compte_rendu_is_confirmed_then_read_and_the_stage_shown(
    client: TestClient, app: App, session: Session
) -> None:
    staged, done = upload(client, link(app), "compte-rendu.txt", cr_text())
    assert staged.status_code == 200 and "Déposer le fichier « compte-rendu.txt »" in staged.text
    assert done is not None and done.status_code == 200
    assert "reçu et lu" in done.text
    assert "1 élève rejeté" in done.text and "1 élève sans INE attribué" in done.text
    assert 'data-stage="errors"' in done.text and "Erreurs à corriger" in done.text
    assert "Corriger les élèves en erreur" in done.text
    document = session.exec(select(Document)).one()
    assert document.channel == "page"
    intake = session.exec(select(IntakeFile)).one()
    assert (intake.channel, intake.outcome, intake.kind) == ("page", "processed", "compte_rendu")
    assert follow_up(session, UAI).stage == "errors"
    page = client.get(link(app))
    assert 'data-stage="errors"' in page.text


def test_a_hostile_file_name_is_escaped(client: TestClient, app: App) -> None:
    staged, done = upload(client, link(app), '<img src=x onerror="alert(1)">.txt', cr_text())
    assert staged.status_code == 200 and done is not None
    for page in (staged, done):
        assert "<img" not in page.text and "&lt;img src=x" in page.text


def test_files_left_unconfirmed_are_deleted_after_an_hour(
    client: TestClient, app: App, settings: Settings
) -> None:
    folder = settings.state_path / "web-uploads" / OTHER
    folder.mkdir(parents=True)
    old = folder / "oublie.bin"
    old.write_bytes(b"donnees")
    an_hour_ago = time.time() - 3700
    os.utime(old, (an_hour_ago, an_hour_ago))
    upload(client, link(app), "cr.txt", cr_text())
    assert not old.exists()


def test_nothing_is_read_before_the_confirmation(
    client: TestClient, app: App, session: Session
) -> None:
    token = csrf(client.get(link(app)))
    client.post(
        "/ecole/depot", data={"csrf_token": token}, files={"fichier": ("cr.txt", cr_text())}
    )
    assert session.exec(select(IntakeFile)).all() == []


def test_a_confirmed_file_cannot_be_taken_twice(client: TestClient, app: App) -> None:
    base = link(app)
    token = csrf(client.get(base))
    staged = client.post(
        "/ecole/depot", data={"csrf_token": token}, files={"fichier": ("cr.txt", cr_text())}
    )
    found = re.search(r'name="fichier_id" value="([^"]+)"', staged.text)
    assert found
    form = {"csrf_token": token, "fichier_id": found.group(1)}
    assert client.post("/ecole/depot/confirmer", data=form).status_code == 200
    assert client.post("/ecole/depot/confirmer", data=form).status_code == 404


def test_a_document_of_another_school_is_refused_with_its_reason(
    client: TestClient, app: App, session: Session
) -> None:
    _staged, done = upload(client, link(app, UAI), "cr.txt", cr_text(OTHER))
    assert done is not None and done.status_code == 422
    assert "non retenu" in done.text and f"celui de l&#39;école {OTHER}" in done.text
    assert session.exec(select(IntakeFile)).one().outcome == "quarantined"


def test_an_export_archive_is_taken_on_the_page(
    client: TestClient, app: App, session: Session
) -> None:
    import random

    from daemon.demo.generate import archive, make_pupils

    pupils = make_pupils(UAI, {"CP": 5}, random.Random(1), 2026)
    _staged, done = upload(
        client, link(app), f"{UAI}.zip", archive(UAI, pupils, dt.date(2026, 9, 1))
    )
    assert done is not None and done.status_code == 200, done.text if done else ""
    assert "Archive d&#39;export" in done.text and 'data-stage="exported"' in done.text
    assert f"« {UAI}.zip » : reçue et lue." in done.text  # agreeing with « archive »
    assert "5 élèves dans l&#39;archive" in done.text
    intake = session.exec(select(IntakeFile)).one()
    assert (intake.channel, intake.kind) == ("page", "export")


def test_a_refused_archive_is_non_retenue(client: TestClient, app: App) -> None:
    from tests.archives import export_archive

    _staged, done = upload(client, link(app), f"{OTHER}.zip", export_archive(uai=OTHER))
    assert done is not None and done.status_code == 422
    assert f"Archive d&#39;export « {OTHER}.zip » : non retenue." in done.text


@pytest.mark.parametrize(
    ("name", "data", "why"),
    [
        ("programme.exe", b"MZ\x90\x00", "type de fichier non accepté"),
        ("cr.pdf", b"ceci n'est pas un PDF", "ne correspond pas à son extension .pdf"),
        (f"{UAI}.zip", b"pas une archive", "ne correspond pas à son extension .zip"),
        ("cr.txt", b"\x00\x01\x02binaire" * 10, "pas un texte lisible"),
    ],
)
def test_files_of_the_wrong_type_are_refused_before_reading(
    client: TestClient, app: App, session: Session, name: str, data: bytes, why: str
) -> None:
    staged, done = upload(client, link(app), name, data)
    assert staged.status_code == 415 and done is None
    assert why in staged.text.replace("&#39;", "'")
    assert session.exec(select(IntakeFile)).all() == []


def test_an_empty_file_is_refused(client: TestClient, app: App) -> None:
    staged, _ = upload(client, link(app), "cr.txt", b"")
    assert staged.status_code == 422 and "vide" in staged.text


def test_a_file_over_the_size_limit_is_refused(
    tmp_path: Path, database_url: str, session: Session, schools: None
) -> None:
    settings = make_settings(tmp_path, database_url, web={"max_upload_mb": 1})
    app = App(settings, clock=lambda: NOW)
    with TestClient(create_app(app), base_url="http://127.0.0.1") as client:
        staged, done = upload(client, link(app), "cr.txt", b"a" * (1024 * 1024 + 10))
    assert staged.status_code == 413 and done is None
    assert "1 Mo" in staged.text
    app.close()


def test_a_body_declared_too_large_is_refused_before_the_form_is_read(
    tmp_path: Path, database_url: str, schools: None
) -> None:
    settings = make_settings(tmp_path, database_url, web={"max_upload_mb": 1})
    app = App(settings, clock=lambda: NOW)
    with TestClient(create_app(app), base_url="http://127.0.0.1") as client:
        token = csrf(client.get(link(app)))
        staged = client.post(
            "/ecole/depot",
            data={"csrf_token": token},
            files={"fichier": ("cr.txt", b"a" * (2 * 1024 * 1024))},
        )
    assert staged.status_code == 413 and "1 Mo" in staged.text
    assert not (settings.state_path / "web-uploads" / UAI).exists()
    app.close()


# ---- the three actions ----------------------------------------------------------------------
def test_snooze_is_asked_then_done(client: TestClient, app: App, session: Session) -> None:
    base = link(app)
    day = (NOW + dt.timedelta(days=5)).date()
    asked = post(client, f"{base}/relance", {"date": day.isoformat()})
    assert asked.status_code == 200
    assert f"Ne plus recevoir de relance avant le {day:%d/%m/%Y}" in asked.text
    assert follow_up(session, UAI).snoozed_until is None
    done = post(client, f"{base}/relance", {"date": day.isoformat(), "confirmer": "oui"})
    assert done.status_code == 303 and done.headers["location"] == "/ecole?fait=relance"
    until = follow_up(session, UAI).snoozed_until
    assert until is not None and until.astimezone(dt.timezone(dt.timedelta(hours=2))).date() == day
    page = client.get(done.headers["location"])
    assert "C&#39;est noté" in page.text and f"jusqu'au {day:%d/%m/%Y}" in page.text.replace(
        "&#39;", "'"
    )
    event = session.exec(select(Event).where(Event.kind == "snoozed")).one()
    assert event.actor == "direction (page de l'école)"


@pytest.mark.parametrize(
    ("days", "why"), [(0, "dans le futur"), (-3, "dans le futur"), (60, "au plus")]
)
def test_snooze_outside_the_allowed_days_is_refused(
    client: TestClient, app: App, session: Session, days: int, why: str
) -> None:
    day = (NOW + dt.timedelta(days=days)).date().isoformat()
    for confirm in ("", "oui"):
        answer = post(client, f"{link(app)}/relance", {"date": day, "confirmer": confirm})
        assert answer.status_code == 422 and why in answer.text
    assert follow_up(session, UAI).snoozed_until is None


def test_snooze_without_a_date_is_refused(client: TestClient, app: App) -> None:
    answer = post(client, f"{link(app)}/relance", {"date": "demain"})
    assert answer.status_code == 422 and "indiquez une date" in answer.text


def test_a_problem_is_asked_then_recorded_with_its_category(
    client: TestClient, app: App, session: Session
) -> None:
    base = link(app)
    form = {"categorie": "onde", "detail": "Pas de clé OTP <b>reçue</b>"}
    asked = post(client, f"{base}/probleme", form)
    assert asked.status_code == 200 and "accès à ONDE" in asked.text
    assert "&lt;b&gt;reçue&lt;/b&gt;" in asked.text
    assert follow_up(session, UAI).problem_category == ""
    done = post(client, f"{base}/probleme", {**form, "confirmer": "oui"})
    assert done.status_code == 303
    row = follow_up(session, UAI)
    assert (row.problem_category, row.problem_detail) == ("onde", "Pas de clé OTP <b>reçue</b>")
    # no support address is configured in these settings: the page says so
    assert "aucune adresse d&#39;assistance" in client.get(done.headers["location"]).text


def test_the_confirm_step_names_who_will_help(
    tmp_path: Path, database_url: str, schools: None
) -> None:
    contacts = {"onde_support_email": "assistance-onde@ac-exemple.fr"}
    app = App(make_settings(tmp_path, database_url, contacts=contacts), clock=lambda: NOW)
    with TestClient(create_app(app), base_url="http://127.0.0.1") as client:
        asked = post(client, f"{link(app)}/probleme", {"categorie": "onde"})
    assert "Assistance ONDE de l&#39;académie (assistance-onde@ac-exemple.fr)" in asked.text
    app.close()


def test_the_page_after_a_report_names_the_contact_it_was_sent_to(
    tmp_path: Path, database_url: str, schools: None
) -> None:
    contacts = {
        "onde_support_email": "assistance-onde@ac-exemple.fr",
        "coordinator_email": "coordination@ddec-exemple.fr",
    }
    app = App(make_settings(tmp_path, database_url, contacts=contacts), clock=lambda: NOW)
    with TestClient(create_app(app), base_url="http://127.0.0.1") as client:
        form = {"categorie": "onde", "detail": "Pas de clé OTP", "confirmer": "oui"}
        done = post(client, f"{link(app)}/probleme", form)
        page = client.get(done.headers["location"]).text
        again = post(client, f"{link(app)}/probleme", form)
        page_again = client.get(again.headers["location"]).text
    assert (
        "Votre problème a été transmis à : Assistance ONDE de l&#39;académie "
        "(assistance-onde@ac-exemple.fr), avec copie à la coordination "
        "(coordination@ddec-exemple.fr)."
    ) in page
    assert "déjà été transmis aujourd&#39;hui" in page_again
    with Session(app.engine) as session:
        rows = session.exec(select(Reminder).where(Reminder.kind == "problem")).all()
    assert [(r.recipient, r.cc) for r in rows] == [
        ("assistance-onde@ac-exemple.fr", ["coordination@ddec-exemple.fr"])
    ]
    app.close()


def test_a_problem_without_a_known_category_is_refused(
    client: TestClient, app: App, session: Session
) -> None:
    answer = post(client, f"{link(app)}/probleme", {"categorie": "pirate", "confirmer": "oui"})
    assert answer.status_code == 422 and "type de problème" in answer.text
    assert follow_up(session, UAI).problem_category == ""


def test_validation_is_asked_then_declared_and_the_stage_moves(
    client: TestClient, app: App, session: Session
) -> None:
    base = link(app)
    asked = post(client, f"{base}/valide", {})
    assert asked.status_code == 200 and "Avez-vous validé le constat" in asked.text
    assert follow_up(session, UAI).declared_validated_at is None
    done = post(client, f"{base}/valide", {"confirmer": "oui"})
    assert done.status_code == 303
    assert follow_up(session, UAI).stage == "validated"
    page = client.get(done.headers["location"])
    assert 'data-stage="validated"' in page.text and "Rien à faire" in page.text
    again = post(client, f"{base}/valide", {"confirmer": "oui"}, page=base)
    assert again.status_code == 422 and "déjà déclaré validé" in again.text


def test_the_confirm_step_keeps_the_link_scope(client: TestClient, app: App) -> None:
    base = link(app)
    asked = post(client, f"{base}/valide", {})
    assert 'action="/ecole/valide"' in asked.text and base not in asked.text
    assert 'name="confirmer" value="oui"' in asked.text


def test_a_scanned_compte_rendu_is_in_reading_then_checked_by_the_coordination(
    client: TestClient, app: App, session: Session
) -> None:
    """A photo dropped on the page is never read in the request: the director sees it « en
    cours de lecture », then, once the reader has read it, that the coordination checks it."""
    from io import BytesIO

    from PIL import Image

    photo = BytesIO()
    Image.new("L", (850, 1100), 255).save(photo, "JPEG")
    _staged, done = upload(client, link(app), "photo.jpg", photo.getvalue())
    assert done is not None and done.status_code == 200
    assert "Compte rendu en cours de lecture" in done.text
    assert "il est en cours de lecture" in done.text
    page = client.get(link(app)).text
    assert "« photo.jpg » : en cours de lecture" in page
    session.rollback()
    row = session.exec(select(IntakeFile)).one()
    assert row.outcome == "reading" and session.exec(select(Document)).all() == []
    row.outcome = "processed"  # as the reader leaves it, with the document it recorded
    school = get_school(session, uai=UAI)
    assert school is not None
    session.add(
        Document(
            school_id=school.id,
            campaign_id=1,
            kind="compte_rendu",
            filename="photo.jpg",
            size=1,
            sha256="0" * 64,
            received_at=NOW,
            channel="page",
            ocr_unconfirmed=True,
        )
    )
    session.commit()
    page = client.get(link(app)).text
    assert "en cours de lecture" not in page
    assert "« photo.jpg » : lu par OCR le 14/09/2026 ; la coordination vérifie la lecture." in page


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_a_pdf_that_burns_the_cpu_is_stopped_while_other_pages_keep_answering(
    tmp_path: Path, database_url: str, engine: Engine, schools: None
) -> None:
    """Read in a worker process within its budget, never in the request: the server answers
    other requests at once all the while, and the director is told why the file was refused."""
    settings = make_settings(
        tmp_path, database_url, web={"port": free_port()}, intake={"reader_cpu_seconds": 1}
    )
    app = App(settings, clock=lambda: NOW, _engine=engine)
    slowest: list[float] = []
    reading = threading.Event()

    def watch(base: str) -> None:
        with httpx.Client(base_url=base, timeout=10, follow_redirects=True) as other:
            while not reading.is_set():
                time.sleep(0.05)
            while reading.is_set():
                for path in ("/healthz", "/connexion", link(app, OTHER)):
                    started = time.monotonic()
                    assert other.get(path).status_code == 200
                    slowest.append(time.monotonic() - started)

    with (
        serving(app) as base,
        httpx.Client(base_url=base, timeout=60, follow_redirects=True) as director,
    ):
        watcher = threading.Thread(target=watch, args=(base,))
        watcher.start()
        reading.set()
        started = time.monotonic()
        _staged, done = upload(director, link(app), f"{UAI}-cr.pdf", cpu_bomb_pdf(1900))
        took = time.monotonic() - started
        reading.clear()
        watcher.join(30)
    assert done is not None and done.status_code == 422
    assert "lecture interrompue : plus de 1 seconde de calcul" in done.text
    assert took < 30
    # never waiting behind the reading (seconds of CPU), even on a busy machine
    slowest.sort()
    assert len(slowest) >= 10 and slowest[len(slowest) // 2] < 0.5, slowest
    assert slowest[-1] < 2.0, slowest


def test_a_link_holder_cannot_fill_the_disk_with_unconfirmed_files(
    tmp_path: Path, database_url: str, engine: Engine, schools: None
) -> None:
    settings = make_settings(
        tmp_path, database_url, web={"staged_max_mb_per_school": 1, "staged_max_mb_total": 1}
    )
    app = App(settings, clock=lambda: NOW, _engine=engine)
    waiting = settings.state_path / "web-uploads"
    with TestClient(create_app(app), base_url="http://127.0.0.1") as client:
        for uai in (UAI, OTHER):
            token = csrf(client.get(link(app, uai)))
            for n in range(6):
                staged = client.post(
                    "/ecole/depot",
                    data={"csrf_token": token},
                    files={"fichier": (f"cr-{n}.txt", cr_text() + b" " * (300 * 1024))},
                )
                assert staged.status_code == 200
                used = sum(p.stat().st_size for p in waiting.glob("*/*.bin"))
                assert used <= 1024 * 1024, f"{used} bytes waiting"
        last = re.search(r'name="fichier_id" value="([^"]+)"', staged.text)
        assert last is not None  # the newest still waits for its confirmation
        done = client.post(
            "/ecole/depot/confirmer",
            data={"csrf_token": token, "fichier_id": last.group(1)},
        )
        assert done.status_code in (200, 422) and "choisissez-le à nouveau" not in done.text


@pytest.mark.slow
def test_refused_files_stop_being_kept_once_the_school_quarantine_is_full(
    tmp_path: Path, database_url: str, engine: Engine, schools: None
) -> None:
    settings = make_settings(tmp_path, database_url, intake={"quarantine_max_mb_per_school": 1})
    app = App(settings, clock=lambda: NOW, _engine=engine)
    quarantine = settings.state_path / "quarantine"
    with TestClient(create_app(app), base_url="http://127.0.0.1") as client:
        for n in range(5):
            junk = f"pas un compte rendu {n}\n".encode() * 20_000  # ~460 kB each
            _staged, done = upload(client, link(app), f"notes-{n}.txt", junk)
            assert done is not None and done.status_code == 422
        assert "fichier non conservé : la quarantaine de cette école est pleine" in done.text
    kept = sum(p.stat().st_size for p in quarantine.glob("*"))  # files and reasons
    assert kept <= 1024 * 1024 + 20 * 1024, f"{kept} bytes in quarantine"


# ---- the token out of addresses; links revoked ------------------------------------------------
def test_the_link_is_exchanged_for_the_session_and_leaves_the_address(
    client: TestClient, app: App
) -> None:
    url = link(app)
    token = url.removeprefix("/ecole/")
    first = client.get(url, follow_redirects=False)
    assert first.status_code == 303 and first.headers["location"] == "/ecole"
    cookie = first.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
    page = client.get("/ecole")
    assert page.status_code == 200 and "École Saint-Joseph" in page.text
    asked = post(client, f"{url}/valide", {}, page="/ecole")
    for shown in (page, asked):
        assert token not in shown.text and token[:20] not in shown.text
    assert 'action="/ecole/depot"' in page.text


def test_the_page_closes_after_a_while_and_the_link_opens_it_again(
    client: TestClient, app: App
) -> None:
    client.get(link(app))
    later = NOW + dt.timedelta(minutes=app.settings.web.link_session_minutes + 1)
    app.clock = lambda: later
    closed = client.get("/ecole")
    assert closed.status_code == 401 and "ouvrez de nouveau le lien" in closed.text.lower()
    assert client.get(link(app, now=later)).status_code == 200  # the mail's link again


def test_a_new_director_address_revokes_the_links_sent_and_the_next_mail_has_a_new_one(
    client: TestClient, app: App, session: Session
) -> None:
    old = link(app)
    assert client.get(old).status_code == 200
    school = get_school(session, uai=UAI)
    assert school is not None
    edit_school(session, now=NOW, school=school, actor="t", director_email="nouveau@ecole.fr")
    session.commit()
    for opened in (client.get("/ecole"), client.get(old)):  # the open page and the link
        assert opened.status_code == 410 and "remplacé par un plus récent" in opened.text
    payload = reminder_payload(
        app.settings,
        school=school,
        campaign=app.campaign(session, NOW),
        items=load_open_items(
            session,
            school=school,
            campaign=app.campaign(session, NOW),
            contacts=app.settings.contacts,
            onde_url="",
            now=NOW,
        ),
        stage="awaiting_export",
        number=1,
        now=NOW,
    )
    fresh = re.search(r"/ecole/[\w.=-]+", payload["text"])
    assert fresh is not None and fresh.group() != old
    assert client.get(fresh.group()).status_code == 200


def test_a_coordinator_renews_the_link_of_a_school(
    app: App, session: Session, schools: None
) -> None:
    old = link(app)
    with signed_in(app) as (coordinator, token):
        confirm = coordinator.get(f"/ecoles/{UAI}/actions/lien")
        assert "ne fonctionneront plus" in confirm.text
        done = coordinator.post(f"/ecoles/{UAI}/actions/lien", data={"csrf_token": token})
        assert done.status_code == 303
        assert "Lien renouvelé" in coordinator.get(done.headers["location"]).text
    with TestClient(create_app(app), base_url="http://127.0.0.1") as director:
        assert director.get(old).status_code == 410
        assert director.get(link(app, version=2)).status_code == 200
    session.rollback()
    assert session.exec(select(Event).where(Event.kind == "link_renewed")).one()


def test_head_on_a_mailed_link_answers_like_get_without_opening_it(
    client: TestClient, app: App
) -> None:
    """Mail scanners check links with HEAD: the same status as GET, and nothing opened."""
    url = link(app)
    checked = client.head(url, follow_redirects=False)
    assert checked.status_code == 303 and checked.headers["location"] == "/ecole"
    assert "set-cookie" not in checked.headers
    assert client.get("/ecole").status_code == 401  # the scanner's HEAD opened nothing
    expired = link(app, now=NOW - dt.timedelta(days=app.settings.web.link_ttl_days + 1))
    assert client.head(expired).status_code == client.get(expired).status_code == 410
    opened = client.get(url)
    assert opened.status_code == 200
    assert client.head("/ecole").status_code == 200


def test_declaring_validated_with_rejects_or_pupils_without_ine_names_them_and_is_allowed(
    client: TestClient, app: App, session: Session
) -> None:
    from daemon.ingest.intake.intake import Intake

    Intake(app).take_bytes(cr_text(errors=2, pending=1), filename="cr.txt", channel="page", now=NOW)
    items = load_open_items(
        session,
        school=get_school(session, uai=UAI),  # type: ignore[arg-type]
        campaign=app.campaign(session, NOW),
        contacts=app.settings.contacts,
        onde_url="",
        now=NOW,
    )
    session.commit()
    assert items.summary  # e.g. « 1 rejet, 1 avertissement, 1 élève sans INE »
    base = link(app)
    asked = post(client, f"{base}/valide", {})
    assert asked.status_code == 200
    assert f"il reste {items.summary}" in asked.text and "ONDE fait foi" in asked.text
    assert post(client, f"{base}/valide", {"confirmer": "oui"}).status_code == 303
    assert follow_up(session, UAI).declared_validated_at is not None
