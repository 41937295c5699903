"""The demo built once per test process (it takes a while): each test works on its own copy."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import time_machine
from click.testing import CliRunner, Result

from daemon.cli import cli

TODAY = dt.date(2026, 11, 30)  # a Monday


@pytest.fixture(scope="session", name="built")
def built_fixture(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Result]]:
    """The demo as `relance demo --build-only` makes it, and what the command printed."""
    folder = tmp_path_factory.mktemp("demo") / "d"
    morning = dt.datetime.combine(TODAY, dt.time(8), tzinfo=dt.UTC)
    with time_machine.travel(morning, tick=True):
        result = CliRunner().invoke(cli, ["demo", "--dir", str(folder), "--build-only"])
    assert result.exit_code == 0, result.output
    yield folder, result


@pytest.fixture(name="demo")
def demo_fixture(built: tuple[Path, Result], tmp_path: Path) -> Path:
    """A copy of the built demo this test may change."""
    copy = tmp_path / "d"
    shutil.copytree(built[0], copy)
    config = copy / "relance.toml"
    config.write_text(
        config.read_text(encoding="utf-8").replace(str(built[0]), str(copy)), encoding="utf-8"
    )
    return copy
