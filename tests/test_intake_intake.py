"""The one ingest path: processed, duplicate or quarantined with a reason, never lost."""

from __future__ import annotations

import datetime as dt
import random
import time
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bench.reliability.hostile import cpu_bomb_pdf
from daemon.app import App
from daemon.demo.generate import archive, make_pupils
from daemon.ingest.intake.intake import Intake
from daemon.ingest.intake.storage import reason_file
from db.models import Document, Event, ExportSubmission, FollowUp, IntakeFile, Pupil
from db.schools import add_school
from tests.archives import layout, to_zip
from tests.conftest import NOW, make_settings
from tests.factories import EXTRACTION_HEADER, OTHER, UAI, cr_text, extraction_csv


@pytest.fixture
def intake(app: App, session: Session) -> Intake:
    add_school(session, now=NOW, uai=UAI, actor="t", name="École Saint-Joseph")
    add_school(session, now=NOW, uai=OTHER, actor="t", name="École Sainte-Anne")
    session.commit()
    return Intake(app)


def rows(session: Session) -> list[tuple[str, str]]:
    session.rollback()
    return [
        (r.original_name, r.outcome)
        for r in session.exec(select(IntakeFile).order_by(IntakeFile.id))
    ]


def test_a_compte_rendu_is_recorded_and_kept(intake: Intake, session: Session) -> None:
    result = intake.take_bytes(cr_text(), filename="cr.txt", channel="page", now=NOW)
    assert (result.outcome, result.kind, result.uai) == ("processed", "compte_rendu", UAI)
    assert Path(result.stored_path).read_bytes() == cr_text()
    document = session.exec(select(Document)).one()
    assert document.counts["rejections"] + document.counts["warnings"] == 2
    follow_up = session.exec(select(FollowUp).where(FollowUp.school_id == document.school_id)).one()
    assert follow_up.stage == "errors"
    assert rows(session) == [("cr.txt", "processed")]


def test_the_same_bytes_again_are_a_duplicate(intake: Intake, session: Session) -> None:
    intake.take_bytes(cr_text(), filename="cr.txt", channel="page", now=NOW)
    again = intake.take_bytes(cr_text(), filename="copie.txt", channel="folder", now=NOW)
    assert again.outcome == "duplicate" and "identique" in again.reason
    assert len(session.exec(select(Document)).all()) == 1
    assert rows(session) == [("cr.txt", "processed"), ("copie.txt", "duplicate")]
    assert session.exec(select(Event).where(Event.kind == "duplicate_file")).one()


def test_another_schools_file_given_for_a_school_is_no_duplicate_of_it(
    intake: Intake, session: Session
) -> None:
    """The same bytes dropped on school A's page as school B already sent: refused as B's
    document, and nothing written in B's history."""
    intake.take_bytes(cr_text(OTHER), filename="cr.txt", channel="folder", now=NOW)
    session.rollback()
    events = len(session.exec(select(Event)).all())
    given = intake.take_bytes(
        cr_text(OTHER), filename="cr.txt", channel="page", now=NOW, school_uai=UAI
    )
    assert given.outcome == "quarantined"
    assert f"celui de l'école {OTHER}, pas de {UAI}" in given.reason
    assert rows(session) == [("cr.txt", "processed"), ("cr.txt", "quarantined")]
    quarantined = session.exec(select(IntakeFile).order_by(IntakeFile.id)).all()[-1]
    assert quarantined.school_id is None
    assert len(session.exec(select(Event)).all()) == events
    same_school = intake.take_bytes(
        cr_text(OTHER), filename="cr.txt", channel="page", now=NOW, school_uai=OTHER
    )
    assert same_school.outcome == "duplicate"


def test_an_unknown_school_goes_to_quarantine_with_its_reason(
    intake: Intake, session: Session
) -> None:
    result = intake.take_bytes(cr_text("0441236E"), filename="cr.txt", channel="page", now=NOW)
    assert result.outcome == "quarantined" and "0441236E inconnue" in result.reason
    stored = Path(result.stored_path)
    assert stored.read_bytes() == cr_text("0441236E")
    assert "0441236E inconnue" in stored.with_name(stored.name + ".reason.txt").read_text()
    assert session.exec(select(Document)).all() == []


