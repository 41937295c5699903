"""What the subcommands share: a command that only reads never creates the database."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from daemon.cli import cli

READING_COMMANDS = [
    ["schools", "list"],
    ["schools", "show", "0351234B"],
    ["school", "show", "0351234B"],
    ["mail", "preview", "0351234B"],
    ["outbox"],
    ["users", "list"],
    ["sweep", "--dry-run", "--now", "2026-09-14T10:00"],
]


@pytest.mark.parametrize("command", READING_COMMANDS, ids=" ".join)
def test_a_reading_command_on_a_fresh_installation_creates_nothing(
    tmp_path: Path, command: list[str]
) -> None:
    config = tmp_path / "relance.toml"
    config.write_text('state_dir = "state"\n', encoding="utf-8")
    result = CliRunner().invoke(cli, ["--config", str(config), *command])
    assert result.exit_code == 1, result.output
    assert "aucune base de données encore" in result.output
    assert not (tmp_path / "state").exists()


def test_db_current_says_the_database_is_absent_without_creating_it(tmp_path: Path) -> None:
    config = tmp_path / "relance.toml"
    config.write_text('state_dir = "state"\n', encoding="utf-8")
    result = CliRunner().invoke(cli, ["--config", str(config), "db", "current"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("base : absente ; code : ")
    assert not (tmp_path / "state").exists()


def test_a_reading_command_works_once_the_database_exists(tmp_path: Path) -> None:
    config = tmp_path / "relance.toml"
    config.write_text('state_dir = "state"\n', encoding="utf-8")
    upgraded = CliRunner().invoke(cli, ["--config", str(config), "db", "upgrade"])
    assert upgraded.exit_code == 0, upgraded.output
    listed = CliRunner().invoke(cli, ["--config", str(config), "schools", "list", "--json"])
    assert listed.exit_code == 0, listed.output
    assert listed.output.strip() == "[]"
