"""Shared fixtures: a real database (SQLite by default, PostgreSQL when
RELANCE_TEST_DATABASE_URL is set, one database per xdist worker), settings in a temporary state
folder, a fixed clock, argon2 at its cheapest parameters, the demo built once per process."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from argon2 import PasswordHasher
from argon2.profiles import CHEAPEST
from sqlalchemy import text
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, SQLModel

from daemon.app import App
from daemon.config import Settings
from daemon.web import accounts
from db.engine import make_engine
from db.migrate import upgrade
from tests.demo_helpers import built_fixture, demo_fixture  # noqa: F401 — one demo per process
from tests.mailsink import mailsink  # noqa: F401 — a real SMTP server for every test

PARIS = dt.timezone(dt.timedelta(hours=2))
# A fixed "now" for tests: Monday 14 September 2026, 10:00 in Paris.
NOW = dt.datetime(2026, 9, 14, 10, 0, tzinfo=PARIS).astimezone(dt.UTC)
REPO = Path(__file__).resolve().parents[1]
DEMO_DATA = REPO / "daemon" / "data" / "demo"
ANNUAIRE = DEMO_DATA / "annuaire-035-2023.csv"


async def wait_for(
    condition: Callable[[], bool], timeout: float = 20.0, every: float = 0.05
) -> None:
    """Wait until `condition()` holds, looking every `every` seconds (the machine may be
    busy: no fixed sleep), or fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(every)


def pytest_report_header() -> str:
    return f"database: {os.environ.get('RELANCE_TEST_DATABASE_URL') or 'SQLite (temporary files)'}"


@pytest.fixture(scope="session")
def postgres_url(worker_id: str) -> str | None:
    """The PostgreSQL test database: the one of RELANCE_TEST_DATABASE_URL, or under pytest-xdist
    a database of this worker's own on that server (`relance_test_gw0`…), made afresh, so the
    workers run side by side without truncating each other's tables."""
    url = os.environ.get("RELANCE_TEST_DATABASE_URL")
    if not url:
        return None
    parsed = make_url(url).set(drivername="postgresql+psycopg")
    if worker_id != "master":
        name = f"{parsed.database}_{worker_id}"
        admin = parsed.set(drivername="postgresql", database="postgres")
        with psycopg.connect(admin.render_as_string(hide_password=False), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
        parsed = parsed.set(database=name)
    return parsed.render_as_string(hide_password=False)


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


CHEAP_HASHER = PasswordHasher.from_parameters(CHEAPEST)
CHEAP_DUMMY_HASH = CHEAP_HASHER.hash("relance-dummy-password")


@pytest.fixture(autouse=True)
def cheap_password_hashing(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Passwords hashed and checked with argon2's cheapest parameters (`argon2.profiles.CHEAPEST`,
    "only for testing"): the real ones cost two thirds of a CPU second per sign-in, and hundreds
    of tests sign in. Tests marked `real_password_hashing` keep the production hasher (the cost
    a flood of sign-ins must survive, the parameters stored)."""
    if request.node.get_closest_marker("real_password_hashing") is None:
        monkeypatch.setattr(accounts, "_hasher", CHEAP_HASHER)
        monkeypatch.setattr(accounts, "_DUMMY_HASH", CHEAP_DUMMY_HASH)
