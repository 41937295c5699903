"""The sender against a real SMTP server (aiosmtpd on loopback): sent, retried, failed, limited,
and two senders over the same ledger."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from daemon.delivery.health import read_smtp_health, smtp_json
from daemon.delivery.message import message_id, render_message
from daemon.delivery.outbox import claim_due
from daemon.delivery.sender import run_sender, send_due
from daemon.delivery.smtp import Connection
from db.engine import make_engine
from db.models import Event, School
from tests.conftest import wait_for
from tests.delivery_helpers import Clock, add_reminders, add_school, rows, sending_app
from tests.mailsink import MailSink


async def test_sending_marks_rows_sent_with_their_message_id(
    tmp_path: Path, engine: Engine, mailsink: MailSink
) -> None:
    keys = add_reminders(engine, 3, cc=["adjoint@ecole.example"])
    app = sending_app(tmp_path, engine, mailsink)
    assert await send_due(app) == 3
    stored = rows(engine)
    expected = [message_id(k, app.settings.smtp.from_address) for k in keys]
    assert sorted(mailsink.message_ids()) == sorted(expected)
    for key in keys:
        assert stored[key].status == "sent" and stored[key].sent_at is not None
        assert stored[key].message_id == message_id(key, app.settings.smtp.from_address)
    first = mailsink.received[0]
    assert set(first.envelope_to) == {first.message["To"], "adjoint@ecole.example"}
    assert first.message["Auto-Submitted"] == "auto-generated"
    assert read_smtp_health(app).state == "up"
    assert await send_due(app) == 0 and len(mailsink.messages) == 3


async def test_two_senders_send_each_row_exactly_once(
    tmp_path: Path, engine: Engine, database_url: str, mailsink: MailSink
) -> None:
    keys = add_reminders(engine, 500)
    engines = [make_engine(database_url) for _ in range(2)]
    try:
        apps = [
            sending_app(tmp_path / str(n), e, mailsink, rate_per_minute=100_000)
            for n, e in enumerate(engines)
        ]
        handled = await asyncio.gather(*(send_due(a) for a in apps))
    finally:
        for e in engines:
            e.dispose()
    assert sum(handled) == 500 and all(h > 0 for h in handled)  # both took part
    ids = mailsink.message_ids()
    assert len(ids) == 500 and len(set(ids)) == 500
    assert all(r.status == "sent" for r in rows(engine).values())
    assert {r.key for r in rows(engine).values()} == set(keys)


async def test_a_crash_mid_send_is_retried_after_the_lease_with_the_same_message_id(
    tmp_path: Path, engine: Engine, mailsink: MailSink
) -> None:
    keys = add_reminders(engine, 4)
    clock = Clock()
    app = sending_app(tmp_path, engine, mailsink, clock)
    # A sender claims all four, sends two, and dies before marking anything.
    claims = claim_due(engine, worker="mort", now=clock(), limit=10, lease_seconds=60)
    connection = Connection(app.settings.smtp)
    for claim in claims[:2]:
        mail = render_message(
            key=claim.key,
            recipient=claim.recipient,
            cc=[],
            payload=claim.payload,
            settings=app.settings,
            now=clock(),
        )
        assert (await connection.send(mail)).outcome == "sent"
    await connection.close()
    assert await send_due(app) == 0  # the lease still holds
    clock.advance(61)
    assert await send_due(app) == 4
    ids = mailsink.message_ids()
    assert len(ids) == 6 and len(set(ids)) == 4  # two duplicates, recognisable
    assert ids[:2] == [message_id(k, app.settings.smtp.from_address) for k in keys[:2]]
    assert all(r.status == "sent" for r in rows(engine).values())


async def test_smtp_down_then_back_delivers_everything_in_due_order(
    tmp_path: Path, engine: Engine, mailsink: MailSink
) -> None:
    keys = add_reminders(engine, 6)
    app = sending_app(tmp_path, engine, mailsink, concurrency=1, retry_max_seconds=1)
    mailsink.stop()
    stop = asyncio.Event()
    task = asyncio.create_task(run_sender(app, stop, poll_seconds=0.05))
    await wait_for(lambda: read_smtp_health(app).state == "down")
    await asyncio.sleep(1.5)  # a few tries against the closed port
    stored = rows(engine)
    # Nothing sent, nothing given up: each row waits (or is in the hands of the try under way).
    assert all(r.status in ("pending", "claimed") for r in stored.values())
    assert stored[keys[0]].attempts >= 1 and stored[keys[0]].last_error
    assert smtp_json(read_smtp_health(app))["up"] is False
    mailsink.start()
    await wait_for(lambda: len(mailsink.messages) == 6)
    stop.set()
    await task
    expected = [message_id(k, app.settings.smtp.from_address) for k in keys]
    assert mailsink.message_ids() == expected
    assert read_smtp_health(app).state == "up"
    with Session(engine) as session:
        kinds = [e.kind for e in session.exec(select(Event).order_by(Event.id))]
    assert kinds == ["smtp_down", "smtp_up"]


async def test_a_4xx_is_retried_later_and_a_5xx_marks_the_address_failing(
    tmp_path: Path, engine: Engine, mailsink: MailSink
) -> None:
    school_id = add_school(engine, "inconnu@ecole.example")
    refused = add_reminders(engine, 2, recipient="inconnu@ecole.example", school_id=school_id)
    later = add_reminders(engine, 1, recipient="plein@ecole.example", prefix="greylist")
    fine = add_reminders(engine, 1, recipient="ok@ecole.example", prefix="ok")
    mailsink.refuse("inconnu@ecole.example", 550)
    mailsink.refuse("plein@ecole.example", 452)
    clock = Clock()
    app = sending_app(tmp_path, engine, mailsink, clock)
    await send_due(app)
    stored = rows(engine)
    assert [stored[k].status for k in refused] == ["failed", "failed"]
    assert stored[later[0]].status == "pending" and "452" in stored[later[0]].last_error
    assert stored[later[0]].next_attempt_at > clock()
    assert stored[fine[0]].status == "sent"
    with Session(engine) as session:
        school = session.get(School, school_id)
        assert school is not None and school.email_failing_since == clock()
    mailsink.accept_all()
    clock.advance(3)
    await send_due(app)
    assert rows(engine)[later[0]].status == "sent"
    assert [str(m["To"]) for m in mailsink.messages] == ["ok@ecole.example", "plein@ecole.example"]


async def test_the_rate_limit_is_respected(
    tmp_path: Path, engine: Engine, mailsink: MailSink
) -> None:
    add_reminders(engine, 7)
    app = sending_app(tmp_path, engine, mailsink, rate_per_minute=120, concurrency=4)
    started = time.monotonic()
    await send_due(app)
    elapsed = time.monotonic() - started
    assert len(mailsink.messages) == 7
    assert elapsed >= 2.3  # 2 per second: the first two at once, five more over 2.5 s


@pytest.mark.slow
async def test_two_senders_on_one_database_share_the_rate(
    tmp_path: Path, engine: Engine, database_url: str, mailsink: MailSink
) -> None:
    """`smtp.rate_per_minute` holds for the installation: two daemons sending at once at 120
    a minute take as long together as one would (each alone would go twice as fast)."""
    add_reminders(engine, 20)
    engines = [make_engine(database_url) for _ in range(2)]
    try:
        apps = [
            sending_app(tmp_path / str(n), e, mailsink, rate_per_minute=120, lease_seconds=10)
            for n, e in enumerate(engines)
        ]
        started = time.monotonic()
        handled = await asyncio.gather(*(send_due(a) for a in apps))
        elapsed = time.monotonic() - started
    finally:
        for e in engines:
            e.dispose()
    assert sum(handled) == 20 and all(h >= 5 for h in handled), handled  # both took part
    assert len(mailsink.messages) == 20
    # 2 a second for both together: the first two at once, eighteen more in 9 s (each sender
    # with its own rate would be done in about half that)
    assert elapsed >= 8.0, elapsed


async def test_a_clean_stop_finishes_the_mail_in_hand_and_releases_the_rest(
    tmp_path: Path, engine: Engine, mailsink: MailSink
) -> None:
    add_reminders(engine, 20)
    app = sending_app(tmp_path, engine, mailsink, rate_per_minute=60, concurrency=1)
    stop = asyncio.Event()
    task = asyncio.create_task(run_sender(app, stop, poll_seconds=0.05))
    await wait_for(lambda: len(mailsink.messages) >= 2)
    stop.set()
    await task
    stored = rows(engine).values()
    sent = [r for r in stored if r.status == "sent"]
    assert len(sent) == len(mailsink.messages) < 20
    assert all(r.status == "pending" and r.claimed_by == "" for r in stored if r.status != "sent")


async def test_sent_at_is_the_time_of_sending(
    tmp_path: Path, engine: Engine, mailsink: MailSink
) -> None:
    keys = add_reminders(engine, 2)
    clock = Clock()
    clock.advance(90)
    app = sending_app(tmp_path, engine, mailsink, clock)
    await send_due(app)
    assert [rows(engine)[k].sent_at for k in keys] == [clock(), clock()]


async def test_a_claim_held_past_its_lease_is_never_sent_from_that_claim(
    tmp_path: Path, engine: Engine, mailsink: MailSink
) -> None:
    from daemon.delivery.sender import Sender

    keys = add_reminders(engine, 3)
    clock = Clock()
    app = sending_app(tmp_path, engine, mailsink, clock, lease_seconds=60)
    sender = Sender(app)
    claims = claim_due(engine, worker="lent", now=clock(), limit=10, lease_seconds=60)
    clock.advance(61)  # the database was away for longer than the lease
    results = await sender._send_batch(claims, asyncio.Event())
    await sender.close()
    assert {r.outcome for r in results} == {"released"} and mailsink.messages == []
    # Another pass takes them and sends each once.
    assert await send_due(app) == 3
    assert sorted(mailsink.message_ids()) == sorted(
        message_id(k, app.settings.smtp.from_address) for k in keys
    )
