"""The acknowledgement of a director's mail: threaded under it, what was read and what is
still open (or why refused), one per message, at most one per sender and school per hour."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from daemon.reminders.acknowledgement import (
    Received,
    queue_acknowledgement,
    references,
    reply_subject,
)
from db.models import Campaign, School
from tests.conftest import NOW, PARIS
from tests.mailbox_helpers import DIRECTOR, OUR_ID, World, build_world, ledger


def received(key: str = "id:<a@b>", **extra: object) -> Received:
    values: dict[str, object] = {
        "key": key,
        "sender": DIRECTOR,
        "message_id": "<a@b>",
        "replies_to": (OUR_ID,),
        "subject": "Re: Constat de rentrée",
        "received_at": NOW,
        "lines": ("0441234C : Compte rendu du 15/09/2026 lu",),
    }
    values.update(extra)
    return Received(**values)  # type: ignore[arg-type]


@pytest.fixture
def world(tmp_path: Path, engine: Engine) -> World:
    return build_world(tmp_path, engine)


def queue(world: World, item: Received, school_id: int | None, now: dt.datetime) -> bool:
    with Session(world.app.engine) as session:
        school = session.get(School, school_id) if school_id else None
        campaign = session.exec(select(Campaign)).one()
        done = queue_acknowledgement(
            world.app, session, received=item, school=school, campaign=campaign, now=now
        )
        session.commit()
        return done


def test_subject_and_references_thread_under_the_message() -> None:
    assert reply_subject("Constat") == "Re: Constat"
    assert reply_subject("RE: Constat") == "RE: Constat"
    assert reply_subject("  ") == "Re: votre message"
    item = received(replies_to=tuple(f"<{n}@x>" for n in range(12)))
    thread = references(item).split()
    assert len(thread) == 8 and thread[-1] == "<a@b>" and thread[-2] == "<0@x>"


def test_what_was_read_what_is_open_and_once_per_message(world: World, engine: Engine) -> None:
    assert queue(world, received(), 1, NOW)
    [row] = ledger(engine, "acknowledgement")
    assert row.key.startswith("0441234C:2026-2027:acknowledgement:")
    assert row.recipient == DIRECTOR and row.due_at == NOW
    text = row.payload["text"]
    assert "Nous avons bien reçu votre message du lundi 14 septembre 2026" in text
    assert "  - 0441234C : Compte rendu du 15/09/2026 lu" in text
    assert "CE QUI RESTE À FAIRE POUR ÉCOLE SAINT-JOSEPH (0441234C)" in text
    assert "<li>0441234C : Compte rendu du 15/09/2026 lu</li>" in row.payload["html"]
    later = NOW + dt.timedelta(hours=2)
    assert not queue(world, received(), 1, later)  # the same message: its key
    assert queue(world, received("id:<other@b>"), 1, later)


def test_per_school_and_hour_and_without_a_school(world: World, engine: Engine) -> None:
    assert queue(world, received("id:<1@b>"), 1, NOW)
    assert not queue(world, received("id:<2@b>"), 1, NOW + dt.timedelta(minutes=59))
    assert queue(world, received("id:<3@b>"), 2, NOW + dt.timedelta(minutes=59))
    refused = received("id:<4@b>", lines=(), refusal="école inconnue")
    assert queue(world, refused, None, NOW)
    row = ledger(engine, "acknowledgement")[-1]
    assert row.school_id is None and ":acknowledgement:" in row.key
    assert row.key.startswith("sans-ecole:")
    assert "n'a pas pu être pris en compte : école inconnue." in row.payload["text"]
    assert "avec son UAI dans le nom du fichier ou dans l'objet" in row.payload["text"]


def test_an_answer_belongs_to_its_day(world: World, engine: Engine) -> None:
    """A message read on Saturday evening is answered at once (an automatic answer to someone
    who just wrote), but only that day: still waiting at midnight, it never leaves later."""
    saturday = dt.datetime(2026, 9, 19, 21, 30, tzinfo=PARIS).astimezone(dt.UTC)
    assert queue(world, received(received_at=saturday), 1, saturday)
    [row] = ledger(engine, "acknowledgement")
    assert row.due_at == saturday
    assert row.send_before == dt.datetime(2026, 9, 20, 0, 0, tzinfo=PARIS).astimezone(dt.UTC)
