"""The demo built once per test run (it takes a while), shared by the xdist workers through a
file lock: each test works on its own copy."""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from daemon.demo.build import build_demo
from daemon.demo.timeline import PARIS

NOW = dt.datetime(2026, 12, 3, 15, 0, tzinfo=PARIS)  # a Thursday afternoon
TODAY = NOW.date()
Heard = tuple[str, int, int]  # what the build said of its progress: step, done, total


@pytest.fixture(scope="session", name="built")
def built_fixture(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, list[Heard]]]:
    """The demo as `relance demo --build-only` makes it at NOW, and the progress it told.

    The first worker to get here builds it in the run's shared temporary folder (the parent of
    each worker's own); the other waits on the lock and reads it. (`--dist loadgroup` would
    keep the demo tests on one worker, but pytest 9.2 no longer lets xdist group them.)"""
    shared = tmp_path_factory.getbasetemp().parent
    if shared.name.startswith("pytest-of-"):  # not under xdist: this process's own folder
        shared = tmp_path_factory.getbasetemp()
    folder, told = shared / "demo-built" / "d", shared / "demo-built.json"
    with (shared / "demo-built.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not told.exists():
            heard: list[Heard] = []
            build_demo(folder, now=NOW.astimezone(dt.UTC), progress=lambda *a: heard.append(a))
            told.write_text(json.dumps(heard), encoding="utf-8")
    yield folder, [tuple(h) for h in json.loads(told.read_text(encoding="utf-8"))]  # type: ignore[misc]


@pytest.fixture(name="demo")
def demo_fixture(built: tuple[Path, list[Heard]], tmp_path: Path) -> Path:
    """A copy of the built demo this test may change."""
    copy = tmp_path / "d"
    shutil.copytree(built[0], copy)
    config = copy / "relance.toml"
    config.write_text(
        config.read_text(encoding="utf-8").replace(str(built[0]), str(copy)), encoding="utf-8"
    )
    return copy