def test_a_document_for_another_school_is_refused(intake: Intake) -> None:
    result = intake.take_bytes(
        cr_text(OTHER), filename="cr.txt", channel="page", now=NOW, school_uai=UAI
    )
    assert result.outcome == "quarantined"
    assert result.reason == f"ce document est celui de l'école {OTHER}, pas de {UAI}"


def test_an_extraction_takes_its_school_from_the_page_name_or_folder(
    intake: Intake, session: Session, tmp_path: Path
) -> None:
    by_page = intake.take_bytes(
        extraction_csv(), filename="CSVExtraction.csv", channel="page", now=NOW, school_uai=UAI
    )
    assert (by_page.outcome, by_page.uai) == ("processed", UAI)
    by_name = intake.take_bytes(
        extraction_csv("123456789AB"), filename=f"{OTHER}-CSVExtraction.csv", channel="cli", now=NOW
    )
    assert (by_name.outcome, by_name.uai) == ("processed", OTHER)
    folder = tmp_path / "drop" / UAI
    folder.mkdir(parents=True)
    (folder / "CSVExtraction.csv").write_bytes(extraction_csv("1234567890A"))
    by_folder = intake.take_path(
        folder / "CSVExtraction.csv", channel="cli", now=NOW, root=tmp_path / "drop"
    )
    assert (by_folder.outcome, by_folder.uai) == ("processed", UAI)
    nameless = intake.take_bytes(
        extraction_csv("1234567890B"), filename="CSVExtraction.csv", channel="cli", now=NOW
    )
    assert nameless.outcome == "quarantined" and "nommez-le avec l'UAI" in nameless.reason


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "fichier vide"),
        (b"%PDF-1.4\n1 0 obj\n<<", "PDF"),
        (b"\x00\x01\x02 binary junk", ""),
        ("Nom;Prénom\nA;B\n".encode(), ""),
    ],
)
def test_unreadable_files_are_quarantined_with_a_clear_reason(
    intake: Intake, session: Session, data: bytes, reason: str
) -> None:
    result = intake.take_bytes(data, filename="x.pdf", channel="api", now=NOW)
    assert result.outcome == "quarantined" and reason in result.reason and result.reason
    assert Path(result.stored_path).exists()
    assert rows(session) == [("x.pdf", "quarantined")]


def test_an_export_archive_is_recorded(intake: Intake, session: Session) -> None:
    pupils = make_pupils(UAI, {"CP": 5}, random.Random(1), 2026)
    data = archive(UAI, pupils, dt.date(2026, 9, 1))
    result = intake.take_bytes(data, filename=f"{UAI}.zip", channel="api", now=NOW)
    assert (result.outcome, result.kind, result.uai) == ("processed", "export", UAI)
    submission = session.exec(select(ExportSubmission)).one()
    assert submission.accepted and submission.headcount and submission.headcount["total"] == 5
    again = intake.take_bytes(data, filename=f"{UAI}.zip", channel="folder", now=NOW)
    assert again.outcome == "duplicate"
    session.rollback()  # end the read transaction: see the intake's new rows
    assert len(session.exec(select(ExportSubmission)).all()) == 2


def test_a_refused_archive_is_recorded_and_quarantined(intake: Intake, session: Session) -> None:
    result = intake.take_bytes(
        b"PK\x03\x04 not really a zip", filename=f"{UAI}.zip", channel="api", now=NOW
    )
    assert result.outcome == "quarantined" and result.reason
    assert not session.exec(select(ExportSubmission)).one().accepted
    wrong_name = intake.take_bytes(b"PK\x03\x04", filename="0441234A.zip", channel="api", now=NOW)
    assert wrong_name.outcome == "quarantined" and "0441234C" in wrong_name.reason


