"""Purging a finished campaign's personal data, keeping the counts."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from daemon.app import App
from daemon.cli import cli
from daemon.ingest.intake.intake import Intake
from daemon.ingest.intake.storage import Store
from daemon.ingest.reports.records import AnomalyRow, CompteRendu, Counts, IneRow, IneSection
from daemon.runtime.purge import PurgeRefused, purge_campaign, purge_due
from daemon.school.documents import FileFacts, record_document
from daemon.school.links import school_url
from daemon.web.app import create_app
from db.models import (
    Anomaly,
    Campaign,
    Document,
    Event,
    ExportSubmission,
    IntakeFile,
    MailboxMessage,
    Pupil,
)
from db.schools import add_school
from tests.conftest import NOW, make_settings
from tests.factories import UAI, cr_text
from tests.web_helpers import signed_in

RESULT = CompteRendu(
    uai="0441234C",
    processed_at=dt.datetime.fromisoformat("2026-09-15T03:10:00+02:00"),
    counts=Counts(read=2),
    anomalies=(
        AnomalyRow(
            "MARTIN", "Léa", dt.date(2019, 5, 3), "Adresse", "Adresse incomplète", "rejet", "export"
        ),
    ),
    ine=IneSection(
        attributed=1,
        pending=1,
        pupils=(IneRow("DURAND", "Noé", dt.date(2021, 2, 1), "en_attente", None),),
    ),
)


def seed(app: App, session: Session, tmp_path: Path) -> tuple[Campaign, Path]:
    school = add_school(session, now=NOW, uai="0441234C", actor="t", name="École")
    campaign = app.campaign(session, NOW)
    kept = app.settings.state_path  # where relance keeps files (the purge deletes only there)
    (kept / "files" / "2026-09").mkdir(parents=True)
    (kept / "quarantine").mkdir()
    original = kept / "files" / "2026-09" / "cr.pdf"
    original.write_bytes("%PDF-1.4 MARTIN Léa".encode())
    record_document(
        session,
        school=school,
        campaign=campaign,
        result=RESULT,
        facts=FileFacts("cr.pdf", 10, "a" * 64, "cli", str(original)),
        now=NOW,
    )
    session.add(
        ExportSubmission(
            school_id=school.id,
            campaign_id=campaign.id,
            filename="0441234C.zip",
            size=1,
            sha256="b" * 64,
            received_at=NOW,
            channel="cli",
            headcount={"total": 2},
            findings=[
                {
                    "id_eleve": "E1",
                    "pupil": {"last_name": "MARTIN"},
                    "field": "adresse",
                    "message": "x",
                    "severity": "erreur",
                }
            ],
        )
    )
    quarantined = kept / "quarantine" / "bad.pdf"
    quarantined.write_bytes(b"junk DURAND")
    (kept / "quarantine" / "bad.pdf.reason.txt").write_text("raison")
    session.add(
        IntakeFile(
            original_name="bad.pdf",
            stored_path=str(quarantined),
            received_at=NOW,
            channel="folder",
            outcome="quarantined",
            reason="x",
        )
    )
    session.add(
        MailboxMessage(
            key="id:<cr@ecole>",
            sender="direction@ecole.example",
            subject="CR corrigé de MARTIN Léa",
            received_at=NOW,
            seen_at=NOW,
            kind="reply",
            status="processed",
            reason="0441234C : compte rendu de MARTIN lu",
            school_id=school.id,
            campaign_id=campaign.id,
        )
    )
    session.flush()
    return campaign, original


def test_purge_removes_names_and_files_and_keeps_counts(
    app: App, session: Session, tmp_path: Path
) -> None:
    campaign, original = seed(app, session, tmp_path)
    report = purge_campaign(
        session, campaign=campaign, store=Store.of(app.settings), now=NOW, force=True, actor="t"
    )
    session.commit()
    assert (report.pupils, report.anomalies, report.files) == (2, 1, 2)
    assert session.exec(select(Pupil)).all() == [] and session.exec(select(Anomaly)).all() == []
    document = session.exec(select(Document)).one()
    assert document.result == {} and document.counts["rejections"] == 1
    submission = session.exec(select(ExportSubmission)).one()
    assert submission.headcount == {"total": 2}
    assert submission.findings == [{"severity": "erreur", "field": "adresse"}]
    quarantine = app.settings.state_path / "quarantine"
    assert not original.exists() and not (quarantine / "bad.pdf").exists()
    assert not (quarantine / "bad.pdf.reason.txt").exists()
    everything = " ".join(
        str(row)
        for model in (Document, ExportSubmission, Event, IntakeFile, Campaign, MailboxMessage)
        for row in session.exec(select(model))
    )
    assert "MARTIN" not in everything and "DURAND" not in everything
    assert campaign.purged_at == NOW and not campaign.active


def test_purge_waits_for_the_retention_period(app: App, session: Session, tmp_path: Path) -> None:
    campaign, _ = seed(app, session, tmp_path)
    store = Store.of(app.settings)
    with pytest.raises(PurgeRefused, match="conservée jusqu'au 30/01/2027"):
        purge_campaign(session, campaign=campaign, store=store, now=NOW)
    later = dt.datetime(2027, 2, 1, tzinfo=dt.UTC)
    assert purge_due(campaign, later.date())
    purge_campaign(session, campaign=campaign, store=store, now=later)
    with pytest.raises(PurgeRefused, match="déjà purgée"):
        purge_campaign(session, campaign=campaign, store=store, now=later)


def test_cli_purge(tmp_path: Path, database_url: str) -> None:
    env = {"RELANCE_DATABASE_URL": database_url, "RELANCE_STATE_DIR": str(tmp_path)}
    runner = CliRunner()
    runner.invoke(cli, ["schools", "add", "0441234C", "--name", "A"], env=env)
    refused = runner.invoke(cli, ["purge", "--campaign", "2026-2027", "--yes"], env=env)
    assert refused.exit_code == 1 and "conservée jusqu'au" in refused.output
    backups = tmp_path / "backups"
    backups.mkdir()
    (backups / "relance-20261001-0300.sqlite3").write_bytes(b"old copy")
    done = runner.invoke(cli, ["purge", "--campaign", "2026-2027", "--yes", "--force"], env=env)
    assert done.exit_code == 0 and "purgée" in done.output
    assert "1 ancienne sauvegarde dans" in done.output and "contient encore" in done.output
    assert "--backups" in done.output
    assert (backups / "relance-20261001-0300.sqlite3").exists()
    again = runner.invoke(
        cli, ["purge", "--campaign", "2026-2027", "--yes", "--force", "--backups"], env=env
    )
    assert again.exit_code == 0 and "1 ancienne sauvegarde supprimée" in again.output
    assert not list(backups.iterdir())
    unknown = runner.invoke(cli, ["purge", "--campaign", "1999", "--yes"], env=env)
    assert unknown.exit_code == 1 and "inconnue" in unknown.output


def test_housekeeping_purges_only_campaigns_past_retention(
    app: App, session: Session, tmp_path: Path
) -> None:
    from daemon.runtime.housekeeping import purge_expired

    seed(app, session, tmp_path)
    session.commit()
    assert purge_expired(app) == []
    app.clock = lambda: dt.datetime(2027, 2, 1, tzinfo=dt.UTC)
    assert purge_expired(app) == ["2026-2027"]
    assert purge_expired(app) == []


PROBLEM = "Le code OTP de Mme Anastasie Plumecoq ne marche plus depuis lundi"
NOTE = "Appelé Mme Plumecoq : rappeler jeudi pour Hyacinthe"
FILE_NAME = "CR Hyacinthe Brossard.txt"


def test_after_purge_the_database_file_holds_no_planted_name_nor_message(
    tmp_path: Path,
) -> None:
    """A campaign run through the real intake, pages and sweep, then `relance purge`: the
    SQLite file (and its write-ahead log) no longer holds a pupil's name, a problem message, a
    note or a file name typed during the campaign."""
    database = tmp_path / "relance.sqlite3"
    env = {"RELANCE_DATABASE_URL": f"sqlite:///{database}", "RELANCE_STATE_DIR": str(tmp_path)}
    runner = CliRunner()
    added = ["schools", "add", UAI, "--name", "École Saint-Joseph", "--email", "dir@example.org"]
    assert runner.invoke(cli, added, env=env).exit_code == 0
    settings = make_settings(tmp_path, f"sqlite:///{database}")
    settings.state_dir = str(tmp_path)
    app = App(settings, clock=lambda: NOW)
    intake = Intake(app)
    assert (
        intake.take_bytes(
            cr_text(), filename=FILE_NAME, channel="page", now=NOW, school_uai=UAI
        ).outcome
        == "processed"
    )
    intake.take_bytes(
        b"rien de lisible",
        filename="Quarantaine Brossard.bin",
        channel="page",
        now=NOW,
        school_uai=UAI,
    )
    with Session(app.engine) as session:
        pupils = {p.last_name for p in session.exec(select(Pupil))}
    assert len(pupils) >= 2
    with signed_in(app) as (client, token):
        noted = client.post(f"/ecoles/{UAI}/actions/note", data={"note": NOTE, "csrf_token": token})
        assert noted.status_code == 303
    with TestClient(create_app(app), base_url="http://127.0.0.1") as director:
        page = school_url(settings, uai=UAI, campaign=settings.campaign.name, now=NOW)
        path = "/" + page.split("/", 3)[3]
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', director.get(path).text)
        assert csrf is not None
        form = {"categorie": "onde", "detail": PROBLEM, "confirmer": "oui"}
        reported = director.post("/ecole/probleme", data={**form, "csrf_token": csrf.group(1)})
        assert reported.status_code in (200, 303)
    swept = runner.invoke(cli, ["sweep", "--now", "2026-09-14T10:00"], env=env)
    assert swept.exit_code == 0, swept.output
    app.close()
    planted = [*pupils, "Plumecoq", "Hyacinthe", "Brossard", "OTP de Mme"]
    before = database.read_bytes() + _wal(database)
    assert all(name.encode() in before for name in ("Plumecoq", "Brossard")), "nothing planted"
    done = runner.invoke(
        cli, ["purge", "--campaign", settings.campaign.name, "--yes", "--force"], env=env
    )
    assert done.exit_code == 0, done.output
    after = database.read_bytes() + _wal(database)
    left = [name for name in planted if name.encode() in after]
    assert left == [], f"still in the database file: {left}"
    assert "École Saint-Joseph".encode() in after  # the school stays: the grep reads the file


def _wal(database: Path) -> bytes:
    wal = database.with_name(database.name + "-wal")
    return wal.read_bytes() if wal.exists() else b""
