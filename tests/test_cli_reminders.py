"""`relance sweep [--now] [--dry-run]` and `relance mail preview UAI`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from daemon.cli import cli


@pytest.fixture
def run(tmp_path: Path, database_url: str):
    config = tmp_path / "relance.toml"
    config.write_text(
        "[campaign]\nstart = 2026-10-05\nobservation_date = 2026-10-16\ndeadline = 2026-11-10\n"
        '[contacts]\ncoordinator_email = "coord@example.org"\n'
        'coordinators = ["coord@example.org"]\nexport_support_email = "ange@example.org"\n'
        '[web]\nsecret_key = "clé"\n',
        encoding="utf-8",
    )
    env = {"RELANCE_DATABASE_URL": database_url, "RELANCE_STATE_DIR": str(tmp_path)}

    def invoke(*args: str) -> Result:
        return CliRunner().invoke(cli, ["--config", str(config), *args], env=env)

    added = invoke(
        "schools",
        "add",
        "0441234C",
        "--name",
        "École Saint-Joseph",
        "--email",
        "ce.0441234c@example.org",
    )
    assert added.exit_code == 0, added.output
    return invoke


def test_sweep_at_a_given_time_prints_what_it_prepared(run) -> None:
    first = run("sweep", "--now", "2026-10-05T09:00")
    assert first.exit_code == 0, first.output
    assert first.output.startswith(
        "Passage du lundi 5 octobre 2026 à 9 h 00 (heure de Paris) : 1 école examinée, "
        "1 mail préparé, 1 relance planifiée."
    )
    assert "digest" in first.output
    dry = run("sweep", "--now", "2026-10-07T09:00", "--dry-run")
    assert "2 mails seraient préparés" in dry.output
    assert (
        "reminder   0441234C → ce.0441234c@example.org : Constat de rentrée : export" in dry.output
    )
    real = json.loads(run("sweep", "--now", "2026-10-07T09:00", "--json").output)
    assert [c["kind"] for c in real["created"]] == ["reminder", "digest"]
    again = json.loads(run("sweep", "--now", "2026-10-07T10:00", "--json").output)
    assert again["created"] == []


def test_mail_preview_renders_the_next_reminder(run) -> None:
    result = run("mail", "preview", "0441234c", "--now", "2026-10-07T09:00")
    assert result.exit_code == 0, result.output
    assert "À : ce.0441234c@example.org" in result.output
    assert "Objet : Constat de rentrée : export Ange attendu – École Saint-Joseph" in result.output
    assert "Date limite de validation du constat : mardi 10 novembre 2026." in result.output
    assert run("mail", "preview", "0441235D").exit_code != 0
