"""Replies with files: each file through the intake for the school found (the mail answered,
a UAI in its name or the subject, the director's address), or quarantined with the reason when
the school is unknown or the sender is not its director; one acknowledgement, threaded under
the director's message, at most one per sender and school per hour."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from daemon.delivery.message import render_message
from db.models import Document
from db.states import MailKind, MailStatus
from tests import mail_samples as samples
from tests.archives import export_archive
from tests.conftest import NOW
from tests.factories import OTHER, UAI, cr_text, extraction_csv
from tests.mailbox_helpers import (  # noqa: F401 — world_fixture: the `world` fixture
    DIRECTOR,
    OTHER_DIRECTOR,
    OUR_ID,
    PDF,
    SECRETARY,
    World,
    build_world,
    events,
    intake_rows,
    ledger,
    process,
    world_fixture,
)


def test_an_outlook_reply_with_the_pdf_goes_through_the_intake_and_is_acknowledged(
    world: World, engine: Engine
) -> None:
    raw = samples.outlook_reply(sender=DIRECTOR, in_reply_to=OUR_ID, data=PDF)
    outcome = process(world, raw)
    assert (outcome.kind, outcome.status, outcome.files) == (
        MailKind.REPLY,
        MailStatus.PROCESSED,
        1,
    )
    assert outcome.school_id == world.school_id and outcome.reminder_id == world.reminder_id
    [row] = intake_rows(engine)
    assert (row.original_name, row.channel, row.outcome) == (
        "compte rendu école.pdf",
        "mail",
        "processed",
    )
    with Session(engine) as session:
        document = session.exec(select(Document)).one()
    assert (document.school_id, document.channel) == (world.school_id, "mail")
    [ack] = ledger(engine, "acknowledgement")
    assert ack.recipient == DIRECTOR and ack.school_id == world.school_id
    payload = ack.payload
    assert payload["subject"] == "RE: Constat de rentrée : 2 élèves en erreur à corriger"
    assert payload["in_reply_to"] == (
        "<PR3P195MB0712C3E5F7A1@PR3P195MB0712.EURP195.PROD.OUTLOOK.COM>"
    )
    assert payload["references"].split() == [OUR_ID, payload["in_reply_to"]]
    assert "CE QUE NOUS AVONS LU" in payload["text"]
    assert "0441234C : Compte rendu du 15/09/2026" in payload["text"]
    assert "CE QUI RESTE À FAIRE POUR ÉCOLE SAINT-JOSEPH (0441234C)" in payload["text"]
    [event] = events(engine, "mail_received")
    assert event.school_id == world.school_id and "1 fichier lu" in event.message


def test_the_acknowledgement_is_threaded_and_marked_automatic_on_the_wire(
    world: World, engine: Engine
) -> None:
    process(world, samples.outlook_reply(sender=DIRECTOR, in_reply_to=OUR_ID, data=PDF))
    [ack] = ledger(engine, "acknowledgement")
    mail = render_message(
        key=ack.key,
        recipient=ack.recipient,
        cc=[],
        payload=ack.payload,
        settings=world.app.settings,
        now=NOW,
    ).data
    assert b"In-Reply-To: <PR3P195MB0712C3E5F7A1@" in mail
    assert f"References: {OUR_ID} <PR3P195MB0712".encode() in mail
    assert b"Auto-Submitted: auto-replied" in mail


def test_thunderbird_rfc2231_french_name_is_kept(world: World, engine: Engine) -> None:
    raw = samples.thunderbird_reply(sender=DIRECTOR, in_reply_to=OUR_ID, data=cr_text())
    assert process(world, raw).status == MailStatus.PROCESSED
    [row] = intake_rows(engine)
    assert row.original_name == "compte-rendu-école-Saint-Joseph-septembre.txt"
    assert row.kind == "compte_rendu" and row.outcome == "processed"


def test_a_gmail_extraction_named_with_the_uai_finds_its_school_without_a_thread(
    world: World, engine: Engine
) -> None:
    raw = samples.gmail_reply(
        sender=DIRECTOR,
        in_reply_to="",
        data=extraction_csv(),
        filename=f"{UAI}-CSVExtraction.csv",
        subject="extraction ONDE",
    )
    outcome = process(world, raw)
    assert outcome.status == MailStatus.PROCESSED and outcome.school_id == world.school_id
    assert intake_rows(engine)[0].kind == "onde_extraction"


def test_an_apple_mail_archive_shown_inline_is_taken_as_the_export(
    world: World, engine: Engine
) -> None:
    raw = samples.apple_mail(
        sender=OTHER_DIRECTOR,
        subject="export",
        data=export_archive(uai=OTHER),
        filename=f"{OTHER}.zip",
    )
    outcome = process(world, raw)
    assert outcome.status == MailStatus.PROCESSED and outcome.school_id == world.other_id
    [row] = intake_rows(engine)
    assert (row.kind, row.outcome, row.channel) == ("export", "processed", "mail")


def test_the_subject_uai_then_the_directors_address_identify_the_school(
    world: World, engine: Engine
) -> None:
    by_subject = samples.thunderbird_reply(
        sender=OTHER_DIRECTOR,
        in_reply_to="",
        data=cr_text(OTHER),
        filename="cr.txt",
        subject=f"compte rendu {OTHER}",
    )
    assert process(world, by_subject).school_id == world.other_id
    by_sender = samples.gmail_reply(
        sender=DIRECTOR, in_reply_to="", data=cr_text(day=16), filename="cr.txt"
    )
    outcome = process(world, by_sender)
    assert outcome.status == MailStatus.PROCESSED and outcome.school_id == world.school_id


def test_winmail_dat_is_refused_with_its_reason_and_the_director_told(
    world: World, engine: Engine
) -> None:
    outcome = process(world, samples.outlook_winmail(sender=DIRECTOR, in_reply_to=OUR_ID))
    assert (outcome.kind, outcome.status) == (MailKind.REPLY, MailStatus.REFUSED)
    [row] = intake_rows(engine)
    assert row.outcome == "quarantined" and "winmail.dat" in row.reason
    assert row.school_id == world.school_id and Path(row.stored_path).exists()
    [ack] = ledger(engine, "acknowledgement")
    assert "n'a pas pu être pris en compte" in ack.payload["text"]
    assert "Outlook en texte ou HTML" in ack.payload["text"]


def test_someone_other_than_the_director_is_quarantined_with_the_reason(
    world: World, engine: Engine
) -> None:
    raw = samples.outlook_reply(sender=SECRETARY, in_reply_to=OUR_ID, data=PDF)
    outcome = process(world, raw)
    assert outcome.status == MailStatus.REFUSED
    [row] = intake_rows(engine)
    assert row.outcome == "quarantined"
    assert row.reason == (
        f"l'expéditeur {SECRETARY} n'est pas la direction de l'école {UAI} ({DIRECTOR})"
    )
    assert events(engine, "file_quarantined")[0].school_id == world.school_id
    with Session(engine) as session:
        assert session.exec(select(Document)).first() is None


def test_an_unknown_school_is_quarantined_and_a_stranger_gets_no_answer(
    world: World, engine: Engine
) -> None:
    raw = samples.outlook_reply(
        sender="quelquun@ailleurs.example", in_reply_to="", data=PDF, subject="Ordre du jour"
    )
    outcome = process(world, raw)
    assert outcome.status == MailStatus.REFUSED and outcome.school_id is None
    [row] = intake_rows(engine)
    assert row.outcome == "quarantined" and row.reason.startswith("école inconnue")
    assert ledger(engine, "acknowledgement") == []


def test_a_director_forwarding_a_colleagues_mail_is_taken(world: World, engine: Engine) -> None:
    original = samples.thunderbird_reply(sender=SECRETARY, in_reply_to="", data=cr_text())
    raw = samples.forwarded_as_attachment(
        sender=DIRECTOR, original=original, subject="TR: compte rendu"
    )
    outcome = process(world, raw)
    assert outcome.status == MailStatus.PROCESSED and outcome.school_id == world.school_id
    assert intake_rows(engine)[0].original_name.endswith("septembre.txt")


def test_a_colleague_forwarding_the_directors_mail_is_not_the_director(
    world: World, engine: Engine
) -> None:
    original = samples.thunderbird_reply(sender=DIRECTOR, in_reply_to="", data=cr_text())
    raw = samples.forwarded_as_attachment(
        sender=SECRETARY, original=original, subject=f"TR: compte rendu {UAI}"
    )
    outcome = process(world, raw)
    assert outcome.status == MailStatus.REFUSED
    assert "n'est pas la direction de l'école 0441234C" in intake_rows(engine)[0].reason


def test_one_acknowledgement_per_sender_and_school_per_hour(world: World, engine: Engine) -> None:
    process(world, samples.outlook_reply(sender=DIRECTOR, in_reply_to=OUR_ID, data=PDF))
    world.clock.advance(30 * 60)
    again = samples.thunderbird_reply(sender=DIRECTOR, in_reply_to=OUR_ID, data=cr_text())
    assert process(world, again).status == MailStatus.PROCESSED
    assert len(ledger(engine, "acknowledgement")) == 1
    assert events(engine, "acknowledgement_skipped")
    world.clock.advance(31 * 60)
    later = samples.gmail_reply(
        sender=DIRECTOR, in_reply_to=OUR_ID, data=cr_text(day=17), filename="cr.txt"
    )
    process(world, later)
    assert len(ledger(engine, "acknowledgement")) == 2


def test_the_same_message_processed_twice_is_answered_once(world: World, engine: Engine) -> None:
    raw = samples.outlook_reply(sender=DIRECTOR, in_reply_to=OUR_ID, data=PDF)
    process(world, raw)
    world.clock.advance(2 * 3600)  # past the hourly limit: only the key stops a second answer
    assert process(world, raw).status == MailStatus.PROCESSED  # the file: a duplicate
    assert len(ledger(engine, "acknowledgement")) == 1
    assert [r.outcome for r in intake_rows(engine)] == ["processed", "duplicate"]
