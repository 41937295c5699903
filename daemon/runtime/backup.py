"""SQLite backup and restore with SQLite's online backup API (safe while the daemon runs).

With PostgreSQL, use its own tools (pg_dump / pg_restore): these functions refuse.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from contextlib import closing
from pathlib import Path

from sqlalchemy.engine import make_url


class BackupError(Exception):
    """Backup or restore impossible (French message)."""


def sqlite_path(database_url: str) -> Path:
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        raise BackupError(
            "sauvegarde intégrée réservée à SQLite : avec PostgreSQL, utilisez pg_dump"
        )
    return Path(url.database)


def backup_file_name(now: dt.datetime) -> str:
    return f"relance-{now:%Y%m%d-%H%M%S}.sqlite3"


def backup(database_url: str, target: Path) -> Path:
    """Copy the live database into `target` (a consistent snapshot)."""
    source = sqlite_path(database_url)
    if not source.exists():
        raise BackupError(f"base introuvable : {source}")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(partial)) as dst:
        src.backup(dst)
    partial.replace(target)
    return target


def backups_in(folder: Path) -> list[Path]:
    """The backups `relance backup` wrote in the folder, oldest first."""
    return sorted(folder.glob("relance-*.sqlite3"))


def prune(folder: Path, keep: int) -> list[Path]:
    """Delete all but the `keep` newest backups in the folder; return what was deleted."""
    backups = backups_in(folder)
    doomed = backups[:-keep] if keep > 0 else []
    for path in doomed:
        path.unlink()
    return doomed


def check_backup(path: Path) -> str:
    """The schema revision of a backup file, after an integrity check."""
    try:
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
            if conn.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                raise BackupError(f"{path} : fichier endommagé (integrity_check)")
            row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path} : pas une sauvegarde relance ({exc})") from exc
    if row is None:
        raise BackupError(f"{path} : pas une sauvegarde relance (aucune révision)")
    return str(row[0])


def restore(database_url: str, source: Path) -> str:
    """Replace the database's content by the backup's; returns the backup's revision."""
    revision = check_backup(source)
    target = sqlite_path(database_url)
    target.parent.mkdir(parents=True, exist_ok=True)
    with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(target)) as dst:
        src.backup(dst)
    return revision
