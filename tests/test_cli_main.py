"""The `relance` entry point: commands imported only when run, `--help` from the table of
commands, operators' English log lines kept off a person's terminal."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from daemon.cli import COMMANDS, cli
from tests.conftest import REPO

HEAVY = ("sqlalchemy", "sqlmodel", "pydantic", "alembic", "fastapi", "rich", "daemon.app")


def run_python(
    code: str, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=120,
    )


LOADED_AFTER = """
import json, sys
from daemon.cli import main
sys.argv = ["relance", *sys.argv[1:]]
try:
    main()
except SystemExit:
    pass
print(json.dumps(sorted(sys.modules)), file=sys.stderr)
"""


def loaded_after(*args: str, env: dict[str, str] | None = None) -> list[str]:
    done = run_python(LOADED_AFTER, *args, env=env)
    modules: list[str] = json.loads(done.stderr.strip().splitlines()[-1])
    return modules


@pytest.mark.parametrize("args", [("--version",), ("--help",)])
def test_version_and_help_import_no_command_nor_database(args: tuple[str, ...]) -> None:
    modules = loaded_after(*args)
    heavy = [m for m in modules if m.split(".")[0] in HEAVY or m.startswith(HEAVY)]
    assert heavy == []
    assert not [m for m in modules if m.startswith("daemon.cli.") and m != "daemon.cli.french"]


@pytest.mark.slow
def test_school_show_imports_neither_migrations_nor_web_nor_calendar(tmp_path: Path) -> None:
    env = {"RELANCE_STATE_DIR": str(tmp_path), "RELANCE_CONFIG": ""}
    added = run_python(
        "from daemon.cli import main; main()", "schools", "add", "0441234C", "--name", "A", env=env
    )
    assert added.returncode == 0, added.stderr  # the database is made (and migrated) once
    modules = loaded_after("school", "show", "0441234C", env=env)
    assert "daemon.cli.schools_cmd" in modules and "sqlalchemy" in modules  # it did run
    unneeded = (
        "alembic",
        "mako",
        "fastapi",
        "starlette",
        "holidays",
        "jinja2",
        "aiosmtplib",
        "pypdf",
    )
    assert [m for m in modules if m.split(".")[0] in unneeded] == []


def test_help_lists_every_command_with_its_own_line() -> None:
    shown = CliRunner().invoke(cli, ["--help"])
    assert shown.exit_code == 0
    group = click.Context(cli)
    for name, (_target, line) in COMMANDS.items():
        command = cli.get_command(group, name)
        assert command is not None and command.name == name
        assert command.get_short_help_str(limit=500) == line, name
        assert f"  {name} " in shown.output
    assert "Commandes :" in shown.output


def test_an_unknown_command_is_said_in_french() -> None:
    result = CliRunner().invoke(cli, ["nimporte"])
    assert result.exit_code == 2 and "nimporte" in result.output


@pytest.mark.slow
def test_ingest_keeps_the_operators_log_lines_off_the_terminal(tmp_path: Path) -> None:
    bad = tmp_path / "lettre.docx"
    bad.write_bytes(b"PK\x03\x04 pas un export")
    env = {"RELANCE_STATE_DIR": str(tmp_path / "state"), "RELANCE_CONFIG": ""}
    code = "from daemon.cli import main; main()"
    quiet = run_python(code, "ingest", str(bad), env=env)
    assert quiet.returncode == 3, quiet.stderr
    assert "type de fichier non accepté" in quiet.stdout
    assert "intake" not in quiet.stderr and "quarantined" not in quiet.stderr
    assert quiet.stderr.strip() == ""
    verbose = run_python(code, "--verbose", "ingest", str(bad), env=env)
    assert "intake quarantined file=lettre.docx" in verbose.stderr