def test_files_on_disk_are_refused_before_reading_when_too_big(
    tmp_path: Path, database_url: str, engine
) -> None:
    settings = make_settings(tmp_path, database_url, intake={"max_file_mb": 1})
    intake = Intake(App(settings, clock=lambda: NOW, _engine=engine))
    big = settings.drop_path / "big.pdf"
    big.parent.mkdir(parents=True)
    big.write_bytes(b"%PDF" + b"0" * (2 * 1024 * 1024))
    result = intake.take_path(big, channel="folder", now=NOW, root=settings.drop_path)
    assert result.outcome == "quarantined" and "trop gros" in result.reason
    assert not big.exists()
    moved = settings.drop_path / "quarantine" / "big.pdf"
    assert moved.exists() and "trop gros" in (moved.parent / "big.pdf.reason.txt").read_text()


def test_a_symlink_is_quarantined_without_being_followed(intake: Intake, tmp_path: Path) -> None:
    drop = intake.store.drop_dir
    drop.mkdir(parents=True, exist_ok=True)
    secret = tmp_path / "secret.txt"
    secret.write_text("do not read")
    (drop / "lien.pdf").symlink_to(secret)
    result = intake.take_path(drop / "lien.pdf", channel="folder", now=NOW, root=drop)
    assert result.outcome == "quarantined" and "lien symbolique" in result.reason
    assert secret.read_text() == "do not read"


def test_a_file_removed_before_reading_is_ignored(intake: Intake, tmp_path: Path) -> None:
    result = intake.take_path(tmp_path / "gone.pdf", channel="folder", now=NOW)
    assert result.outcome == "ignored" and "disparu" in result.reason


def test_odd_names_are_kept_safely(intake: Intake) -> None:
    name = "../../etc/passwd\x00 <script>é.txt"
    result = intake.take_bytes(b"", filename=name, channel="page", now=NOW)
    stored = Path(result.stored_path)
    assert stored.parent == intake.store.state_dir / "quarantine"
    assert "/" not in stored.name and "\x00" not in stored.name


def _office_document(member: str) -> bytes:
    """A real zip, as a .docx, .odt or .xlsx is: the kind a director drops by mistake."""
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        zf.writestr(member, "<document/>")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("name", "member"),
    [
        (f"{UAI}-lettre.docx", "word/document.xml"),
        ("constat.odt", "content.xml"),
        ("effectifs.xlsx", "xl/workbook.xml"),
        ("notes.doc", ""),
    ],
)
def test_a_file_of_the_wrong_kind_is_refused_for_what_it_is(
    intake: Intake, session: Session, name: str, member: str
) -> None:
    data = _office_document(member) if member else b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1 ancien"
    for channel in ("folder", "cli", "api"):
        result = intake.take_bytes(data + channel.encode(), filename=name, channel=channel, now=NOW)
        assert result.outcome == "quarantined"
        assert result.reason.startswith("type de fichier non accepté (")
        assert "attendu)" in result.reason
        assert "compte rendu" not in result.reason and "<UAI>.zip" not in result.reason
    assert session.exec(select(ExportSubmission)).all() == []  # never read as an archive


def test_the_quarantine_names_the_school_from_the_file_name_or_its_text(
    intake: Intake, session: Session
) -> None:
    scan = intake.take_bytes(b"%PDF-1.4 abime", filename=f"{UAI}-scan.pdf", channel="cli", now=NOW)
    letter = f"Bonjour,\nl'école {OTHER} vous écrit.\n".encode()
    text = intake.take_bytes(letter, filename="lettre.txt", channel="folder", now=NOW)
    both = f"{UAI} et {OTHER}\n".encode()
    unclear = intake.take_bytes(both, filename="deux.txt", channel="folder", now=NOW)
    assert (scan.outcome, scan.uai) == ("quarantined", UAI)
    assert (text.outcome, text.uai) == ("quarantined", OTHER)
    assert (unclear.outcome, unclear.uai) == ("quarantined", None)
    session.rollback()
    events = session.exec(select(Event).where(Event.kind == "file_quarantined")).all()
    assert sorted(e.message.split(" ")[0] for e in events) == sorted(
        [f"{UAI}-scan.pdf", "lettre.txt"]
    )


