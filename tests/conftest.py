"""Shared fixtures: a real database (SQLite by default, PostgreSQL when
RELANCE_TEST_DATABASE_URL is set), settings in a temporary state folder, a fixed clock."""

from __future__ import annotations

import datetime as dt
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel

from daemon.app import App
from daemon.config import Settings
from db.engine import make_engine
from db.migrate import upgrade
from tests.mailsink import mailsink  # noqa: F401 — a real SMTP server for every test

PARIS = dt.timezone(dt.timedelta(hours=2))
# A fixed "now" for tests: Monday 14 September 2026, 10:00 in Paris.
NOW = dt.datetime(2026, 9, 14, 10, 0, tzinfo=PARIS).astimezone(dt.UTC)
REPO = Path(__file__).resolve().parents[1]
DEMO_DATA = REPO / "daemon" / "data" / "demo"
ANNUAIRE = DEMO_DATA / "annuaire-035-2023.csv"


def pytest_report_header() -> str:
    return f"database: {os.environ.get('RELANCE_TEST_DATABASE_URL') or 'SQLite (temporary files)'}"


@pytest.fixture(scope="session")
def postgres_url() -> str | None:
    url = os.environ.get("RELANCE_TEST_DATABASE_URL")
    if url and url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url or None


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory, postgres_url: str | None) -> str:
    """Run the migrations once per session: a SQLite file to copy, or the PostgreSQL database."""
    if postgres_url:
        engine = make_engine(postgres_url)
        with engine.begin() as conn:
            conn.exec_driver_sql("DROP SCHEMA public CASCADE")
            conn.exec_driver_sql("CREATE SCHEMA public")
        upgrade(engine=engine)
        engine.dispose()
        return postgres_url
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine=engine)
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return str(path)


@pytest.fixture
def database_url(migrated_template: str, postgres_url: str | None, tmp_path: Path) -> str:
    """An empty, migrated database for one test."""
    if postgres_url:
        engine = make_engine(postgres_url)
        tables = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
        with engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        engine.dispose()
        return postgres_url
    target = tmp_path / "relance.sqlite3"
    shutil.copyfile(migrated_template, target)
    return f"sqlite:///{target}"


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as session:
        yield session


def make_settings(tmp_path: Path, database_url: str, **sections: dict[str, Any]) -> Settings:
    data: dict[str, Any] = {"state_dir": str(tmp_path / "state"), "database_url": database_url}
    data.update(sections)
    return Settings.model_validate(data)


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return make_settings(tmp_path, database_url)


@pytest.fixture
def app(settings: Settings, engine: Engine) -> App:
    return App(settings, clock=lambda: NOW, _engine=engine)
