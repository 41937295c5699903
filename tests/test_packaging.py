"""`pip install .` gives a working relance: every package, the templates and the data files are
in the wheel, not only in a clone."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def test_every_package_of_the_source_is_listed_for_the_wheel() -> None:
    listed = set(
        tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]
    )
    found = {
        ".".join(init.parent.relative_to(REPO).parts)
        for folder in ("daemon", "db")
        for init in (REPO / folder).rglob("__init__.py")
    }
    assert listed == found | {"daemon.templates"}


@pytest.mark.slow
def test_an_installed_wheel_finds_its_templates_and_data(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", str(REPO), "-w", str(tmp_path)],
        check=True,
        capture_output=True,
    )
    wheel = next(tmp_path.glob("relance-*.whl"))
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target), wheel],
        check=True,
        capture_output=True,
    )
    probe = """
import pkgutil, daemon, db
from daemon.reminders.compose import environment
assert daemon.__file__.startswith(TARGET), daemon.__file__
for module in pkgutil.walk_packages(daemon.__path__, "daemon."):
    if module.name != "daemon.__main__":
        __import__(module.name)
environment(daemon.TEMPLATES_DIR).get_template("reminder/subject.txt")
assert (daemon.TEMPLATES_DIR / "pages").is_dir()
assert (daemon.DATA_DIR / "report_labels.toml").is_file()
from db.migrate import MIGRATIONS
assert any(MIGRATIONS.glob("versions/*.py"))
print("ok", daemon.TEMPLATES_DIR)
""".replace("TARGET", repr(str(target)))
    done = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=tmp_path,
        env={"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("ok " + str(target))
