"""The demo built once per test process (it takes a while): each test works on its own copy."""

from __future__ import annotations

import datetime as dt
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
    """The demo as `relance demo --build-only` makes it at NOW, and the progress it told."""
    folder = tmp_path_factory.mktemp("demo") / "d"
    heard: list[Heard] = []
    build_demo(folder, now=NOW.astimezone(dt.UTC), progress=lambda *a: heard.append(a))
    yield folder, heard


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
