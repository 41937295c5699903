"""What a sender writes of the mail server: a change at once (with its event, once however many
senders see it), the mails sent at most every few seconds."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from daemon.delivery.health import ServerWatch, read_smtp_health
from daemon.delivery.outbox import Claimed, Result
from db.models import Event
from db.states import SendOutcome, SmtpState
from tests.conftest import NOW
from tests.delivery_helpers import sending_app
from tests.mailsink import MailSink

CLAIM = Claimed(1, "k", "t", "reminder", "a@b.fr", [], {}, 0, None, None, NOW)


def results(*outcomes: SendOutcome) -> list[Result]:
    return [
        Result(CLAIM, o, error="refusé" if o is SendOutcome.DEFERRED else "", at=NOW)
        for o in outcomes
    ]


def events(engine: Engine) -> list[str]:
    with Session(engine) as session:
        return [e.kind for e in session.exec(select(Event).order_by(Event.id))]  # type: ignore[arg-type]


async def test_two_senders_seeing_one_outage_write_one_event_each_way(
    tmp_path: Path, engine: Engine, mailsink: MailSink
) -> None:
    app = sending_app(tmp_path, engine, mailsink)
    first, second = ServerWatch(app, "a:1"), ServerWatch(app, "b:2")
    assert not await first.note(results(SendOutcome.SENT))
    assert read_smtp_health(app).state is SmtpState.UP and events(engine) == []
    assert await first.note(results(SendOutcome.DEFERRED))
    assert await second.note(results(SendOutcome.DEFERRED))
    down = read_smtp_health(app)
    assert (down.state, down.since, down.last_error) == (SmtpState.DOWN, NOW, "refusé")
    assert not await second.note(results(SendOutcome.RETRY))  # an answer: it is back
    assert not await first.note(results(SendOutcome.SENT))
    assert events(engine) == ["smtp_down", "smtp_up"]


async def test_mails_sent_are_counted_every_few_seconds_and_when_the_sender_stops(
    tmp_path: Path, engine: Engine, mailsink: MailSink
) -> None:
    app = sending_app(tmp_path, engine, mailsink)
    watch = ServerWatch(app, "a:1")
    await watch.note(results(SendOutcome.SENT, SendOutcome.SENT))  # up: written at once
    await watch.note(results(SendOutcome.SENT))  # up already: kept for the next note
    assert read_smtp_health(app).sent == 2
    await watch.flush()
    row = read_smtp_health(app)
    assert row.sent == 3 and row.last_sent_at == NOW and row.updated_at == NOW
    watch.next_note = 0.0  # as if NOTE_EVERY_SECONDS had passed
    app.clock = lambda: NOW + dt.timedelta(minutes=1)  # type: ignore[method-assign]
    await watch.note(results(SendOutcome.SENT))
    assert read_smtp_health(app).sent == 4
