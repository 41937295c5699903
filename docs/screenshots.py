"""The README's screenshots, taken of the demo (`make screenshots`).

    PYTHONPATH=. .venv/bin/python docs/screenshots.py [--now 2026-12-03T15:00]

Builds the demo as `make run` does, at a fixed moment (so that the pictures do not change from
one run to the next), serves its pages on a free loopback port, signs in as the demo's
coordinator in Debian's Chromium (driven by Playwright; never a downloaded browser) and writes
docs/screenshots/dashboard.png (the dashboard), school.png (a school with errors, reminded and
escalated) and mail.png (a mail of the demo's mail box).
"""

from __future__ import annotations

import argparse
import datetime as dt
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from zoneinfo import ZoneInfo

import uvicorn
from sqlalchemy import text

from daemon.app import App
from daemon.config import load_settings
from daemon.demo.build import DEMO_PASSWORD, DEMO_USER, build_demo
from daemon.web.accounts import add_user
from daemon.web.app import create_app
from db.engine import reading, transaction

HERE = Path(__file__).resolve().parent
CHROMIUM = "/usr/bin/chromium"
PARIS = ZoneInfo("Europe/Paris")
MOMENT = "2026-12-03T15:00"
# A school with errors open, several reminders and an escalation: the most telling page.
BUSIEST = """
SELECT s.uai FROM school s JOIN follow_up f ON f.school_id = s.id
WHERE f.stage = 'errors' ORDER BY (SELECT count(*) FROM reminder r WHERE r.school_id = s.id)
DESC, s.uai LIMIT 1
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serving(app: App) -> Iterator[str]:
    port = free_port()
    config = uvicorn.Config(create_app(app), host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def shoot(base: str, pages: dict[str, str]) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu"],
        )
        page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="fr-FR")
        page.goto(f"{base}/connexion")
        page.fill("#email", DEMO_USER)
        page.fill("#password", DEMO_PASSWORD)
        page.click("button[type=submit]")
        for name, path in pages.items():
            page.goto(f"{base}{path}")
            page.wait_for_load_state("networkidle")
            height = int(page.evaluate("document.documentElement.scrollHeight"))
            # a page as tall as its content: a full-page shot would leave the mail's framed
            # HTML version (a document of its own) blank
            page.set_viewport_size({"width": 1280, "height": height})
            for frame in page.frames[1:]:
                frame.wait_for_load_state("load")
            page.wait_for_timeout(300)
            page.screenshot(path=str(HERE / "screenshots" / f"{name}.png"))
            page.set_viewport_size({"width": 1280, "height": 900})
        browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--now", default=MOMENT, help="the demo's moment (Paris time)")
    args = parser.parse_args()
    now = dt.datetime.fromisoformat(args.now).replace(tzinfo=PARIS).astimezone(dt.UTC)
    with tempfile.TemporaryDirectory() as tmp:
        info = build_demo(Path(tmp) / "demo", now=now)
        app = App(load_settings(info.config, {}), clock=lambda: now)
        with transaction(app.engine) as session:
            add_user(session, email=DEMO_USER, password=DEMO_PASSWORD, name="Démo", now=now)
        with reading(app.engine) as session:
            busiest = session.execute(text(BUSIEST)).scalar_one()
        from daemon.demo.mailcatcher import list_mails

        mail = next(m for m in list_mails(info.directory / "mails", limit=5000) if m["cc"])
        with serving(app) as base:
            pages = {
                "dashboard": "/",
                "school": f"/ecoles/{busiest}",
                "mail": f"/demo/courriels/{mail['key']}",
            }
            shoot(base, pages)
        app.close()
    print(f"docs/screenshots/: {', '.join(pages)} (demo at {args.now})")


if __name__ == "__main__":
    main()
