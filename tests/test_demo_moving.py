"""`relance demo --port N` on a demo built for another port: pages, mail catcher and the links
of the mails move together."""

from __future__ import annotations

import datetime as dt
import mailbox
import tomllib
from pathlib import Path

from sqlmodel import select

from daemon.app import App
from daemon.config import load_settings
from daemon.delivery.message import build_message
from daemon.demo.build import config_text
from daemon.demo.mailcatcher import list_mails
from daemon.demo.moving import move_demo
from daemon.demo.timeline import campaign_dates
from db.engine import reading, transaction
from db.models import Reminder

NOW = dt.datetime(2026, 12, 3, 14, tzinfo=dt.UTC)
OLD, NEW = "http://127.0.0.1:8000", "http://127.0.0.1:8150"


def demo_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "demo"
    for sub in ("tmp", "new", "cur"):
        (folder / "mails" / sub).mkdir(parents=True)
    (folder / "relance.toml").write_text(
        config_text(folder, campaign_dates(NOW.date()), 8000), encoding="utf-8"
    )
    return folder


def payload(base: str) -> dict[str, str]:
    return {
        "subject": "Relance",
        "text": f"Votre page : {base}/ecole/abc.def\nRien à voir : {base}0/autre",
        "html": f'<p><a href="{base}/ecole/abc.def">votre page</a></p>',
    }


def test_moving_rewrites_the_ports_and_the_links_of_queued_and_caught_mails(
    tmp_path: Path,
) -> None:
    folder = demo_folder(tmp_path)
    app = App(load_settings(folder / "relance.toml", {}))
    with transaction(app.engine) as session:
        for key, status in (("queued", "pending"), ("sent", "sent")):
            session.add(
                Reminder(
                    key=key,
                    kind="reminder",
                    day=NOW.date(),
                    recipient="direction@ecole.invalid",
                    payload=payload(OLD),
                    due_at=NOW,
                    next_attempt_at=NOW,
                    created_at=NOW,
                    status=status,
                )
            )
    message = build_message(
        key="caught",
        recipient="direction@ecole.invalid",
        cc=[],
        payload=payload(OLD),
        settings=app.settings,
        now=NOW,
    )
    mailbox.Maildir(folder / "mails", create=True).add(message)
    app.close()

    move_demo(folder, 8150)

    config = tomllib.loads((folder / "relance.toml").read_text(encoding="utf-8"))
    assert (config["web"]["port"], config["smtp"]["port"]) == (8150, 8151)
    assert config["web"]["base_url"] == NEW
    assert config["campaign"]["deadline"] == campaign_dates(NOW.date()).deadline  # kept
    app = App(load_settings(folder / "relance.toml", {}))
    with reading(app.engine) as session:
        rows = {r.key: r.payload for r in session.exec(select(Reminder)).all()}
    app.close()
    assert rows["queued"]["text"] == f"Votre page : {NEW}/ecole/abc.def\nRien à voir : {OLD}0/autre"
    assert rows["queued"]["html"] == payload(NEW)["html"]
    assert rows["sent"] == payload(OLD)  # what was sent stays as it was recorded
    (caught,) = list_mails(folder / "mails")
    assert f"{NEW}/ecole/abc.def" in caught["text"] and f"{OLD}0/autre" in caught["text"]
    assert f'href="{NEW}/ecole/abc.def"' in caught["html"] and OLD + "/" not in caught["html"]
    assert caught["sent_at"] == NOW and caught["subject"] == "Relance"


def test_a_demo_already_on_its_port_is_left_alone(tmp_path: Path) -> None:
    folder = demo_folder(tmp_path)
    before = (folder / "relance.toml").read_text(encoding="utf-8")
    move_demo(folder, 8000)
    assert (folder / "relance.toml").read_text(encoding="utf-8") == before
