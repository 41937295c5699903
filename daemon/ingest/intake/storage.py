"""Where taken files end up: `processed/` or `quarantine/` (with a `.reason.txt` next to it).

Files from the drop folder are moved inside it (`drop/processed/<day>/`, `drop/quarantine/`);
files from a page, the API or the command line are written under the state folder
(`files/<month>/`, `quarantine/`). Nothing is overwritten: a name already taken gets a suffix.

An accepted export archive is the exception: it is not kept (it holds addresses and
responsables; what relance keeps of it is in the database). Dropped, it leaves a receipt
`<name>.txt` in `drop/processed/<day>/` instead. A refused one is quarantined like any file.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import unicodedata
from pathlib import Path
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")
REASON_SUFFIX = ".reason.txt"
RECEIPT_SUFFIX = ".txt"
JUNK_NAMES = {".ds_store", "thumbs.db", "desktop.ini", ".directory", "icon\r"}
JUNK_PREFIXES = ("~$", ".~lock", "._", ".#")
JUNK_SUFFIXES = (
    ".part",
    ".crdownload",
    ".download",
    ".partial",
    ".tmp",
    ".temp",
    ".swp",
    "~",
    REASON_SUFFIX,
)


def _moment(now: dt.datetime) -> str:
    """« 07/12/2026 à 19:27 (heure de Paris) »: what a person reads in a reason or a receipt."""
    return now.astimezone(PARIS).strftime("%d/%m/%Y à %H:%M (heure de Paris)")


def reason_file(target: Path) -> Path:
    """Where the reason of a quarantined file is kept: next to it."""
    return target.with_name(target.name + REASON_SUFFIX)


def is_junk(name: str) -> bool:
    """Files nobody meant to drop: OS droppings, office lock files, partial downloads."""
    lower = name.lower()
    return (
        lower in JUNK_NAMES
        or lower.startswith(JUNK_PREFIXES)
        or lower.endswith(JUNK_SUFFIXES)
        or (lower.startswith(".") and lower.count(".") == 1)
    )


def safe_name(name: str, *, limit: int = 120) -> str:
    """A file name safe on any disk: no folders, no control characters, bounded length."""
    name = unicodedata.normalize("NFC", Path(name.replace("\\", "/")).name)
    name = re.sub(r"[\x00-\x1f\x7f/:*?\"<>|]+", "_", name).strip(" .") or "fichier"
    stem, dot, suffix = name.rpartition(".")
    if dot and len(suffix) <= 10 and stem:
        return stem[: limit - len(suffix) - 1] + "." + suffix
    return name[:limit]


def free_path(folder: Path, name: str) -> Path:
    """`folder/name`, or `name-1`, `name-2`… if taken."""
    folder.mkdir(parents=True, exist_ok=True)
    candidate = folder / name
    stem, suffix = Path(name).stem, Path(name).suffix
    number = 1
    while candidate.exists() or candidate.is_symlink():
        candidate = folder / f"{stem}-{number}{suffix}"
        number += 1
    return candidate


class Store:
    """Destinations for one installation."""

    def __init__(self, *, state_dir: Path, drop_dir: Path) -> None:
        self.state_dir = state_dir
        self.drop_dir = drop_dir

    @property
    def drop_processed(self) -> Path:
        return self.drop_dir / "processed"

    @property
    def drop_quarantine(self) -> Path:
        return self.drop_dir / "quarantine"

    def is_outcome_folder(self, path: Path) -> bool:
        """True inside drop/processed or drop/quarantine (never taken again)."""
        try:
            relative = path.resolve().relative_to(self.drop_dir.resolve())
        except ValueError:
            return False
        return bool(relative.parts) and relative.parts[0] in {"processed", "quarantine"}

    def destination(
        self, name: str, *, quarantined: bool, from_drop: bool, now: dt.datetime
    ) -> Path:
        if from_drop:
            folder = (
                self.drop_quarantine if quarantined else self.drop_processed / f"{now:%Y-%m-%d}"
            )
        else:
            folder = (
                self.state_dir / "quarantine"
                if quarantined
                else self.state_dir / "files" / f"{now:%Y-%m}"
            )
        return free_path(folder, safe_name(name))

    def receipt(self, name: str, *, now: dt.datetime) -> Path:
        """Where the receipt of a dropped file that is not kept goes."""
        return free_path(self.drop_processed / f"{now:%Y-%m-%d}", safe_name(name + RECEIPT_SUFFIX))

    @staticmethod
    def write_receipt(target: Path, message: str, *, original: str, now: dt.datetime) -> None:
        text = (
            f"Fichier : {original}\nReçu le : {_moment(now)}\n{message}\n"
            "L'archive elle-même n'est pas conservée : elle contient les adresses des élèves et "
            "leurs responsables, que relance ne garde pas. Ce qui en est retenu (tableau "
            "d'effectif, élèves, test de cohérence) est sur la page de l'école.\n"
        )
        Store.write(target, text.encode("utf-8"))

    @staticmethod
    def write(target: Path, data: bytes) -> None:
        tmp = target.with_name(target.name + ".writing")
        tmp.write_bytes(data)
        os.replace(tmp, target)

    @staticmethod
    def move(source: Path, target: Path) -> None:
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(source), str(target))

    @staticmethod
    def write_reason(target: Path, reason: str, *, original: str, now: dt.datetime) -> None:
        text = f"Fichier : {original}\nMis en quarantaine le : {_moment(now)}\nRaison : {reason}\n"
        reason_file(target).write_text(text, encoding="utf-8")

    @staticmethod
    def remove(target: Path) -> None:
        """Delete a kept file and the reason next to it, if they are there."""
        target.unlink(missing_ok=True)
        reason_file(target).unlink(missing_ok=True)
