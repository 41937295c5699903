"""The living demo: a campaign around today with a realistic mix of stages, built through the
real intake path."""

from __future__ import annotations

import datetime as dt
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlmodel import col, func, select

from daemon.app import App
from daemon.cli import cli
from daemon.clock import utc_now
from daemon.config import load_settings
from daemon.demo.build import DEMO_PASSWORD, DEMO_USER, build_demo, school_days_before
from daemon.web.accounts import authenticate
from db.engine import reading, transaction
from db.models import FollowUp, IntakeFile, School
from tests.demo_helpers import TODAY, built_fixture, demo_fixture  # noqa: F401 — fixtures

pytestmark = pytest.mark.slow


def test_the_demo_shows_every_stage_built_through_the_intake(demo: Path) -> None:
    info = build_demo(demo, today=TODAY)  # already built: tells what is there
    assert not info.created and info.schools > 200
    config = tomllib.loads(info.config.read_text(encoding="utf-8"))
    assert config["campaign"]["deadline"] == TODAY + dt.timedelta(days=12)
    app = App(load_settings(info.config, {}))
    with reading(app.engine) as session:
        stages = dict(
            session.exec(select(FollowUp.stage, func.count()).group_by(col(FollowUp.stage))).all()
        )
        outcomes = dict(
            session.exec(
                select(IntakeFile.outcome, func.count()).group_by(col(IntakeFile.outcome))
            ).all()
        )
        addresses = session.exec(select(School.director_email)).all()
    app.close()
    assert set(stages) >= {
        "awaiting_export",
        "exported",
        "errors",
        "awaiting_ine",
        "ready_to_validate",
        "validated",
    }
    assert sum(stages.values()) == info.schools
    assert set(outcomes) == {"processed"}  # every generated file is accepted
    assert all(a.endswith("@ecoles.demo.invalid") for a in addresses)


def test_building_the_demo_twice_keeps_the_first_one(demo: Path) -> None:
    app = App(load_settings(demo / "relance.toml", {}))
    with reading(app.engine) as session:
        schools = session.exec(select(func.count()).select_from(School)).one()
    app.close()
    again = build_demo(demo, today=TODAY + dt.timedelta(days=1))
    assert not again.created and again.schools == schools


def test_the_replayed_history_skips_weekends() -> None:
    days = school_days_before(TODAY, 6)
    assert days == sorted(days) and len(days) == 6
    assert all(d.weekday() < 5 for d in days) and days[-1] == dt.date(2026, 11, 27)


def test_relance_demo_build_only_prepares_the_demo_and_its_sign_in(
    built: tuple[Path, Result], demo: Path
) -> None:
    assert "démo créée" in built[1].output
    app = App(load_settings(demo / "relance.toml", {}))
    with transaction(app.engine) as session:
        user = authenticate(session, email=DEMO_USER, password=DEMO_PASSWORD, now=utc_now())
    app.close()
    assert user is not None
    again = CliRunner().invoke(cli, ["demo", "--dir", str(demo), "--build-only"])
    assert again.exit_code == 0 and "démo reprise" in again.output


def test_relance_demo_stops_at_once_when_its_ports_are_taken(demo: Path) -> None:
    import socket

    folder = demo
    config = folder / "relance.toml"
    with socket.socket() as web, socket.socket() as mail, socket.socket() as free:
        for sock in (web, mail, free):
            sock.bind(("127.0.0.1", 0))
        web.listen()
        mail.listen()
        web_port, mail_port = web.getsockname()[1], mail.getsockname()[1]
        free_port = free.getsockname()[1]
        free.close()
        text = config.read_text(encoding="utf-8")
        text = text.replace("port = 8000", f"port = {web_port}")
        text = text.replace("port = 8025", f"port = {mail_port}")
        config.write_text(text, encoding="utf-8")

        taken = CliRunner().invoke(cli, ["demo", "--dir", str(folder)])
        assert taken.exit_code == 1
        assert f"port {web_port} déjà pris (pages web de la démo)" in taken.output
        assert "connexion :" not in taken.output  # no address of another program's pages

        config.write_text(text.replace(f"port = {web_port}", f"port = {free_port}"), "utf-8")
        taken = CliRunner().invoke(cli, ["demo", "--dir", str(folder)])
        assert taken.exit_code == 1
        assert f"port {mail_port} déjà pris (serveur de courrier de la démo)" in taken.output
        assert "connexion :" not in taken.output
