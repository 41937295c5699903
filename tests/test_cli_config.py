"""`relance config apply`, and no other command changing the campaign's stored settings."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from sqlmodel import Session, select

from daemon.cli import cli
from db.engine import make_engine
from db.models import Campaign, Event
from db.states import EventKind

CONFIRM = "RELANCE_CAMPAIGN__VALIDATION_REQUIRES_CONFIRMATION"


def stored(database_url: str) -> tuple[bool, list[Event]]:
    engine = make_engine(database_url)
    try:
        with Session(engine) as session:
            campaign = session.exec(select(Campaign)).one()
            events = session.exec(
                select(Event).where(Event.kind == EventKind.CAMPAIGN_UPDATED)
            ).all()
            return campaign.validation_requires_confirmation, list(events)
    finally:
        engine.dispose()


def test_a_command_run_with_another_environment_leaves_the_campaign_as_stored(
    tmp_path: Path, database_url: str
) -> None:
    env = {"RELANCE_DATABASE_URL": database_url, "RELANCE_STATE_DIR": str(tmp_path / "state")}
    runner = CliRunner()
    result = runner.invoke(cli, ["schools", "add", "0441234C", "--name", "École"], env=env)
    assert result.exit_code == 0, result.output
    assert stored(database_url) == (False, [])
    other = {**env, CONFIRM: "true"}
    for command in (["schools", "list"], ["school", "show", "0441234C"], ["sweep"]):
        assert runner.invoke(cli, command, env=other).exit_code == 0, command
        assert stored(database_url) == (False, []), command
    applied = runner.invoke(cli, ["config", "apply"], env=other)
    assert applied.exit_code == 0, applied.output
    assert "validation_requires_confirmation" in applied.output
    confirm, events = stored(database_url)
    assert confirm and len(events) == 1
    assert events[0].data["old"] == {"validation_requires_confirmation": False}
    assert events[0].data["new"] == {"validation_requires_confirmation": True}
    assert runner.invoke(cli, ["schools", "list"], env=env).exit_code == 0
    assert stored(database_url)[0] is True  # the plain environment does not change it back
    again = runner.invoke(cli, ["config", "apply"], env=other)
    assert "rien à changer" in again.output and len(stored(database_url)[1]) == 1


def test_the_daemon_applies_the_configuration_when_it_starts(
    tmp_path: Path, database_url: str
) -> None:
    import asyncio

    from daemon.app import App
    from daemon.cli.serve_cmd import run_daemon
    from tests.conftest import make_settings

    runner = CliRunner()
    env = {"RELANCE_DATABASE_URL": database_url, "RELANCE_STATE_DIR": str(tmp_path / "state")}
    assert runner.invoke(cli, ["schools", "list"], env=env).exit_code == 0  # the campaign
    settings = make_settings(
        tmp_path, database_url, campaign={"validation_requires_confirmation": True}
    )
    app = App(settings)

    async def stop_at_once(_app: App, stop: asyncio.Event) -> None:
        stop.set()

    assert run_daemon(app, names=(), stop_timeout=5.0, extra=[("arrêt", stop_at_once)]) == 0
    confirm, events = stored(database_url)
    assert confirm and [e.actor for e in events] == ["démon"]
