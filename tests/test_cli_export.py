"""`relance export check` writes nothing; `relance export submit` records."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from sqlmodel import Session, select

from daemon.cli import cli
from db.engine import make_engine
from db.models import ExportSubmission, Pupil
from tests.archives import UAI, layout, set_cell, to_zip


def setup(tmp_path: Path, database_url: str) -> tuple[CliRunner, dict[str, str], Path]:
    env = {"RELANCE_DATABASE_URL": database_url, "RELANCE_STATE_DIR": str(tmp_path / "state")}
    runner = CliRunner()
    assert runner.invoke(cli, ["schools", "add", UAI, "--name", "École"], env=env).exit_code == 0
    m = layout(6)
    set_cell(m, "eleves.csv", 2, "prenom", "")
    path = tmp_path / f"{UAI}.zip"
    path.write_bytes(to_zip(m))
    return runner, env, path


def submissions(database_url: str) -> int:
    engine = make_engine(database_url)
    try:
        with Session(engine) as session:
            return len(session.exec(select(ExportSubmission)).all()) + len(
                session.exec(select(Pupil)).all()
            )
    finally:
        engine.dispose()


def test_check_prints_the_result_and_writes_nothing(tmp_path: Path, database_url: str) -> None:
    runner, env, path = setup(tmp_path, database_url)
    result = runner.invoke(cli, ["export", "check", str(path), "--json"], env=env)
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert list(data) == ["uai", "accepted", "refusal", "members", "headcount", "findings"]
    assert data["accepted"] and data["headcount"]["total"] == 6
    assert [(f["id_eleve"], f["field"], f["severity"]) for f in data["findings"]] == [
        ("E00002", "prenom", "erreur")
    ]
    text = runner.invoke(cli, ["export", "check", str(path)], env=env)
    assert text.exit_code == 0
    assert "6 élèves" in text.output and "Tableau d'effectif" in text.output
    assert "erreur : 1" in text.output
    assert submissions(database_url) == 0


def test_check_of_a_refused_archive_exits_non_zero(tmp_path: Path, database_url: str) -> None:
    runner, env, _path = setup(tmp_path, database_url)
    bad = tmp_path / "0441234A.zip"
    bad.write_bytes(b"PK\x03\x04junk")
    result = runner.invoke(cli, ["export", "check", str(bad), "--json"], env=env)
    assert result.exit_code == 3
    data = json.loads(result.output)
    assert not data["accepted"] and "0441234C" in data["refusal"] and data["headcount"] is None


def test_submit_records_the_archive_and_its_pupils(tmp_path: Path, database_url: str) -> None:
    runner, env, path = setup(tmp_path, database_url)
    result = runner.invoke(cli, ["export", "submit", str(path)], env=env)
    assert result.exit_code == 0, result.output
    assert "6 élèves" in result.output and path.exists()  # copied, not moved
    assert submissions(database_url) == 1 + 6
    again = runner.invoke(cli, ["export", "submit", str(path), "--json"], env=env)
    assert again.exit_code == 0 and json.loads(again.output)["outcome"] == "duplicate"


def test_check_on_a_fresh_installation_creates_no_database(tmp_path: Path) -> None:
    path = tmp_path / f"{UAI}.zip"
    path.write_bytes(to_zip(layout(3)))
    state = tmp_path / "state"
    env = {"RELANCE_STATE_DIR": str(state)}
    result = CliRunner().invoke(cli, ["export", "check", str(path), "--json"], env=env)
    assert result.exit_code == 0, result.output  # no database: the archive alone is checked
    assert json.loads(result.output)["headcount"]["total"] == 3
    assert not list(state.rglob("*.sqlite3"))


OTHER_SCHOOL = "0441235D"


def test_another_schools_archive_is_refused_by_check_and_submit(
    tmp_path: Path, database_url: str
) -> None:
    runner, env, _path = setup(tmp_path, database_url)
    path = tmp_path / "autre" / f"{UAI}.zip"
    path.parent.mkdir()
    path.write_bytes(to_zip(layout(6, uai=OTHER_SCHOOL)))
    reason = f"archive d'une autre école ({OTHER_SCHOOL})"
    for env_check in (env, {"RELANCE_STATE_DIR": str(tmp_path / "vide")}):
        check = runner.invoke(cli, ["export", "check", str(path)], env=env_check)
        assert check.exit_code == 3 and reason in check.output
    submit = runner.invoke(cli, ["export", "submit", str(path), "--json"], env=env)
    assert submit.exit_code == 3
    assert json.loads(submit.output)["reason"] == reason
    ingest = runner.invoke(cli, ["ingest", str(path), "--json"], env=env)
    assert ingest.exit_code == 3
    assert [(r["outcome"], r["reason"]) for r in json.loads(ingest.output)] == [
        ("quarantined", reason)
    ]
    assert submissions(database_url) == 2  # the refused archive and its re-deposit, no pupil
