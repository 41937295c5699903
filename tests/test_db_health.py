"""The rows the daemons share about themselves: heartbeats written in place, the mail server's
state changed once however many senders see it."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from db import health
from db.engine import transaction
from db.states import SmtpState
from tests.conftest import NOW


def part(name: str, *, alive: bool = True, error: str = "") -> health.PartBeat:
    return health.PartBeat(name, alive, False, NOW, 0, 0, error)


def test_a_beat_updates_its_rows_in_place(engine: Engine) -> None:
    for n, alive in enumerate((True, False)):
        with transaction(engine) as session:
            health.beat(
                session,
                instance="h:1",
                instance_started_at=NOW,
                parts=[part("web", alive=alive, error="x" * 600), part("sender")],
                at=NOW + dt.timedelta(seconds=n),
            )
    with Session(engine) as session:
        rows = {(b.instance, b.part): b for b in health.heartbeats(session)}
    assert set(rows) == {("h:1", "web"), ("h:1", "sender")}
    web = rows[("h:1", "web")]
    assert not web.alive and web.beat_at == NOW + dt.timedelta(seconds=1)
    assert len(web.last_error) == 500


def test_the_scheduler_notes_its_sweep_before_or_after_its_first_beat(engine: Engine) -> None:
    sweep_at = dt.datetime(2026, 10, 7, 7, tzinfo=dt.UTC)  # the campaign's clock
    with transaction(engine) as session:
        health.note_work(session, instance="h:1", part="scheduler", at=sweep_at, wall=NOW)
    with Session(engine) as session:
        [first] = health.heartbeats(session)
    assert first.worked_at == sweep_at and not first.alive  # alive once the lifecycle says so
    with transaction(engine) as session:
        health.beat(
            session, instance="h:1", instance_started_at=NOW, parts=[part("scheduler")], at=NOW
        )
    with Session(engine) as session:
        [row] = health.heartbeats(session)
    assert row.alive and row.worked_at == sweep_at


def test_rows_of_long_silent_processes_are_forgotten(engine: Engine) -> None:
    silent = NOW - health.FORGET_AFTER - dt.timedelta(seconds=1)
    with transaction(engine) as session:
        for instance, at in (("old:1", silent), ("new:2", NOW)):
            health.beat(
                session, instance=instance, instance_started_at=at, parts=[part("web")], at=at
            )
    with transaction(engine) as session:
        health.forget_old(session, now=NOW)
    with Session(engine) as session:
        assert [b.instance for b in health.heartbeats(session)] == ["new:2"]


def test_the_mail_server_changes_state_once_however_many_senders_see_it(engine: Engine) -> None:
    def note(state: SmtpState, **extra: object) -> health.SmtpChange:
        with transaction(engine) as session:
            return health.note_smtp(session, server="smtp:25", state=state, now=NOW, **extra)  # type: ignore[arg-type]

    first = note(SmtpState.UP, sent=2, last_sent_at=NOW)
    assert first.changed and not first.came_back  # its first answer, not a return
    down = note(SmtpState.DOWN, error="Connexion refusée")
    assert down.went_down and down.previous is SmtpState.UP
    again = note(SmtpState.DOWN, error="Toujours refusée")  # another sender, the same outage
    assert not again.changed and not again.went_down
    back = note(SmtpState.UP, sent=1)
    assert back.came_back and back.last_error == "Toujours refusée"
    with Session(engine) as session:
        row = health.smtp_health(session, server="smtp:25")
        blank = health.smtp_health(session, server="autre:25")
    assert (row.state, row.sent, row.last_sent_at) == (SmtpState.UP, 3, NOW)
    assert blank.state is SmtpState.UNKNOWN and blank.id is None


def test_two_daemons_writing_the_first_mailbox_row_at_once_meet_on_it(engine: Engine) -> None:
    """The other daemon writes the row between this one's look and its write: this one reads
    the other's row instead of failing on the unique source (seen on PostgreSQL in CI)."""
    from sqlmodel import select

    from db.engine import is_sqlite
    from db.models import MailboxHealth

    if is_sqlite(engine):
        pytest.skip("SQLite writes one transaction at a time: two first rows cannot cross there")
    source = "imap://coordination@mail.example/INBOX"
    query = select(MailboxHealth).where(MailboxHealth.source == source)

    def written_meanwhile() -> MailboxHealth:
        with transaction(engine) as other:
            other.add(MailboxHealth(source=source, updated_at=NOW, state=SmtpState.UP))
        return MailboxHealth(source=source, updated_at=NOW)

    with Session(engine) as session:
        row = health._locked_row(session, query, written_meanwhile)
        assert row.state == SmtpState.UP
