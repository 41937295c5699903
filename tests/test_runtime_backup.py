"""SQLite backup and restore (online backup API)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlmodel import Session, select

from daemon.cli import cli
from daemon.runtime.backup import BackupError, backup, check_backup, prune, restore, sqlite_path
from db.engine import make_engine
from db.migrate import upgrade
from db.models import School
from db.schools import add_school

NOW = dt.datetime(2026, 9, 14, 8, tzinfo=dt.UTC)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'live.sqlite3'}"
    engine = make_engine(url)
    upgrade(engine=engine)
    with Session(engine) as session:
        add_school(session, now=NOW, uai="0441234C", actor="t", name="Avant")
        session.commit()
    engine.dispose()
    return url


def names(url: str) -> list[str]:
    engine = make_engine(url)
    with Session(engine) as session:
        result = [s.name for s in session.exec(select(School))]
    engine.dispose()
    return result


def test_backup_then_restore_brings_back_the_data(sqlite_url: str, tmp_path: Path) -> None:
    copy = backup(sqlite_url, tmp_path / "b" / "relance-1.sqlite3")
    assert check_backup(copy)
    engine = make_engine(sqlite_url)
    with Session(engine) as session:
        session.exec(select(School)).one().name = "Après"
        session.commit()
    engine.dispose()
    assert names(sqlite_url) == ["Après"]
    restore(sqlite_url, copy)
    assert names(sqlite_url) == ["Avant"]


def test_restore_refuses_a_file_that_is_not_a_backup(sqlite_url: str, tmp_path: Path) -> None:
    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(b"not a database at all" * 100)
    with pytest.raises(BackupError, match="pas une sauvegarde relance"):
        restore(sqlite_url, junk)
    assert names(sqlite_url) == ["Avant"]


def test_postgresql_is_left_to_pg_dump() -> None:
    with pytest.raises(BackupError, match="pg_dump"):
        sqlite_path("postgresql+psycopg://u@h/db")


def test_prune_keeps_the_newest(tmp_path: Path) -> None:
    for day in range(1, 6):
        (tmp_path / f"relance-2026090{day}-000000.sqlite3").write_bytes(b"")
    removed = prune(tmp_path, 2)
    assert [p.name for p in removed] == [f"relance-2026090{d}-000000.sqlite3" for d in (1, 2, 3)]


def test_cli_backup(sqlite_url: str, tmp_path: Path) -> None:
    env = {"RELANCE_DATABASE_URL": sqlite_url, "RELANCE_STATE_DIR": str(tmp_path / "state")}
    result = CliRunner().invoke(cli, ["backup", "--keep", "3"], env=env)
    assert result.exit_code == 0, result.output
    assert len(list((tmp_path / "state" / "backups").glob("relance-*.sqlite3"))) == 1
