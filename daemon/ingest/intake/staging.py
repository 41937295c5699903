"""Files dropped on a school's page, waiting for their confirmation, within quotas.

A director's page asks before it takes a file: the bytes wait here (`<state>/web-uploads/<UAI>/`)
until the confirming POST, an hour at most. Whoever holds a link could send file after file
without confirming: so what waits is capped per school and in total (`web.staged_max_mb_*`),
and to make room the oldest waiting files go first (their confirmation then says « choisissez-le
à nouveau »). A file larger than a quota on its own is refused.
"""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

STAGED_DIR = "web-uploads"
TTL_SECONDS = 3600
_ID_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")


class StagingRefused(Exception):
    """The file cannot wait for its confirmation; the message is French."""


@dataclass(frozen=True)
class Waiting:
    path: Path  # the bytes; the name and size are in `<id>.json` next to it
    uai: str
    size: int
    mtime: float


class Staging:
    def __init__(self, state_dir: Path, *, per_school_mb: int, total_mb: int) -> None:
        self.root = state_dir / STAGED_DIR
        self.per_school = per_school_mb * 1024 * 1024
        self.total = total_mb * 1024 * 1024

    def stage(self, uai: str, filename: str, data: bytes, *, at: str) -> str:
        """Keep the bytes until confirmed; returns the id the confirm form carries."""
        if len(data) > min(self.per_school, self.total):
            raise StagingRefused("fichier trop gros pour être mis en attente de confirmation")
        waiting = self._expire(self._waiting())
        self._make_room([w for w in waiting if w.uai == uai], self.per_school - len(data))
        self._make_room(self._waiting(), self.total - len(data))
        staged = secrets.token_urlsafe(18)
        folder = self.root / uai
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{staged}.bin").write_bytes(data)
        meta = {"filename": filename, "size": len(data), "at": at}
        (folder / f"{staged}.json").write_text(json.dumps(meta), encoding="utf-8")
        return staged

    def take(self, uai: str, staged: str) -> tuple[str, bytes] | None:
        """The name and bytes waiting under this id for this school (then forgotten), or
        None: unknown, taken already, expired or pushed out by newer files."""
        if not staged or not set(staged) <= _ID_CHARS:
            return None
        data_path = self.root / uai / f"{staged}.bin"
        meta_path = data_path.with_suffix(".json")
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            data = data_path.read_bytes()
        except (OSError, ValueError):
            return None
        finally:
            data_path.unlink(missing_ok=True)
            meta_path.unlink(missing_ok=True)
        return str(meta.get("filename") or "fichier"), data

    def _waiting(self) -> list[Waiting]:
        found = []
        for path in self.root.glob("*/*.bin"):
            try:
                info = path.stat()
            except FileNotFoundError:  # taken or deleted by another request meanwhile
                continue
            found.append(Waiting(path, path.parent.name, info.st_size, info.st_mtime))
        return sorted(found, key=lambda w: w.mtime)

    def _expire(self, waiting: list[Waiting]) -> list[Waiting]:
        cutoff = time.time() - TTL_SECONDS
        for old in (w for w in waiting if w.mtime < cutoff):
            _forget(old)
        return [w for w in waiting if w.mtime >= cutoff]

    @staticmethod
    def _make_room(waiting: list[Waiting], room: int) -> None:
        """Forget the oldest until what waits fits in `room` bytes."""
        used = sum(w.size for w in waiting)
        for oldest in waiting:
            if used <= room:
                return
            _forget(oldest)
            used -= oldest.size


def _forget(waiting: Waiting) -> None:
    waiting.path.unlink(missing_ok=True)
    waiting.path.with_suffix(".json").unlink(missing_ok=True)
