"""What each message calls for: replies' files through the intake for the right school, or
quarantined with the reason; one threaded acknowledgement; bounces marking the address failing
as a 5xx does; delays, automatic answers and our own mails never acted on."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from daemon.delivery.message import message_id, render_message
from daemon.mailbox.process import Processor
from db.models import Document, Reminder
from db.states import MailKind, MailStatus
from tests import mail_samples as samples
from tests.archives import export_archive
from tests.conftest import NOW, REPO
from tests.factories import OTHER, UAI, cr_text, extraction_csv
from tests.mailbox_helpers import (
    DIRECTOR,
    FROM,
    OTHER_DIRECTOR,
    OUR_ID,
    SECRETARY,
    World,
    build_world,
    events,
    intake_rows,
    ledger,
    school,
)

PDF = (REPO / "tests/fixtures/reports/files/sj-chromium.pdf").read_bytes()


@pytest.fixture
def world(tmp_path: Path, engine: Engine) -> World:
    return build_world(tmp_path, engine)


def process(world: World, raw: bytes):  # type: ignore[no-untyped-def]
    return Processor(world.app).process(raw, now=world.clock())


# ---- replies with files ------------------------------------------------------------------------
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


def test_a_message_too_big_is_refused_unread(world: World, engine: Engine) -> None:
    raw = samples.big_reply(sender=DIRECTOR, in_reply_to=OUR_ID, megabytes=1)
    headers = raw[: raw.index(b"\r\n\r\n")]
    outcome = Processor(world.app).too_big(headers, 31_457_280, now=NOW)
    assert (outcome.kind, outcome.status) == (MailKind.TOO_BIG, MailStatus.REFUSED)
    [row] = intake_rows(engine)
    assert row.outcome == "quarantined" and row.size == 31_457_280
    assert row.reason.startswith("message trop volumineux (30 Mo ; limite 25 Mo)")
    [ack] = ledger(engine, "acknowledgement")
    assert "trop volumineux" in ack.payload["text"]


# ---- replies without files -----------------------------------------------------------------
def test_a_reply_without_a_file_is_left_and_noted(world: World, engine: Engine) -> None:
    raw = samples.plain_reply(
        sender=DIRECTOR, in_reply_to=OUR_ID, subject="Re: Constat", text="Je m'en occupe."
    )
    outcome = process(world, raw)
    assert (outcome.kind, outcome.status) == (MailKind.NOTE, MailStatus.LEFT)
    [event] = events(engine, "director_replied")
    assert event.message.startswith("Le directeur a répondu le 14/09/2026 : « Re: Constat »")
    assert ledger(engine, "acknowledgement") == []


def test_a_strangers_mail_without_a_file_is_not_ours(world: World, engine: Engine) -> None:
    raw = samples.plain_reply(
        sender="collegue@diocese.example", in_reply_to="", subject="Réunion", text="Demain ?"
    )
    assert process(world, raw).kind == MailKind.OTHER
    assert events(engine, "director_replied") == []


# ---- automatic answers and our own mail ----------------------------------------------------------
@pytest.mark.parametrize("make", [samples.outlook_out_of_office, samples.gmail_vacation])
def test_an_out_of_office_is_recorded_never_answered(
    world: World, engine: Engine, make: object
) -> None:
    raw = make(sender=DIRECTOR, in_reply_to=OUR_ID, subject="Constat de rentrée")  # type: ignore[operator]
    outcome = process(world, raw)
    assert (outcome.kind, outcome.status) == (MailKind.AUTO_REPLY, MailStatus.PROCESSED)
    [event] = events(engine, "auto_reply")
    assert event.school_id == world.school_id and "sans réponse" in event.message
    assert ledger(engine, "acknowledgement") == []


def test_mail_from_our_own_address_is_ignored(world: World, engine: Engine) -> None:
    raw = samples.outlook_reply(sender=FROM, in_reply_to=OUR_ID, data=PDF)
    assert (process(world, raw).kind, intake_rows(engine)) == (MailKind.OWN, [])


# ---- delivery reports --------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("make", "diagnostic"),
    [
        (samples.postfix_bounce, "550 5.1.1 <{a}>: Recipient address rejected: User unknown"),
        (samples.exim_bounce, "550 5.1.1 <{a}>: Recipient address rejected: mailbox unavailable"),
        (samples.exchange_bounce, "550 5.1.10 RESOLVER.ADR.RecipientNotFound"),
    ],
    ids=["postfix", "exim", "exchange"],
)
def test_a_bounce_marks_the_address_failing_with_the_diagnostic(
    world: World, engine: Engine, make: object, diagnostic: str
) -> None:
    with Session(engine) as session:  # a mail still waiting for that address
        pending = Reminder(
            key="next",
            school_id=world.school_id,
            kind="reminder",
            day=NOW.date(),
            recipient=DIRECTOR,
            due_at=NOW,
            next_attempt_at=NOW,
            created_at=NOW,
        )
        session.add(pending)
        session.commit()
    outcome = process(world, make(recipient=DIRECTOR, message_id=OUR_ID))  # type: ignore[operator]
    assert (outcome.kind, outcome.status) == (MailKind.BOUNCE, MailStatus.PROCESSED)
    failing = school(engine, world.school_id)
    assert failing.email_failing_since == NOW
    assert diagnostic.format(a=DIRECTOR) in failing.email_failure
    [event] = events(engine, "email_failing")
    assert event.school_id == world.school_id and DIRECTOR in event.message
    rows = {r.key: r for r in ledger(engine, "reminder")}
    assert rows[world_key(world)].status == "failed"
    assert rows["next"].status == "failed"
    assert rows["next"].last_error.startswith("adresse en échec")


def world_key(world: World) -> str:
    with Session(world.app.engine) as session:
        row = session.get(Reminder, world.reminder_id)
        assert row is not None
        return row.key


def test_a_bounce_read_twice_marks_once(world: World, engine: Engine) -> None:
    raw = samples.postfix_bounce(recipient=DIRECTOR, message_id=OUR_ID)
    process(world, raw)
    assert "déjà noté" in process(world, raw).reason
    assert len(events(engine, "email_failing")) == 1


def test_a_delay_notice_does_not_mark_the_address(world: World, engine: Engine) -> None:
    raw = samples.postfix_bounce(recipient=DIRECTOR, message_id=OUR_ID, delayed=True)
    outcome = process(world, raw)
    assert (outcome.kind, outcome.status) == (MailKind.DELAY, MailStatus.PROCESSED)
    assert school(engine, world.school_id).email_failing_since is None
    assert events(engine, "email_failing") == []
    assert "Livraison retardée" in events(engine, "mail_delayed")[0].message


def test_a_bounce_about_someone_elses_mail_is_left_alone(world: World, engine: Engine) -> None:
    raw = samples.postfix_bounce(recipient=DIRECTOR, message_id="<perso.42@example.org>")
    assert process(world, raw).status == MailStatus.LEFT
    assert school(engine, world.school_id).email_failing_since is None


def test_a_bounce_sent_back_to_a_verp_address_is_matched_by_it(
    tmp_path: Path, engine: Engine
) -> None:
    world = build_world(tmp_path, engine, verp_address="rebonds@example.org")
    digest = OUR_ID[len("<relance.") :].partition("@")[0]
    raw = samples.postfix_bounce(recipient=DIRECTOR, message_id="<autre@example.org>")
    raw = raw.replace(b"To: relance@example.org", f"To: rebonds+{digest}@example.org".encode())
    assert process(world, raw).kind == MailKind.BOUNCE
    assert school(engine, world.school_id).email_failing_since == NOW
    assert message_id("x", FROM).startswith("<relance.")


def test_the_5xx_path_and_a_bounce_mark_an_address_alike(tmp_path: Path, engine: Engine) -> None:
    """Both go through `mark_address_failing`: same fields, same event, same data."""
    from daemon.delivery.outbox import Claimed, Result, record_results

    world = build_world(tmp_path, engine)
    process(world, samples.postfix_bounce(recipient=DIRECTOR, message_id=OUR_ID))
    by_bounce = events(engine, "email_failing")[0]
    claim = Claimed(
        id=world.reminder_id,
        key="k",
        token="t",
        kind="reminder",
        recipient=OTHER_DIRECTOR,
        cc=[],
        payload={},
        attempts=0,
        school_id=world.other_id,
        campaign_id=None,
        due_at=NOW,
    )
    with Session(engine) as session:
        row = Reminder(
            key="k",
            school_id=world.other_id,
            kind="reminder",
            day=NOW.date(),
            recipient=OTHER_DIRECTOR,
            due_at=NOW,
            next_attempt_at=NOW,
            status="claimed",
            claimed_by="t",
            created_at=NOW,
        )
        session.add(row)
        session.commit()
        claim = Claimed(**{**claim.__dict__, "id": row.id})
    failed = Result(claim, "failed", error="550 5.1.1 inconnu", at=NOW)
    record_results(engine, [failed], base=1, cap=1)
    by_5xx = events(engine, "email_failing")[1]
    assert set(by_bounce.data) == set(by_5xx.data) == {"address", "key", "error", "held"}
    assert by_bounce.message.split(":")[0] == by_5xx.message.split(":")[0]
    assert school(engine, world.other_id).email_failing_since == NOW
    assert dt.timedelta(0) == NOW - school(engine, world.school_id).email_failing_since  # type: ignore[operator]
