"""Engines and sessions, built from a URL the caller passes (never at import time)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError
from sqlmodel import Session, create_engine

SQLITE_BUSY_TIMEOUT_MS = 30_000

DB_UNAVAILABLE = (OperationalError, InterfaceError, DisconnectionError)
"""The database is locked or unreachable: not the caller's fault, wait and try again."""


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for SQLite (WAL, foreign keys, busy timeout) or PostgreSQL (psycopg 3)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        kwargs.setdefault("connect_args", {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def database_missing(url: str) -> bool:
    """A SQLite database whose file does not exist yet (opening it would create it)."""
    parsed = make_url(url)
    return (
        parsed.get_backend_name() == "sqlite"
        and bool(parsed.database)
        and parsed.database != ":memory:"
        and not Path(str(parsed.database)).exists()
    )


QUICK_TIMEOUT_MS = 250


def make_quick_engine(url: str) -> Engine:
    """An engine for short writes made from the event loop itself: it gives up after
    `QUICK_TIMEOUT_MS` instead of waiting on a lock (the caller then falls back to a thread
    that waits), so a locked or unreachable database never freezes the loop for long."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = make_engine(url, pool_size=1, max_overflow=0)

        def short_busy(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.execute(f"PRAGMA busy_timeout={QUICK_TIMEOUT_MS}")

        event.listen(engine, "connect", short_busy)
        return engine
    return make_engine(
        url,
        pool_size=1,
        max_overflow=0,
        pool_timeout=QUICK_TIMEOUT_MS / 1000,
        connect_args={
            "connect_timeout": 1,
            "options": f"-c statement_timeout={QUICK_TIMEOUT_MS} "
            f"-c lock_timeout={QUICK_TIMEOUT_MS}",
        },
    )


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # let the "begin" listener issue BEGIN itself
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_begin(conn: Any) -> None:
    # A writing transaction takes SQLite's write lock up front, so two writers queue on
    # busy_timeout instead of failing when a read lock cannot be upgraded. An AUTOCOMMIT
    # connection gets no BEGIN: each statement is its own transaction.
    options = conn.get_execution_options()
    if options.get("isolation_level") == "AUTOCOMMIT":
        return
    conn.exec_driver_sql("BEGIN IMMEDIATE" if options.get("write", False) else "BEGIN")


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


@contextmanager
def transaction(engine: Engine) -> Iterator[Session]:
    """A writing session: committed on success, rolled back on any error."""
    with Session(engine.execution_options(write=True), expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


@contextmanager
def reading(engine: Engine) -> Iterator[Session]:
    """A read-only session (never committed)."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
        finally:
            session.rollback()


def compact(engine: Engine) -> None:
    """After personal data was deleted: SQLite rewrites its file (VACUUM), so that deleted rows
    do not linger in free pages, and empties its write-ahead log. (PostgreSQL reuses the space
    of deleted rows through autovacuum; `VACUUM FULL` rewrites a table at once.)"""
    if not is_sqlite(engine):
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM")
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
