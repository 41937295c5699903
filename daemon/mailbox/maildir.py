"""A Maildir folder as the mailbox (the demo, or trying relance without a mail server): the
same processing as IMAP, another source. Messages are files in `new/` and `cur/`; a processed
one is renamed (atomically, never copied then deleted) into the Maildir++ sub-folder named
after the configured folder (`relance/traités` → `.relance.traités/cur/`)."""

from __future__ import annotations

import datetime as dt
import os
import threading
from collections.abc import Sequence
from pathlib import Path

from daemon.config.settings import MailboxSettings
from daemon.mailbox.reading import header_block
from daemon.mailbox.source import Destination, Listed, folder_name

SUBDIRS = ("tmp", "new", "cur")


class MaildirSource:
    def __init__(self, settings: MailboxSettings) -> None:
        self.root = Path(settings.maildir).expanduser()
        self.description = f"maildir://{self.root}"
        self.folders = {
            Destination.PROCESSED: self._subfolder(settings.processed_folder),
            Destination.REFUSED: self._subfolder(settings.refused_folder),
        }

    def _subfolder(self, configured: str) -> Path:
        return self.root / ("." + folder_name(configured, "."))

    def open(self) -> None:
        for folder in (self.root, *self.folders.values()):
            for sub in SUBDIRS:
                (folder / sub).mkdir(parents=True, exist_ok=True)

    def _path(self, ref: str) -> Path | None:
        for sub in ("new", "cur"):
            path = self.root / sub / ref
            if path.is_file():
                return path
        return None

    def listing(self, since: dt.date | None) -> list[str]:
        found: list[tuple[float, str]] = []
        for sub in ("new", "cur"):
            for entry in os.scandir(self.root / sub):
                if entry.is_file() and not entry.name.startswith("."):
                    found.append((entry.stat().st_mtime, entry.name))
        return [name for _mtime, name in sorted(found)]

    def headers(self, refs: Sequence[str]) -> list[Listed]:
        listed: list[Listed] = []
        for ref in refs:
            path = self._path(ref)
            if path is not None:
                with path.open("rb") as handle:
                    head = header_block(handle.read(256 * 1024))
                listed.append(Listed(ref, head, path.stat().st_size))
        return listed

    def fetch(self, ref: str) -> bytes | None:
        path = self._path(ref)
        return path.read_bytes() if path is not None else None

    def move(self, ref: str, destination: Destination) -> None:
        path = self._path(ref)
        if path is None:
            return  # moved already (another daemon)
        name = ref if ":2," in ref else f"{ref}:2,"
        os.rename(path, self.folders[destination] / "cur" / name)

    def wait(self, seconds: float, halt: threading.Event) -> None:
        halt.wait(seconds)

    def close(self) -> None:
        pass
