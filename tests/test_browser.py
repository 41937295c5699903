"""In a real browser: Debian's Chromium driven by Playwright against the real server (uvicorn on
a loopback port, a temporary SQLite database with the demo schools and one coordinator).

A coordinator logs in, filters the school table, opens a school; a director uploads a compte
rendu on the school's page and sees the stage change. The run keeps screenshots of what it saw
in tests/artifacts/ (those of the README are taken of the demo by `make screenshots`).
"""

from __future__ import annotations

import datetime as dt
import random
import re
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from sqlmodel import Session, col, select

from daemon.app import App
from daemon.demo.generate import archive, make_pupils
from daemon.ingest.intake.intake import Intake
from daemon.school.actions import declare_validated
from daemon.school.annuaire import Filters, import_directory
from daemon.school.links import make_token, secret_key
from daemon.web.accounts import add_user
from daemon.web.app import create_app
from db.engine import transaction
from db.models import School
from tests.conftest import ANNUAIRE, NOW, REPO
from tests.factories import cr_text

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = REPO / "tests" / "artifacts"  # the README's are the demo's (make screenshots)
EMAIL = "coordination@example.org"
PASSWORD = "un mot de passe solide"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="Debian's chromium (/usr/bin/chromium) is not installed"
    ),
]


@dataclass
class LiveServer:
    url: str
    app: App
    busy: School  # a school with an archive and a CR with errors
    idle: School  # a school with nothing received yet

    def director_url(self) -> str:
        settings = self.app.settings
        token = make_token(
            secret_key(settings), uai=self.idle.uai, campaign=settings.campaign.name, now=NOW
        )
        return f"{self.url}/ecole/{token}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def seed_activity(app: App, schools: list[School]) -> None:
    """A few days of campaign for the screenshots: archives, comptes rendus, validations."""
    intake = Intake(app)
    rentree = app.settings.campaign.start
    for n, school in enumerate(schools):
        pupils = make_pupils(school.uai, {"CP": 8, "CE1": 6}, random.Random(n), rentree.year)
        day = NOW - dt.timedelta(days=12 - n % 12, hours=n % 7)
        intake.take_bytes(
            archive(school.uai, pupils, rentree),
            filename=f"{school.uai}.zip",
            channel="folder",
            now=day,
        )
        if n % 3 == 0:
            continue
        report = cr_text(school.uai, errors=2 if n % 3 == 1 else 0, pending=n % 2, day=15)
        intake.take_bytes(report, filename="compte-rendu.txt", channel="folder", now=day)
        if n % 5 == 2:
            with transaction(app.engine) as session:
                declare_validated(
                    session,
                    school=session.get(School, school.id),
                    campaign=app.campaign(session, day),
                    now=day,
                    actor="test",
                )


@pytest.fixture
def live_server(app: App) -> Iterator[LiveServer]:
    """The real application under uvicorn, in a thread, on a free loopback port."""
    with transaction(app.engine) as session:
        import_directory(
            session,
            data=ANNUAIRE.read_bytes(),
            filters=Filters(statut="prive", contrat="association"),
            now=NOW - dt.timedelta(days=14),
            actor="test",
        )
        app.campaign(session, NOW)
        add_user(session, email=EMAIL, password=PASSWORD, name="Coordination", now=NOW)
    with Session(app.engine, expire_on_commit=False) as session:
        schools = list(
            session.exec(
                select(School).where(col(School.active).is_(True)).order_by(col(School.uai))
            )
        )
    seed_activity(app, schools[:36])
    port = free_port()
    config = uvicorn.Config(
        create_app(app), host="127.0.0.1", port=port, log_level="warning", lifespan="off"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    # schools[1] has an archive and a CR with errors; the last one has nothing yet
    yield LiveServer(f"http://127.0.0.1:{port}", app, schools[1], schools[-1])
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


def test_a_coordinator_logs_in_filters_the_table_and_opens_a_school(
    live_server: LiveServer, browser: object
) -> None:
    from playwright.sync_api import Browser, expect

    assert isinstance(browser, Browser)
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="fr-FR")
    page.goto(f"{live_server.url}/")
    expect(page).to_have_url(re.compile(r"/connexion"))
    page.fill("#email", EMAIL)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_contain_text("Tableau de bord")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "dashboard.png"), full_page=True)

    school = live_server.busy
    page.goto(f"{live_server.url}/ecoles")
    rows = page.locator("table tbody tr")
    total = rows.count()
    assert total > 1
    page.fill("input[name=q]", school.uai)
    page.locator("form.filters button[type=submit]").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(school.uai)
    rows.first.locator("a").first.click()
    expect(page.locator("h1")).to_contain_text(school.name)
    page.screenshot(path=str(SCREENSHOTS / "school.png"), full_page=True)


