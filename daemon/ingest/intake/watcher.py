"""The drop folder: scanned at start, then watched (watchfiles). A file is taken once its size
and modification time have not changed for `intake.stable_seconds`; junk is ignored; each taken
file ends in `processed/` or `quarantine/`, so it is never taken twice."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from watchfiles import awatch

from daemon.ingest.intake.intake import Intake, IntakeResult
from daemon.ingest.intake.storage import is_junk

log = logging.getLogger(__name__)
RESCAN_MS = 1000


@dataclass(frozen=True)
class Seen:
    size: int
    mtime_ns: int
    since: float  # monotonic time this (size, mtime) was first observed


class DropWatcher:
    def __init__(self, intake: Intake, *, clock: Callable[[], dt.datetime]) -> None:
        self.intake = intake
        self.clock = clock
        self.drop_dir = intake.store.drop_dir
        self.stable_seconds = intake.app.settings.intake.stable_seconds
        self.seen: dict[Path, Seen] = {}
        self.taken = 0

    def candidates(self) -> list[Path]:
        """Files (and symlinks) under the drop folder, outside processed/ and quarantine/."""
        found: list[Path] = []
        for folder, dirs, files in os.walk(self.drop_dir, followlinks=False):
            here = Path(folder)
            if here == self.drop_dir:
                dirs[:] = [d for d in dirs if d not in {"processed", "quarantine"}]
            found.extend(here / d for d in dirs if (here / d).is_symlink())
            found.extend(here / f for f in files if not is_junk(f))
        return sorted(found)

    def stable(self, path: Path, now_mono: float) -> bool:
        """True once the file's size and mtime held still long enough."""
        try:
            info = path.lstat()
        except FileNotFoundError:
            self.seen.pop(path, None)
            return False
        previous = self.seen.get(path)
        if previous is None or (previous.size, previous.mtime_ns) != (
            info.st_size,
            info.st_mtime_ns,
        ):
            age = time.time() - info.st_mtime
            since = now_mono - age if previous is None and age > 0 else now_mono
            self.seen[path] = Seen(info.st_size, info.st_mtime_ns, since)
        return now_mono - self.seen[path].since >= self.stable_seconds

    def scan_once(self) -> list[IntakeResult]:
        """Take every stable file now; unstable ones wait for the next scan."""
        self.drop_dir.mkdir(parents=True, exist_ok=True)
        results = []
        now_mono = time.monotonic()
        for path in self.candidates():
            if not self.stable(path, now_mono):
                continue
            self.seen.pop(path, None)
            try:
                results.append(
                    self.intake.take_path(
                        path, channel="folder", now=self.clock(), root=self.drop_dir
                    )
                )
                self.taken += 1
            except Exception:  # a file that cannot even be moved must not stop the watcher
                log.exception("drop folder: could not take %s", path.name)
        return results

    async def run(self, stop: asyncio.Event) -> None:
        """Scan at start, then on every change (and every second while files settle)."""
        self.drop_dir.mkdir(parents=True, exist_ok=True)
        log.info("drop folder watched: %s", self.drop_dir)
        await asyncio.to_thread(self.scan_once)
        async for _changes in awatch(
            self.drop_dir,
            stop_event=stop,
            rust_timeout=RESCAN_MS,
            yield_on_timeout=True,
            recursive=True,
            ignore_permission_denied=True,
        ):
            if stop.is_set():
                break
            await asyncio.to_thread(self.scan_once)