def test_the_reason_file_is_french_with_a_paris_time(intake: Intake) -> None:
    result = intake.take_bytes(b"%PDF-1.4 abime", filename="cr.pdf", channel="api", now=NOW)
    kept = Path(result.stored_path)
    text = kept.with_name(kept.name + ".reason.txt").read_text("utf-8")
    assert text.splitlines() == [
        "Fichier : cr.pdf",
        "Mis en quarantaine le : 14/09/2026 à 10:00 (heure de Paris)",
        "Raison : PDF tronqué : marque de fin %%EOF absente",
    ]


@pytest.mark.timeout(60)  # without a budget, reading this PDF takes minutes
def test_a_pdf_whose_page_unpacks_to_16_mb_is_refused_in_well_under_a_second(
    intake: Intake,
) -> None:
    bomb = cpu_bomb_pdf(16 * 1024)
    assert len(bomb) < 50 * 1024
    intake.take_bytes(cr_text(), filename=f"{UAI}-cr.txt", channel="page", now=NOW)  # warm
    started = time.monotonic()
    result = intake.take_bytes(bomb, filename=f"{UAI}-cr.pdf", channel="page", now=NOW)
    took = time.monotonic() - started
    assert result.outcome == "quarantined"
    assert "page 1 du PDF trop lourde à lire" in result.reason
    assert "limite 2 Mo" in result.reason
    assert took < 1.0, f"{took:.2f} s"
    assert "trop lourde" in reason_file(Path(result.stored_path)).read_text(encoding="utf-8")


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_a_pdf_that_takes_too_long_to_read_is_stopped_by_the_cpu_budget(
    tmp_path: Path, database_url: str, engine: Engine, session: Session
) -> None:
    """Under the content limit, but still seconds of work: the worker's CPU budget stops it."""
    add_school(session, now=NOW, uai=UAI, actor="t", name="École Saint-Joseph")
    session.commit()
    settings = make_settings(tmp_path, database_url, intake={"reader_cpu_seconds": 1})
    intake = Intake(App(settings, clock=lambda: NOW, _engine=engine))
    started = time.monotonic()
    result = intake.take_bytes(
        cpu_bomb_pdf(1900), filename=f"{UAI}-cr.pdf", channel="page", now=NOW
    )
    assert result.outcome == "quarantined"
    assert result.reason == "lecture interrompue : plus de 1 seconde de calcul"
    assert time.monotonic() - started < 30
    assert intake.take_bytes(cr_text(), filename="cr.txt", channel="page", now=NOW).uai == UAI


ADDRESS = "12 impasse des Glycines"


def extraction_with_address(responsable: str = "Dupont Marcel") -> bytes:
    row = (
        f"MARTIN;;Léa;03/05/2020;F;;{ADDRESS};44000;Nantes;France;{responsable};44100;"
        "Nantes;France;CYCLE II;CP;CP A;1;Non;Non;Non;"
    )
    broken = f"PETIT;Zoé;{ADDRESS};44000"  # a row cut by a stray separator: never kept
    return (f"{EXTRACTION_HEADER}\r\n{row}\r\n{broken}\r\n").encode("cp1252")


def no_address_anywhere(root: Path) -> None:
    for path in root.rglob("*"):
        if path.is_file():
            text = path.read_bytes().decode("cp1252", "replace")
            assert "Glycines" not in text and "Marcel" not in text, path


