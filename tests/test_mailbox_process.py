"""What each message calls for: bounces marking the address failing as a 5xx does, delay
notices only recorded, automatic answers recorded and never answered, our own mail ignored,
replies without a file left and noted, a message too big refused unread."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from daemon.delivery.message import message_id
from daemon.delivery.outbox import Result, claim_due, record_results
from daemon.mailbox.process import Processor
from db.models import Reminder
from db.states import MailKind, MailStatus
from tests import mail_samples as samples
from tests.conftest import NOW
from tests.mailbox_helpers import (  # noqa: F401 — world_fixture: the `world` fixture
    DIRECTOR,
    FROM,
    OTHER_DIRECTOR,
    OUR_ID,
    PDF,
    World,
    add_pending,
    build_world,
    events,
    intake_rows,
    ledger,
    process,
    school,
    world_fixture,
)


def test_a_message_too_big_is_refused_unread(world: World, engine: Engine) -> None:
    raw = samples.big_reply(sender=DIRECTOR, in_reply_to=OUR_ID, megabytes=1)
    headers = raw[: raw.index(b"\r\n\r\n")]
    outcome = Processor(world.app).too_big(headers, 31_457_280, now=NOW)
    assert (outcome.kind, outcome.status) == (MailKind.TOO_BIG, MailStatus.REFUSED)
    [row] = intake_rows(engine)
    assert row.outcome == "quarantined" and row.size == 31_457_280
    assert row.reason == (
        "message trop volumineux (30 Mo ; limite 25 Mo) : non téléchargé, gardé dans le "
        "dossier relance/refusés de la boîte"
    )
    [ack] = ledger(engine, "acknowledgement")
    assert "déposez le fichier sur la page de votre école" in ack.payload["text"]


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
    add_pending(engine, "next", world.school_id, DIRECTOR)  # still waiting for that address
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


def test_the_5xx_path_and_a_bounce_mark_an_address_alike(world: World, engine: Engine) -> None:
    """Both go through `mark_address_failing`: the same fields, event and data."""
    process(world, samples.postfix_bounce(recipient=DIRECTOR, message_id=OUR_ID))
    add_pending(engine, "to-the-other", world.other_id, OTHER_DIRECTOR)
    [claim] = claim_due(engine, worker="w", now=NOW, limit=1, lease_seconds=60)
    failed = Result(claim, "failed", error="550 5.1.1 inconnu", at=NOW)
    record_results(engine, [failed], base=1, cap=1)
    by_bounce, by_5xx = events(engine, "email_failing")
    assert (by_bounce.school_id, by_5xx.school_id) == (world.school_id, world.other_id)
    assert set(by_bounce.data) == set(by_5xx.data) == {"address", "key", "error", "held"}
    prefix = "Adresse refusée par le serveur de messagerie : "
    assert by_bounce.message.startswith(prefix) and by_5xx.message.startswith(prefix)
    assert school(engine, world.school_id).email_failing_since == NOW
    assert school(engine, world.other_id).email_failing_since == NOW
