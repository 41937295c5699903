"""`relance users add|list|disable|enable`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from daemon.cli import cli


@pytest.fixture
def run(tmp_path: Path, database_url: str):
    env = {"RELANCE_DATABASE_URL": database_url, "RELANCE_STATE_DIR": str(tmp_path)}

    def invoke(*args: str, stdin: str | None = None) -> Result:
        return CliRunner().invoke(cli, list(args), env=env, input=stdin)

    return invoke


def test_add_with_password_on_stdin_then_list(run) -> None:
    added = run(
        "users",
        "add",
        "camille@example.org",
        "--name",
        "Camille",
        "--password-stdin",
        stdin="un-mot-de-passe-long\n",
    )
    assert added.exit_code == 0, added.output
    assert "Compte créé : camille@example.org" in added.output
    listed = json.loads(run("users", "list", "--json").output)
    assert listed == [
        {"email": "camille@example.org", "name": "Camille", "active": True, "last_login_at": None}
    ]


def test_add_prompts_twice_for_the_password(run) -> None:
    result = run(
        "users", "add", "a@example.org", stdin="un-mot-de-passe-long\nun-mot-de-passe-long\n"
    )
    assert result.exit_code == 0, result.output
    mismatch = run("users", "add", "b@example.org", stdin="un-mot-de-passe-long\nautre\n" * 3)
    assert mismatch.exit_code != 0


def test_a_short_password_or_a_duplicate_fails_in_french(run) -> None:
    short = run("users", "add", "a@example.org", "--password-stdin", stdin="court\n")
    assert short.exit_code == 1 and "trop court" in short.output
    run("users", "add", "a@example.org", "--password-stdin", stdin="un-mot-de-passe-long\n")
    again = run("users", "add", "a@example.org", "--password-stdin", stdin="un-mot-de-passe-long\n")
    assert again.exit_code == 1 and "existe déjà" in again.output


def test_disable_and_enable(run) -> None:
    run("users", "add", "a@example.org", "--password-stdin", stdin="un-mot-de-passe-long\n")
    assert "désactivé" in run("users", "disable", "a@example.org").output
    assert json.loads(run("users", "list", "--json").output)[0]["active"] is False
    assert "réactivé" in run("users", "enable", "A@example.org").output
    unknown = run("users", "disable", "x@example.org")
    assert unknown.exit_code == 1 and "aucun compte" in unknown.output
    assert "Actif" in run("users", "list").output