def test_an_extraction_is_kept_without_addresses_whatever_its_way_in(
    intake: Intake, session: Session
) -> None:
    data = extraction_with_address()
    on_page = intake.take_bytes(data, filename="CSVExtraction.csv", channel="page", now=NOW,
                                school_uai=UAI)  # fmt: skip
    assert on_page.outcome == "processed"
    again = intake.take_bytes(data, filename="copie.csv", channel="page", now=NOW, school_uai=UAI)
    assert again.outcome == "duplicate"
    unknown = intake.take_bytes(extraction_with_address("Durand Marcel"), filename="x.csv",
                                channel="page", now=NOW)  # fmt: skip
    assert unknown.outcome == "quarantined" and "école inconnue" in unknown.reason
    folder = intake.store.drop_dir / OTHER
    folder.mkdir(parents=True)
    (folder / "CSVExtraction.csv").write_bytes(extraction_with_address("Martin Marcel"))
    dropped = intake.take_path(folder / "CSVExtraction.csv", channel="folder", now=NOW,
                               root=intake.store.drop_dir)  # fmt: skip
    assert dropped.outcome == "processed"
    assert not (folder / "CSVExtraction.csv").exists()
    no_address_anywhere(intake.store.state_dir)
    kept = Path(on_page.stored_path).read_bytes().decode("utf-8")
    assert kept.splitlines()[0].split(";") == [
        "Nom élève", "Prénom élève", "Date naissance", "INE", "Cycle", "Niveau", "Libellé classe"
    ]  # fmt: skip
    assert "MARTIN;Léa;03/05/2020;;CYCLE II;CP;CP A" in kept and "PETIT" not in kept
    # what is kept reads as the same extraction: a retry of the quarantined one works
    add_school(session, now=NOW, uai="0441236E", actor="t", name="École du Port")
    session.commit()
    retried = intake.take_bytes(Path(unknown.stored_path).read_bytes(), filename="x.csv",
                                channel="page", now=NOW, school_uai="0441236E")  # fmt: skip
    assert retried.outcome == "processed" and retried.detail.pupils[0].first_name == "Léa"


def test_files_for_one_school_taken_at_once_by_two_daemons_are_both_recorded(
    intake: Intake, session: Session
) -> None:
    """Two daemons (two mailbox readers, on PostgreSQL) recording comptes rendus of the same
    school at the same instant: both are recorded, neither trips on the other's pupils."""
    import threading

    barrier = threading.Barrier(2)
    results: list[str] = []

    def take(day: int) -> None:
        data = cr_text(day=day)
        barrier.wait()
        result = intake.take_bytes(data, filename=f"cr-{day}.txt", channel="mail", now=NOW)
        results.append(result.outcome if result.outcome != "quarantined" else result.reason)

    for pair in ((10, 11), (12, 13), (14, 15)):
        threads = [threading.Thread(target=take, args=(day,)) for day in pair]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    assert results == ["processed"] * 6
    session.rollback()
    assert len(session.exec(select(Document)).all()) == 6


def test_another_schools_archive_named_for_a_school_changes_nothing_for_it(
    intake: Intake, session: Session
) -> None:
    """An archive `<A>.zip` whose scolarités all carry B's code is refused on every channel:
    quarantined with its reason, no pupil followed, A stays where its evidence put it."""
    intake.take_bytes(cr_text(), filename="cr.txt", channel="page", now=NOW)
    session.rollback()
    before = session.exec(select(FollowUp)).one().stage
    pupils = len(session.exec(select(Pupil)).all())
    data = to_zip(layout(8, uai=OTHER))
    drop = intake.store.drop_dir
    drop.mkdir(parents=True, exist_ok=True)
    (drop / f"{UAI}.zip").write_bytes(data)
    results = [
        intake.take_bytes(data, filename=f"{UAI}.zip", channel="page", now=NOW, school_uai=UAI),
        intake.take_bytes(data, filename=f"{UAI}.zip", channel="api", now=NOW, school_uai=UAI),
        intake.take_path(drop / f"{UAI}.zip", channel="folder", now=NOW, root=drop),
    ]
    for result in results:
        assert result.outcome == "quarantined"
        assert result.reason == f"archive d'une autre école ({OTHER})"
        assert Path(result.stored_path).exists()
    session.rollback()
    assert session.exec(select(FollowUp)).one().stage == before == "errors"
    assert len(session.exec(select(Pupil)).all()) == pupils
    assert not [s for s in session.exec(select(ExportSubmission)) if s.accepted]
