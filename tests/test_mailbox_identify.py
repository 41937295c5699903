"""Which school a message is about: the mail of ours it answers, a UAI in the file's name or
the subject, the one school its sender directs — and why none when none."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from daemon.mailbox.bounces import Bounce
from daemon.mailbox.identify import (
    known_correspondent,
    message_school,
    not_director,
    reminder_reported,
    school_for,
)
from db.models import School
from tests.factories import OTHER, UAI
from tests.mailbox_helpers import (
    DIRECTOR,
    FROM,
    OTHER_DIRECTOR,
    OUR_ID,
    SECRETARY,
    World,
    build_world,
)


@pytest.fixture
def world(tmp_path: Path, engine: Engine) -> World:
    return build_world(tmp_path, engine)


def uai_of(session: Session, **kwargs: object) -> str | None:
    found = school_for(session, **kwargs)  # type: ignore[arg-type]
    return found.school.uai if found.school else found.problem


def test_the_order_thread_then_name_then_subject_then_sender(world: World, engine: Engine) -> None:
    with Session(engine) as session:
        assert uai_of(session, answered_id=world.school_id, names=(OTHER,), sender="") == UAI
        assert uai_of(session, answered_id=None, names=(f"{OTHER}.zip", UAI), sender="") == OTHER
        assert (
            uai_of(session, answered_id=None, names=("cr.pdf", f"Re: {OTHER}"), sender="") == OTHER
        )
        assert uai_of(session, answered_id=None, names=("cr.pdf",), sender=DIRECTOR) == UAI
        assert uai_of(session, answered_id=None, names=("cr.pdf",), sender=DIRECTOR.upper()) == UAI


def test_why_no_school(world: World, engine: Engine) -> None:
    with Session(engine) as session:
        both = uai_of(session, answered_id=None, names=(f"{UAI} {OTHER}",), sender="")
        assert both == f"plusieurs UAI dans « {UAI} {OTHER} » ({UAI}, {OTHER})"
        assert uai_of(session, answered_id=None, names=("0441238G",), sender="") == (
            "école 0441238G inconnue de cette installation"
        )
        assert str(uai_of(session, answered_id=None, names=("x",), sender="x@y.z")).startswith(
            "école inconnue"
        )
        second = session.get(School, world.other_id)
        assert second is not None
        second.director_email = DIRECTOR  # one director for two schools
        session.add(second)
        session.flush()
        assert "dirige plusieurs écoles" in str(
            uai_of(session, answered_id=None, names=("x",), sender=DIRECTOR)
        )


def test_only_the_director_may_send_a_schools_files(world: World, engine: Engine) -> None:
    with Session(engine) as session:
        found = school_for(session, answered_id=world.school_id, names=(), sender=SECRETARY)
        assert not_director(found, DIRECTOR) == ""
        assert not_director(found, SECRETARY) == (
            f"l'expéditeur {SECRETARY} n'est pas la direction de l'école {UAI} ({DIRECTOR})"
        )


def test_the_message_school_and_who_may_be_answered(world: World, engine: Engine) -> None:
    with Session(engine) as session:
        found = message_school(session, replies_to=("<x@y>", OUR_ID), subject="", sender="")
        assert found.school is not None and found.school.id == world.school_id
        assert known_correspondent(session, sender=OTHER_DIRECTOR, in_thread=False)
        assert known_correspondent(session, sender="x@y.z", in_thread=True)
        assert not known_correspondent(session, sender="x@y.z", in_thread=False)


def test_a_report_names_our_mail_by_id_or_by_verp(world: World, engine: Engine) -> None:
    def bounce(ids: tuple[str, ...], returned: tuple[str, ...]) -> Bounce:
        return Bounce(frozenset({DIRECTOR}), frozenset(), ids, returned, "550")

    digest = OUR_ID[len("<relance.") :].partition("@")[0]
    with Session(engine) as session:
        by_id = reminder_reported(
            session, bounce((OUR_ID,), ()), from_address=FROM, verp_address=""
        )
        by_verp = reminder_reported(
            session,
            bounce((), (f"rebonds+{digest}@example.org",)),
            from_address=FROM,
            verp_address="rebonds@example.org",
        )
        without = reminder_reported(
            session,
            bounce((), (f"rebonds+{digest}@example.org",)),
            from_address=FROM,
            verp_address="",
        )
    assert by_id is not None and by_id.id == world.reminder_id
    assert by_verp is not None and by_verp.id == world.reminder_id
    assert without is None