def test_a_director_uploads_a_compte_rendu_and_sees_the_stage_change(
    live_server: LiveServer, browser: object, tmp_path: Path
) -> None:
    from playwright.sync_api import Browser, expect

    assert isinstance(browser, Browser)
    page = browser.new_page(viewport={"width": 420, "height": 900}, locale="fr-FR")  # a phone
    page.goto(live_server.director_url())
    stage = page.locator(".stage").first
    expect(stage).to_have_attribute("data-stage", "awaiting_export")
    document = tmp_path / "compte-rendu.txt"
    document.write_bytes(cr_text(live_server.idle.uai))
    page.set_input_files("#fichier", str(document))
    page.get_by_role("button", name="Déposer").click()
    expect(page.locator("h1")).to_contain_text("compte-rendu.txt")
    page.get_by_role("button", name="Oui, déposer ce fichier").click()
    expect(page.locator("[role=status]")).to_contain_text("reçu et lu")
    expect(page.locator(".stage").first).to_have_attribute("data-stage", "errors")
    page.get_by_role("link", name="Retour à la page de l'école").click()
    expect(page.locator(".stage").first).to_have_attribute("data-stage", "errors")
    expect(page.locator(".next-step")).to_contain_text("Corriger les élèves en erreur")


PHONE = {"width": 375, "height": 740}
NO_OVERFLOW = "document.documentElement.scrollWidth <= window.innerWidth"


def phone_without_javascript(browser: object) -> object:
    """A phone-sized page with JavaScript turned off: every step must still work."""
    from playwright.sync_api import Browser

    assert isinstance(browser, Browser)
    context = browser.new_context(
        viewport=PHONE, is_mobile=True, java_script_enabled=False, locale="fr-FR"
    )
    return context.new_page()


def assert_fits_the_phone(page: object) -> None:
    from playwright.sync_api import Page

    assert isinstance(page, Page)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert page.evaluate(NO_OVERFLOW), f"{page.url} is wider than a phone ({width} px)"


def test_a_coordinator_works_on_a_phone_without_javascript(
    live_server: LiveServer, browser: object
) -> None:
    from playwright.sync_api import Page, expect

    page = phone_without_javascript(browser)
    assert isinstance(page, Page)
    page.goto(f"{live_server.url}/ecoles")
    expect(page).to_have_url(re.compile(r"/connexion"))
    assert_fits_the_phone(page)
    page.fill("#email", EMAIL)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_contain_text("Écoles")  # back to the page asked for
    assert_fits_the_phone(page)

    page.goto(f"{live_server.url}/")
    expect(page.locator("h1")).to_contain_text("Tableau de bord")
    assert_fits_the_phone(page)

    page.goto(f"{live_server.url}/ecoles")
    page.select_option("select[name=etape]", "errors")
    page.locator("form.filters button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"etape=errors"))
    rows = page.locator("table tbody tr")
    assert rows.count() >= 1
    for n in range(rows.count()):
        expect(rows.nth(n)).to_contain_text("Erreurs à corriger")
    assert_fits_the_phone(page)

    school = live_server.busy
    page.goto(f"{live_server.url}/ecoles/{school.uai}")
    expect(page.locator("h1")).to_contain_text(school.name)
    assert_fits_the_phone(page)
    page.fill("#note", "Appel passé au directeur")
    page.get_by_role("button", name="Ajouter la note…").click()
    expect(page.locator("h1")).to_contain_text("Ajouter une note")
    assert_fits_the_phone(page)
    page.get_by_role("button", name="Confirmer").click()
    expect(page.locator("[role=status]")).to_contain_text("Note ajoutée")
    expect(page.locator("ul.timeline")).to_contain_text("Appel passé au directeur")

    page.goto(f"{live_server.url}/quarantaine")
    expect(page.locator("h1")).to_contain_text("quarantaine")
    assert_fits_the_phone(page)


def test_a_director_acts_on_a_phone_without_javascript(
    live_server: LiveServer, browser: object, tmp_path: Path
) -> None:
    from playwright.sync_api import Page, expect

    page = phone_without_javascript(browser)
    assert isinstance(page, Page)
    page.goto(live_server.director_url())
    expect(page.locator(".stage").first).to_have_attribute("data-stage", "awaiting_export")
    assert_fits_the_phone(page)

    page.get_by_label("Accès à ONDE", exact=False).check()
    page.get_by_role("button", name="Signaler le problème").click()
    expect(page.locator("h1")).to_contain_text("Signaler un problème : accès à ONDE")
    assert_fits_the_phone(page)
    page.get_by_role("button", name="Oui, signaler ce problème").click()
    expect(page.locator("[role=status]")).to_contain_text("Votre problème est enregistré")

    document = tmp_path / "compte-rendu.txt"
    document.write_bytes(cr_text(live_server.idle.uai))
    page.set_input_files("#fichier", str(document))
    page.get_by_role("button", name="Déposer").click()
    page.get_by_role("button", name="Oui, déposer ce fichier").click()
    expect(page.locator("[role=status]")).to_contain_text("reçu et lu")
    expect(page.locator(".stage").first).to_have_attribute("data-stage", "errors")
    assert_fits_the_phone(page)
