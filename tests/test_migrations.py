"""`relance db upgrade`: an empty database upgraded equals the models, on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from click.testing import CliRunner
from sqlalchemy import CheckConstraint, inspect
from sqlmodel import SQLModel

import db.models  # noqa: F401
from daemon.cli import cli
from db.engine import make_engine
from db.migrate import current_revision, ensure_schema, head_revision, upgrade


@pytest.fixture
def empty_url(tmp_path: Path, postgres_url: str | None, migrated_template: str):
    """An empty database (on PostgreSQL, the test database's schema is emptied, then restored)."""
    if not postgres_url:
        yield f"sqlite:///{tmp_path / 'empty.sqlite3'}"
        return
    engine = make_engine(postgres_url)
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP SCHEMA public CASCADE")
        conn.exec_driver_sql("CREATE SCHEMA public")
    engine.dispose()
    yield postgres_url
    engine = make_engine(postgres_url)
    upgrade(engine=engine)
    engine.dispose()


def test_upgrading_an_empty_database_gives_exactly_the_models(empty_url: str) -> None:
    engine = make_engine(empty_url)
    assert current_revision(engine=engine) is None
    upgrade(engine=engine)
    assert current_revision(engine=engine) == head_revision(engine=engine)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, SQLModel.metadata)
    engine.dispose()
    assert diff == []


def test_every_table_of_the_models_exists_after_upgrade(empty_url: str) -> None:
    engine = make_engine(empty_url)
    upgrade(engine=engine)
    tables = set(inspect(engine).get_table_names())
    engine.dispose()
    assert set(SQLModel.metadata.tables) <= tables


def test_upgrade_twice_is_harmless(empty_url: str) -> None:
    engine = make_engine(empty_url)
    upgrade(engine=engine)
    ensure_schema(engine=engine)
    upgrade(engine=engine)
    assert current_revision(engine=engine) == head_revision(engine=engine)
    engine.dispose()


def test_cli_db_upgrade(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    runner = CliRunner()
    result = runner.invoke(cli, ["db", "upgrade"], env={"RELANCE_DATABASE_URL": url})
    assert result.exit_code == 0, result.output
    assert "vide →" in result.output
    again = runner.invoke(cli, ["db", "upgrade"], env={"RELANCE_DATABASE_URL": url})
    assert "déjà à jour" in again.output


def _check_values(sqltext: str) -> set[str]:
    """The quoted values a `column IN ('a', 'b')` check allows (each dialect words it its way)."""
    return set(re.findall(r"'([^']*)'", sqltext))


def test_the_upgraded_database_checks_the_states_the_models_check(empty_url: str) -> None:
    engine = make_engine(empty_url)
    upgrade(engine=engine)
    inspector = inspect(engine)
    expected: dict[tuple[str, str | None], set[str]] = {}
    found: dict[tuple[str, str | None], set[str]] = {}
    for table in SQLModel.metadata.sorted_tables:
        for constraint in table.constraints:
            if isinstance(constraint, CheckConstraint):
                expected[(table.name, str(constraint.name))] = _check_values(
                    str(constraint.sqltext)
                )
        for check in inspector.get_check_constraints(table.name):
            found[(table.name, check["name"])] = _check_values(check["sqltext"])
    engine.dispose()
    assert {name for _table, name in expected} >= {
        "ck_follow_up_stage",
        "ck_reminder_kind",
        "ck_reminder_status",
        "ck_event_kind",
        "ck_intake_file_outcome",
    }
    assert found == expected


def test_the_head_read_from_the_files_is_alembics(tmp_path: Path) -> None:
    from db.migrate import head_from_files, is_current

    engine = make_engine(f"sqlite:///{tmp_path / 'heads.sqlite3'}")
    assert head_from_files() == head_revision(engine=engine) is not None
    assert not is_current(engine=engine)  # no alembic_version table yet
    ensure_schema(engine=engine)
    assert is_current(engine=engine)
    engine.dispose()


def test_two_heads_in_the_files_leave_the_answer_to_alembic(tmp_path: Path) -> None:
    from db.migrate import head_from_files

    def folder(name: str, *migrations: tuple[str, str | None]) -> Path:
        path = tmp_path / name
        path.mkdir()
        for revision, down in migrations:
            down_text = f'"{down}"' if down else "None"
            (path / f"{revision}_x.py").write_text(
                f'revision: str = "{revision}"\ndown_revision: str | None = {down_text}\n'
            )
        return path

    assert (
        head_from_files(folder("two", ("0001", None), ("0002", "0001"), ("0003", "0001"))) is None
    )
    assert head_from_files(folder("one", ("0001", None), ("0002", "0001"))) == "0002"
