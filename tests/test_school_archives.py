"""Recording archives through the intake into a real database: what is kept, what never is."""

from __future__ import annotations

import logging
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlmodel import Session, SQLModel, select

from daemon.app import App
from daemon.ingest.intake.intake import Intake
from db.models import Event, ExportSubmission, FollowUp, Pupil
from db.schools import add_school
from tests.archives import SECRETS, UAI, add_column, layout, set_cell, to_zip
from tests.conftest import NOW


@pytest.fixture
def intake(app: App, session: Session) -> Intake:
    add_school(session, now=NOW, uai=UAI, actor="t", name="École Saint-Joseph")
    session.commit()
    return Intake(app)


def dump_every_table(session: Session) -> str:
    session.rollback()
    chunks = []
    for table in SQLModel.metadata.sorted_tables:
        rows = session.exec(text(f'SELECT * FROM "{table.name}"')).all()  # type: ignore[call-overload]
        # every value in full (a row's repr would shorten long values)
        chunks += [f"{table.name}: " + " | ".join(str(v) for v in row) for row in rows]
    return "\n".join(chunks)


def test_no_address_nor_responsable_reaches_the_database_or_the_logs(
    intake: Intake, session: Session, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    m = layout(12)
    set_cell(m, "responsables.csv", 1, "autorite_parentale", "Non")  # a finding about them
    set_cell(m, "eleves.csv", 2, "code_postal", "")  # a finding about an address
    add_column(m, "eleves.csv", "religion", "SECRET-RELIGION")
    data = to_zip(m, raw={"sante.csv": b"id_eleve;allergie\nE00001;SECRET-SANTE\n"})
    result = intake.take_bytes(data, filename=f"{UAI}.zip", channel="api", now=NOW)
    assert result.outcome == "processed", result.reason
    dump = dump_every_table(session)
    assert "MARTIN0" in dump and "E00001" in dump  # the dump does hold what is kept
    for secret in (*SECRETS, "SECRET-RELIGION", "SECRET-SANTE"):
        assert secret not in dump, secret
        assert secret not in caplog.text, secret
    assert "MARTIN0" not in caplog.text  # no pupil names in the logs either


def files_under(*folders: Path) -> list[Path]:
    return sorted(
        p for folder in folders if folder.exists() for p in folder.rglob("*") if p.is_file()
    )


def test_an_accepted_archive_is_not_kept_on_disk(
    app: App, intake: Intake, session: Session
) -> None:
    state, drop = app.settings.state_path, app.settings.drop_path
    stored = to_zip(layout(5), compression=zipfile.ZIP_STORED)  # a kept copy would show SECRETS
    by_api = intake.take_bytes(stored, filename=f"{UAI}.zip", channel="api", now=NOW)
    again = intake.take_bytes(stored, filename=f"{UAI}.zip", channel="cli", now=NOW)
    assert (by_api.outcome, by_api.stored_path) == ("processed", "")
    assert (again.outcome, again.stored_path) == ("duplicate", "")
    drop.mkdir(parents=True, exist_ok=True)
    dropped = drop / f"{UAI}.zip"
    dropped.write_bytes(to_zip(layout(6), compression=zipfile.ZIP_STORED))
    by_drop = intake.take_path(dropped, channel="folder", now=NOW, root=drop)
    assert by_drop.outcome == "processed" and not dropped.exists()
    receipt = Path(by_drop.stored_path)
    assert receipt.parent.parent == drop / "processed" and receipt.name == f"{UAI}.zip.txt"
    text = receipt.read_text(encoding="utf-8")
    assert "6 élèves" in text and "n'est pas conservée" in text
    everything = files_under(state, drop)
    assert not [p for p in everything if p.suffix == ".zip"], everything
    for path in everything:
        content = path.read_bytes()
        for secret in SECRETS:
            assert secret.encode() not in content, (path, secret)
    paths = [s.stored_path for s in session.exec(select(ExportSubmission)).all()]
    assert paths == ["", "", ""]


def test_a_refused_archive_is_kept_as_received_in_quarantine(
    app: App, intake: Intake, session: Session
) -> None:
    data = to_zip(layout(2), raw={"../evasion.csv": b"x"})
    result = intake.take_bytes(data, filename=f"{UAI}.zip", channel="api", now=NOW)
    assert result.outcome == "quarantined" and "chemin interdit" in result.reason
    kept = Path(result.stored_path)
    assert kept.parent == app.settings.state_path / "quarantine" and kept.read_bytes() == data
    submission = session.exec(select(ExportSubmission)).one()
    assert submission.stored_path == str(kept) and not submission.accepted


def test_pupils_headcount_findings_and_stage_are_recorded(intake: Intake, session: Session) -> None:
    m = layout(8)
    set_cell(m, "eleves.csv", 3, "sexe", "")
    intake.take_bytes(to_zip(m), filename=f"{UAI}.zip", channel="api", now=NOW)
    submission = session.exec(select(ExportSubmission)).one()
    assert submission.accepted and submission.headcount
    assert submission.headcount["by_cycle"] == {"CYCLE I": 3, "CYCLE II": 3, "CYCLE III": 2}
    assert [(f["id_eleve"], f["field"]) for f in submission.findings] == [("E00003", "sexe")]
    pupils = session.exec(select(Pupil).order_by(Pupil.last_name)).all()  # type: ignore[arg-type]
    assert len(pupils) == 8
    assert {(p.level, p.cycle, p.class_label) for p in pupils if p.last_name == "LE GOFF1"} == {
        ("MS", "CYCLE I", "MS Mme Durand")
    }
    assert session.exec(select(FollowUp)).one().stage == "exported"
    kinds = [e.kind for e in session.exec(select(Event)).all()]
    assert "export_received" in kinds and "stage_changed" in kinds


def test_a_new_archive_supersedes_the_previous_one(intake: Intake, session: Session) -> None:
    first = intake.take_bytes(to_zip(layout(3)), filename=f"{UAI}.zip", channel="api", now=NOW)
    second = intake.take_bytes(to_zip(layout(4)), filename=f"{UAI}.zip", channel="cli", now=NOW)
    assert (first.outcome, second.outcome) == ("processed", "processed")
    rows = session.exec(select(ExportSubmission).order_by(ExportSubmission.id)).all()  # type: ignore[arg-type]
    assert rows[0].superseded_by_id == rows[1].id and rows[1].superseded_by_id is None


def test_a_refused_archive_in_between_does_not_keep_the_older_one_current(
    intake: Intake, session: Session
) -> None:
    bomb = to_zip({"eleves.csv": [["0" * 5_000_000]]})
    for archive in (to_zip(layout(3)), bomb, to_zip(layout(4))):
        intake.take_bytes(archive, filename=f"{UAI}.zip", channel="api", now=NOW)
    rows = session.exec(select(ExportSubmission).order_by(ExportSubmission.id)).all()  # type: ignore[arg-type]
    assert [r.accepted for r in rows] == [True, False, True]
    assert [r.superseded_by_id for r in rows] == [rows[2].id, None, None]


def test_an_archive_for_another_school_is_quarantined_with_its_reason(
    intake: Intake, session: Session
) -> None:
    result = intake.take_bytes(
        to_zip(layout(2)), filename=f"{UAI}.zip", channel="api", now=NOW, school_uai="0350001A"
    )
    assert result.outcome == "quarantined" and "0350001A" in result.reason


def test_an_archive_sent_for_another_school_is_not_recorded_as_its_own_school_s(
    intake: Intake, session: Session
) -> None:
    data = to_zip(layout(3))
    first = intake.take_bytes(data, filename=f"{UAI}.zip", channel="api", now=NOW)
    assert first.outcome == "processed"
    for archive in (data, to_zip(layout(4))):  # bytes seen before (not a re-submission), new bytes
        result = intake.take_bytes(
            archive, filename=f"{UAI}.zip", channel="api", now=NOW, school_uai="0350001L"
        )
        assert result.outcome == "quarantined" and "0350001L" in result.reason
        assert result.uai is None and result.submission_id is None
        assert "0350001L" in Path(result.stored_path + ".reason.txt").read_text(encoding="utf-8")
    assert len(session.exec(select(ExportSubmission)).all()) == 1
    kinds = [e.kind for e in session.exec(select(Event)).all()]
    assert kinds.count("export_received") == 1 and "export_resubmitted" not in kinds


def test_a_zip_bomb_is_quarantined_with_its_reason_and_recorded(
    intake: Intake, session: Session
) -> None:
    bomb = to_zip({"eleves.csv": [["0" * 5_000_000]]})
    result = intake.take_bytes(bomb, filename=f"{UAI}.zip", channel="api", now=NOW)
    assert result.outcome == "quarantined" and "bombe zip" in result.reason
    reason_file = Path(result.stored_path + ".reason.txt")
    assert "bombe zip" in reason_file.read_text(encoding="utf-8")
    submission = session.exec(select(ExportSubmission)).one()
    assert not submission.accepted and "bombe zip" in submission.refusal
    assert submission.members == ["eleves.csv"]
