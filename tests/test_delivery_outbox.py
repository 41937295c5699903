"""Claims, leases and marks on the ledger (SQLite, or PostgreSQL when configured)."""

from __future__ import annotations

import datetime as dt
import random

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from daemon.delivery.outbox import (
    Result,
    backoff_seconds,
    claim_due,
    mark_bounced,
    record_results,
    release,
)
from db.models import Event, School
from db.states import SendOutcome
from tests.conftest import NOW
from tests.delivery_helpers import add_reminders, add_school, rows


def claim(engine: Engine, worker: str = "a", now: dt.datetime = NOW, limit: int = 10):
    return claim_due(engine, worker=worker, now=now, limit=limit, lease_seconds=60)


def test_claims_due_rows_oldest_first_and_only_once(engine: Engine) -> None:
    keys = add_reminders(engine, 5)
    add_reminders(engine, 2, due=NOW + dt.timedelta(hours=1), prefix="plus-tard")
    first = claim(engine, limit=3)
    assert [c.key for c in first] == keys[:3]
    second = claim(engine, worker="b")
    assert [c.key for c in second] == keys[3:]
    assert claim(engine, worker="c") == []
    stored = rows(engine)
    assert stored[keys[0]].status == "claimed" and stored[keys[0]].claimed_by.startswith("a/")
    assert stored[keys[0]].lease_until == NOW + dt.timedelta(seconds=60)


def test_an_expired_lease_is_claimed_again(engine: Engine) -> None:
    add_reminders(engine, 2)
    assert len(claim(engine)) == 2
    assert claim(engine, worker="b", now=NOW + dt.timedelta(seconds=59)) == []
    again = claim(engine, worker="b", now=NOW + dt.timedelta(seconds=61))
    assert len(again) == 2 and all(c.token.startswith("b/") for c in again)


def test_a_lost_claim_cannot_retry_or_fail_the_row(engine: Engine) -> None:
    add_reminders(engine, 1)
    (old,) = claim(engine)
    (new,) = claim(engine, worker="b", now=NOW + dt.timedelta(seconds=61))
    record_results(engine, [Result(old, SendOutcome.FAILED, error="550", at=NOW)], base=1, cap=2)
    assert rows(engine)[old.key].status == "claimed"
    record_results(engine, [Result(new, SendOutcome.SENT, message_id="<m>", at=NOW)], base=1, cap=2)
    assert rows(engine)[old.key].status == "sent"


def test_retry_backs_off_and_release_puts_back(engine: Engine) -> None:
    keys = add_reminders(engine, 2)
    a, b = claim(engine)
    later = NOW + dt.timedelta(seconds=5)
    record_results(
        engine, [Result(a, SendOutcome.RETRY, error="451 plus tard", at=later)], base=60, cap=600
    )
    release(engine, [b])
    stored = rows(engine)
    assert stored[keys[0]].status == "pending" and stored[keys[0]].attempts == 1
    assert later + dt.timedelta(seconds=30) <= stored[keys[0]].next_attempt_at
    assert stored[keys[0]].next_attempt_at <= later + dt.timedelta(seconds=60)
    assert stored[keys[1]].status == "pending" and stored[keys[1]].attempts == 0
    assert stored[keys[1]].claimed_by == "" and stored[keys[1]].lease_until is None


def test_backoff_grows_to_the_cap_with_jitter() -> None:
    rng = random.Random(1)
    delays = [backoff_seconds(n, base=60, cap=3600, rng=rng) for n in range(1, 10)]
    assert 30 <= delays[0] <= 60 and 120 <= delays[2] <= 240
    assert all(1800 <= d <= 3600 for d in delays[-3:])


def test_a_permanent_failure_marks_the_address_and_holds_its_other_rows(engine: Engine) -> None:
    school_id = add_school(engine, "faux@ecole.example")
    keys = add_reminders(engine, 2, recipient="faux@ecole.example", school_id=school_id)
    other = add_reminders(engine, 1, prefix="autre")
    first = claim(engine, limit=1)[0]
    record_results(
        engine,
        [Result(first, SendOutcome.FAILED, error="550 5.1.1 inconnu", at=NOW)],
        base=1,
        cap=2,
    )
    stored = rows(engine)
    assert stored[keys[0]].status == "failed" and "550" in stored[keys[0]].last_error
    assert stored[keys[1]].status == "failed"
    assert stored[keys[1]].last_error.startswith("adresse en échec")
    assert stored[other[0]].status == "pending"
    with Session(engine) as session:
        school = session.get(School, school_id)
        assert school is not None and school.email_failing_since == NOW
        assert "550" in school.email_failure
        events = session.exec(select(Event).where(Event.kind == "email_failing")).all()
        assert [e.school_id for e in events] == [school_id]
        assert "faux@ecole.example" in events[0].message


def test_a_bounce_after_sending_fails_the_row_and_marks_the_address_once(engine: Engine) -> None:
    school_id = add_school(engine, "dir@ecole.example")
    [sent_key, waiting_key] = add_reminders(
        engine, 2, recipient="dir@ecole.example", school_id=school_id
    )
    [first] = claim(engine, limit=1)
    record_results(engine, [Result(first, "sent", at=NOW, message_id="<m@x>")], base=1, cap=1)
    later = NOW + dt.timedelta(hours=1)
    with Session(engine) as session:
        row = rows(engine)[sent_key]
        marked = mark_bounced(
            session, reminder=row, address="dir@ecole.example", error="avis : 550", at=later
        )
        again = mark_bounced(
            session, reminder=row, address="dir@ecole.example", error="avis : 550", at=later
        )
        session.commit()
    assert (marked, again) == (True, False)
    stored = rows(engine)
    assert (stored[sent_key].status, stored[sent_key].last_error) == ("failed", "avis : 550")
    assert stored[waiting_key].status == "failed"  # it would bounce the same way
    assert stored[waiting_key].last_error == "adresse en échec : avis : 550"
    with Session(engine) as session:
        school = session.get(School, school_id)
        assert school is not None and school.email_failing_since == later
        [event] = session.exec(select(Event).where(Event.kind == "email_failing")).all()
        assert event.data["key"] == sent_key
