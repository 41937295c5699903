"""`relance ingest PATH...`: files and folders from the command line."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from daemon.cli import cli
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
