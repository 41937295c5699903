"""Purging a finished campaign's personal data, keeping the counts."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlmodel import Session, select

from daemon.app import App
from daemon.cli import cli
from daemon.ingest.reports.records import AnomalyRow, CompteRendu, Counts, IneRow, IneSection
from daemon.runtime.purge import PurgeRefused, purge_campaign, purge_due
from daemon.school.documents import FileFacts, record_document
from db.models import Anomaly, Campaign, Document, Event, ExportSubmission, IntakeFile, Pupil
from db.schools import add_school
from tests.conftest import NOW

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
    original = tmp_path / "cr.pdf"
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
    quarantined = tmp_path / "bad.pdf"
    quarantined.write_bytes(b"junk DURAND")
    (tmp_path / "bad.pdf.reason.txt").write_text("raison")
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
    session.flush()
    return campaign, original


def test_purge_removes_names_and_files_and_keeps_counts(
    app: App, session: Session, tmp_path: Path
) -> None:
    campaign, original = seed(app, session, tmp_path)
    report = purge_campaign(session, campaign=campaign, now=NOW, force=True, actor="t")
    session.commit()
    assert (report.pupils, report.anomalies, report.files) == (2, 1, 2)
    assert session.exec(select(Pupil)).all() == [] and session.exec(select(Anomaly)).all() == []
    document = session.exec(select(Document)).one()
    assert document.result == {} and document.counts["rejections"] == 1
    submission = session.exec(select(ExportSubmission)).one()
    assert submission.headcount == {"total": 2}
    assert submission.findings == [{"severity": "erreur", "field": "adresse"}]
    assert not original.exists() and not (tmp_path / "bad.pdf").exists()
    assert not (tmp_path / "bad.pdf.reason.txt").exists()
    everything = " ".join(
        str(row)
        for model in (Document, ExportSubmission, Event, IntakeFile, Campaign)
        for row in session.exec(select(model))
    )
    assert "MARTIN" not in everything and "DURAND" not in everything
    assert campaign.purged_at == NOW and not campaign.active


def test_purge_waits_for_the_retention_period(app: App, session: Session, tmp_path: Path) -> None:
    campaign, _ = seed(app, session, tmp_path)
    with pytest.raises(PurgeRefused, match="conservée jusqu'au 30/01/2027"):
        purge_campaign(session, campaign=campaign, now=NOW)
    later = dt.datetime(2027, 2, 1, tzinfo=dt.UTC)
    assert purge_due(campaign, later.date())
    purge_campaign(session, campaign=campaign, now=later)
    with pytest.raises(PurgeRefused, match="déjà purgée"):
        purge_campaign(session, campaign=campaign, now=later)


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
    assert "1 sauvegarde(s) antérieure(s)" in done.output and "--backups" in done.output
    assert (backups / "relance-20261001-0300.sqlite3").exists()
    again = runner.invoke(
        cli, ["purge", "--campaign", "2026-2027", "--yes", "--force", "--backups"], env=env
    )
    assert again.exit_code == 0 and "1 sauvegarde(s) antérieure(s) supprimée(s)" in again.output
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
