"""`relance ingest PATH...`: files and folders from the command line."""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from daemon.cli import cli
from daemon.cli.base import console
from daemon.cli.ingest_cmd import Summary
from daemon.codes import uai_check_letter
from daemon.demo.generate import DemoPupil, archive
from daemon.ingest.intake.intake import IntakeResult
from db.states import IntakeOutcome
from tests.factories import UAI, cr_text, extraction_csv


def test_ingest_files_and_folders(tmp_path: Path, database_url: str) -> None:
    env = {"RELANCE_DATABASE_URL": database_url, "RELANCE_STATE_DIR": str(tmp_path / "state")}
    runner = CliRunner()
    runner.invoke(cli, ["schools", "add", UAI, "--name", "École"], env=env)
    folder = tmp_path / "depot" / UAI
    folder.mkdir(parents=True)
    (folder / "CSVExtraction.csv").write_bytes(extraction_csv())
    (folder / ".DS_Store").write_bytes(b"junk")
    (tmp_path / "cr.txt").write_bytes(cr_text())
    (tmp_path / "vide.pdf").write_bytes(b"")
    result = runner.invoke(
        cli,
        [
            "ingest",
            str(tmp_path / "depot"),
            str(tmp_path / "cr.txt"),
            str(tmp_path / "vide.pdf"),
            "--json",
        ],
        env=env,
    )
    assert result.exit_code == 3, result.output  # something went to quarantine
    outcomes = {r["filename"]: r["outcome"] for r in json.loads(result.output)}
    assert outcomes == {
        "CSVExtraction.csv": "processed",
        "cr.txt": "processed",
        "vide.pdf": "quarantined",
    }
    assert (tmp_path / "cr.txt").exists()  # the command line copies, it never moves your files
    table = runner.invoke(cli, ["ingest", str(tmp_path / "cr.txt")], env=env)
    assert table.exit_code == 0 and "doublon" in table.output


def _ingest_peak_rss(tmp_path: Path, database_url: str, count: int) -> float:
    """Peak resident memory (MB) of `relance ingest` given `count` archives of 2,000 pupils."""
    env = {
        **os.environ,
        "RELANCE_DATABASE_URL": database_url,
        "RELANCE_STATE_DIR": str(tmp_path / f"state{count}"),
        "RELANCE_CONFIG": "",
    }
    rng = random.Random(count)
    folder = tmp_path / f"depot{count}"
    folder.mkdir()
    runner = CliRunner()
    born = dt.date(2019, 5, 3)
    for n in range(count):
        digits = f"044{n:04d}"
        uai = digits + uai_check_letter(digits)
        runner.invoke(cli, ["schools", "add", uai, "--name", f"École {n}"], env=env)
        pupils = [
            DemoPupil(f"E{i:05d}", "MARTIN", rng.choice(["Léa", "Noé"]), "F", born, "CP", "CP A")
            for i in range(2000)
        ]
        (folder / f"{uai}.zip").write_bytes(archive(uai, pupils, dt.date(2026, 9, 1)))
    relance = Path(sys.executable).with_name("relance")
    process = subprocess.Popen(
        [str(relance), "ingest", str(folder)], env=env, stdout=subprocess.DEVNULL
    )
    _pid, status, usage = os.wait4(process.pid, 0)
    assert status == 0
    return usage.ru_maxrss / 1024


@pytest.mark.slow
def test_ingest_memory_stays_flat(tmp_path: Path, database_url: str) -> None:
    """What was read of each file is let go once counted: ten times the archives, each holding
    2,000 pupils, need no more memory (it grew by about 0.6 MB an archive when kept)."""
    few = _ingest_peak_rss(tmp_path, database_url, 3)
    many = _ingest_peak_rss(tmp_path, database_url, 30)
    assert many - few < 8, (few, many)


def test_summary_shows_problems_first_and_counts_all() -> None:
    summary = Summary()
    for n in range(60):
        summary.add(IntakeResult(IntakeOutcome.PROCESSED, f"cr-{n}.pdf", uai=UAI, message="lu"))
    for n in range(2):
        summary.add(IntakeResult(IntakeOutcome.QUARANTINED, f"vide-{n}.pdf", reason="vide"))
    assert len(summary.problems) == 2 and len(summary.processed) == Summary.TABLE_ROWS
    with console.capture() as captured:
        summary.print()
    text = captured.get()
    assert "62 fichiers" in text and "vide-1.pdf" in text and "cr-47.pdf" in text
    assert "cr-48.pdf" not in text
    assert "12 autres fichiers non affichés" in text
    assert "quarantaine : 2 ; traité : 60" in text
