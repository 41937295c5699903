"""Where taken files end up: `processed/` or `quarantine/` (with a `.reason.txt` next to it).

Every file is touched through `nofollow` (never through a link): a drop folder is shared.
Files from the drop folder are moved inside it (`drop/processed/<day>/`, `drop/quarantine/`);
files from a page, the API or the command line are written under the state folder
(`files/<month>/`, `quarantine/`). Nothing is overwritten: a name already taken gets a suffix.

An accepted export archive is the exception: it is not kept (it holds addresses and
responsables; what relance keeps of it is in the database). Dropped, it leaves a receipt
`<name>.txt` in `drop/processed/<day>/` instead. A refused one is quarantined like any file.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from pathlib import Path
from typing import BinaryIO, ClassVar
from zoneinfo import ZoneInfo

from daemon.config import Settings
from daemon.ingest.intake.nofollow import (
    OUTSIDE,
    Refused,
    move_beneath,
    names_beneath,
    open_beneath,
    parts_beneath,
    unlink_beneath,
    write_beneath,
)

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


def free_path(base: Path, folder: Path, name: str) -> Path:
    """`folder/name`, or `name-1`, `name-2`… if taken (by anything, a link included), from one
    listing of the folder: a name dropped every day (`compte-rendu.pdf`) is taken hundreds of
    times in a month's folder."""
    taken = names_beneath(base, folder)
    stem, suffix = Path(name).stem, Path(name).suffix
    candidate, number = name, 1
    while candidate in taken or candidate + REASON_SUFFIX in taken:
        candidate = f"{stem}-{number}{suffix}"
        number += 1
    return folder / candidate


class Store:
    """Destinations for one installation, and the one way to touch what is kept there: every
    read, write, move and deletion goes through `nofollow` (never through a link)."""

    KEPT: ClassVar[dict[str, tuple[str, ...]]] = {
        "drop": ("processed", "quarantine"),
        "state": ("files", "quarantine"),
    }

    def __init__(self, *, state_dir: Path, drop_dir: Path) -> None:
        self.state_dir = state_dir
        self.drop_dir = drop_dir

    @classmethod
    def of(cls, settings: Settings) -> Store:
        return cls(state_dir=settings.state_path, drop_dir=settings.drop_path)

    @property
    def drop_processed(self) -> Path:
        return self.drop_dir / "processed"

    @property
    def drop_quarantine(self) -> Path:
        return self.drop_dir / "quarantine"

    def base_of(self, path: Path) -> Path:
        """The configured folder a kept file lies beneath (the drop folder first: it may be
        inside the state folder); Refused for a path outside the folders relance keeps."""
        for base, kept in (
            (self.drop_dir, self.KEPT["drop"]),
            (self.state_dir, self.KEPT["state"]),
        ):
            try:
                parts = parts_beneath(base, path)
            except Refused:
                continue
            if len(parts) >= 2 and parts[0] in kept:
                return base
        raise Refused(OUTSIDE)

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
        return free_path(self.base_of(folder / "x"), folder, safe_name(name))

    def receipt(self, name: str, *, now: dt.datetime) -> Path:
        """Where the receipt of a dropped file that is not kept goes."""
        folder = self.drop_processed / f"{now:%Y-%m-%d}"
        return free_path(self.drop_dir, folder, safe_name(name + RECEIPT_SUFFIX))

    def write_receipt(self, target: Path, message: str, *, original: str, now: dt.datetime) -> None:
        text = (
            f"Fichier : {original}\nReçu le : {_moment(now)}\n{message}\n"
            "L'archive elle-même n'est pas conservée : elle contient les adresses des élèves et "
            "leurs responsables, que relance ne garde pas. Ce qui en est retenu (tableau "
            "d'effectif, élèves, test de cohérence) est sur la page de l'école.\n"
        )
        self.write(target, text.encode("utf-8"))

    def write(self, target: Path, data: bytes) -> None:
        write_beneath(self.base_of(target), target, data)

    def source_base(self, source: Path) -> Path:
        """The folder a file to take is reached from: the drop folder for what lies in it
        (no link followed below it), else the file's own folder (a path given by hand)."""
        try:
            parts_beneath(self.drop_dir, source)
        except Refused:
            return source.parent
        return self.drop_dir

    def move(self, source: Path, target: Path) -> None:
        """A dropped entry (whatever it is: a link moves as a link) to its kept place."""
        move_beneath(self.source_base(source), source, self.base_of(target), target)

    def unlink_dropped(self, source: Path) -> None:
        """Delete a dropped file taken but not kept (an accepted archive)."""
        unlink_beneath(self.source_base(source), source)

    def write_reason(self, target: Path, reason: str, *, original: str, now: dt.datetime) -> None:
        text = f"Fichier : {original}\nMis en quarantaine le : {_moment(now)}\nRaison : {reason}\n"
        self.write(reason_file(target), text.encode("utf-8"))

    def open(self, stored_path: str) -> BinaryIO:
        """A kept file, to read: Refused (French reason) when it is outside the kept folders,
        reached through a link, not a regular file, or gone."""
        if not stored_path:
            raise Refused("fichier non conservé")
        path = Path(stored_path)
        return open_beneath(self.base_of(path), path)

    def remove(self, target: Path) -> bool:
        """Delete a kept entry and the reason next to it, if they are there (a link is deleted
        itself, never what it points to). False when the entry was not there."""
        base = self.base_of(target)
        unlink_beneath(base, reason_file(target))
        return unlink_beneath(base, target)
