"""The drop folder: scanned at start, watched, stable files only, never taken twice."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

import pytest
from sqlmodel import Session, select

from daemon.app import App
from daemon.ingest.intake.intake import Intake
from daemon.ingest.intake.watcher import DropWatcher
from db.models import IntakeFile
from db.schools import add_school
from tests.conftest import NOW, make_settings
from tests.factories import UAI, cr_text, extraction_csv


@pytest.fixture
def watcher(tmp_path: Path, database_url: str, engine) -> DropWatcher:
    settings = make_settings(tmp_path, database_url, intake={"stable_seconds": 0.3})
    app = App(settings, clock=lambda: NOW, _engine=engine)
    with Session(engine) as session:
        add_school(session, now=NOW, uai=UAI, actor="t", name="École")
        session.commit()
    return DropWatcher(Intake(app), clock=lambda: NOW)


def age(path: Path, seconds: float = 60) -> None:
    past = time.time() - seconds
    os.utime(path, (past, past))


def test_a_scan_takes_settled_files_and_leaves_junk(watcher: DropWatcher) -> None:
    drop = watcher.drop_dir
    (drop / UAI).mkdir(parents=True)
    files = {
        "cr.txt": cr_text(),
        f"{UAI}/CSVExtraction.csv": extraction_csv(),
        ".DS_Store": b"junk",
        "~$brouillon.docx": b"lock",
        "cr.pdf.crdownload": b"partial",
    }
    for name, data in files.items():
        (drop / name).write_bytes(data)
        age(drop / name)
    results = watcher.scan_once()
    assert sorted((r.filename, r.outcome) for r in results) == [
        ("CSVExtraction.csv", "processed"),
        ("cr.txt", "processed"),
    ]
    assert {p.name for p in drop.iterdir() if p.is_file()} == {
        ".DS_Store",
        "~$brouillon.docx",
        "cr.pdf.crdownload",
    }
    processed = list((drop / "processed").rglob("*"))
    assert {p.name for p in processed if p.is_file()} == {"cr.txt", "CSVExtraction.csv"}
    assert watcher.scan_once() == []  # never taken twice


def test_a_file_still_being_written_waits(watcher: DropWatcher) -> None:
    drop = watcher.drop_dir
    drop.mkdir(parents=True, exist_ok=True)
    path = drop / "cr.txt"
    path.write_bytes(cr_text()[:100])
    assert watcher.scan_once() == []
    path.write_bytes(cr_text())
    assert watcher.scan_once() == []
    time.sleep(0.4)
    assert [r.outcome for r in watcher.scan_once()] == ["processed"]


def test_bad_files_end_in_quarantine_with_a_reason_and_the_scan_goes_on(
    watcher: DropWatcher,
) -> None:
    drop = watcher.drop_dir
    drop.mkdir(parents=True, exist_ok=True)
    for name, data in {
        "vide.pdf": b"",
        "casse.pdf": b"%PDF-1.7 broken",
        "cr.txt": cr_text(),
    }.items():
        (drop / name).write_bytes(data)
        age(drop / name)
    (drop / "dossier-vide").mkdir()
    outcomes = {r.filename: r.outcome for r in watcher.scan_once()}
    assert outcomes == {
        "vide.pdf": "quarantined",
        "casse.pdf": "quarantined",
        "cr.txt": "processed",
    }
    quarantine = drop / "quarantine"
    assert (quarantine / "vide.pdf.reason.txt").read_text().count("fichier vide") == 1
    assert (quarantine / "casse.pdf").exists() and (quarantine / "casse.pdf.reason.txt").exists()


async def test_the_watcher_takes_a_dropped_file_and_stops_on_request(
    watcher: DropWatcher, engine
) -> None:
    stop = asyncio.Event()
    task = asyncio.create_task(watcher.run(stop))
    await asyncio.sleep(0.3)
    (watcher.drop_dir / "cr.txt").write_bytes(cr_text())
    for _ in range(100):
        await asyncio.sleep(0.1)
        with Session(engine) as session:
            if session.exec(select(IntakeFile)).first():
                break
    stop.set()
    await asyncio.wait_for(task, 5)
    with Session(engine) as session:
        assert [r.outcome for r in session.exec(select(IntakeFile))] == ["processed"]
