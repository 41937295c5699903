"""Schema migrations (Alembic): bring any older database to the current schema.

Alembic (and Mako under it) costs a few tenths of a second to import: it is imported only when
the database is behind. `is_current` compares the revision stored in `alembic_version` with the
newest one of `migrations/versions/`, read from the files' `revision` and `down_revision` lines
(tests/test_migrations.py checks it agrees with Alembic's own answer).
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
_ASSIGNED = re.compile(r"^(revision|down_revision)\b[^=]*=\s*(?:[\"']([^\"']*)[\"']|None)", re.M)


def alembic_config(engine: Engine) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    return cfg


def upgrade(*, engine: Engine, revision: str = "head") -> None:
    """Apply every migration up to `revision` in one transaction per migration."""
    from alembic import command

    cfg = alembic_config(engine)
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, revision)


def current_revision(*, engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision(*, engine: Engine) -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config(engine)).get_current_head()


@cache
def head_from_files(folder: Path = MIGRATIONS / "versions") -> str | None:
    """The one revision no other migration revises (None when the folder has several heads,
    or none: then Alembic decides)."""
    revisions: set[str] = set()
    revised: set[str] = set()
    for path in folder.glob("*.py"):
        found = dict((m.group(1), m.group(2)) for m in _ASSIGNED.finditer(path.read_text("utf-8")))
        if found.get("revision"):
            revisions.add(str(found["revision"]))
        if found.get("down_revision"):
            revised.add(str(found["down_revision"]))
    heads = revisions - revised
    return heads.pop() if len(heads) == 1 else None


def _stored_revision(engine: Engine) -> str | None:
    """The revision in `alembic_version`, read without Alembic (None: no table, empty)."""
    try:
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT version_num FROM alembic_version")).all()
    except DBAPIError:
        return None
    return str(rows[0][0]) if len(rows) == 1 else None


def is_current(*, engine: Engine) -> bool:
    head = head_from_files()
    if head is not None and _stored_revision(engine) == head:
        return True
    return current_revision(engine=engine) == head_revision(engine=engine)


def ensure_schema(*, engine: Engine) -> None:
    """Upgrade to the current schema if needed (several daemons may start at once on PostgreSQL:
    the first takes an advisory lock, the others wait and find the work done)."""
    if is_current(engine=engine):
        return
    if engine.dialect.name == "postgresql":
        from alembic import command

        with engine.begin() as connection:
            connection.exec_driver_sql("SELECT pg_advisory_xact_lock(7263001)")
            cfg = alembic_config(engine)
            cfg.attributes["connection"] = connection
            command.upgrade(cfg, "head")
        return
    upgrade(engine=engine)
