"""The mailbox part against a real IMAP server: a morning's mail sorted into its folders, a
30 MB attachment refused unread, an outage waited out with nothing lost, two daemons on one
mailbox processing each message once, a clean start and stop."""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from daemon.mailbox.imap import ImapSource
from daemon.mailbox.outcome import Outcome
from daemon.mailbox.poller import Poller, make_source, run_mailbox
from daemon.mailbox.source import Destination
from db.states import MailKind, MailStatus
from tests import mail_samples as samples
from tests.archives import export_archive
from tests.factories import OTHER, UAI, cr_text, extraction_csv
from tests.imapserver import ImapServer, imap_fixture  # noqa: F401 — the `imap` fixture
from tests.mailbox_helpers import (
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
    mailbox_rows,
)

PROCESSED, REFUSED = "relance/traités", "relance/refusés"


def imap_world(tmp_path: Path, engine: Engine, server: ImapServer, **extra: object) -> World:
    return build_world(tmp_path, engine, **server.mailbox_settings(maildir="", **extra))


def poller(world: World, worker: str = "test") -> Poller:
    return Poller(world.app, ImapSource(world.app.settings.mailbox), worker=worker)


def one_pass(p: Poller) -> int:
    p.source.open()
    try:
        return p.run_pass()
    finally:
        p.source.close()


def wait_for(condition, seconds: float = 30) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("not reached in time")
        time.sleep(0.2)


def test_a_mornings_mail_is_sorted_into_its_folders(
    tmp_path: Path,
    engine: Engine,
    imap: ImapServer,
) -> None:
    world = imap_world(tmp_path, engine, imap)
    reply = samples.thunderbird_reply(sender=DIRECTOR, in_reply_to=OUR_ID, data=cr_text())
    note = samples.plain_reply(
        sender=DIRECTOR, in_reply_to=OUR_ID, subject="Re: Constat", text="Je regarde."
    )
    stranger = samples.plain_reply(
        sender="collegue@diocese.example", in_reply_to="", subject="Réunion", text="Jeudi ?"
    )
    winmail = samples.outlook_winmail(sender=DIRECTOR, in_reply_to=OUR_ID)
    oof = samples.outlook_out_of_office(sender=DIRECTOR, in_reply_to=OUR_ID, subject="Constat")
    bounce = samples.exim_bounce(recipient=DIRECTOR, message_id=OUR_ID)
    for raw in (reply, note, stranger, winmail, oof, bounce):
        imap.append(raw)
    first = poller(world)
    assert one_pass(first) == 6
    assert imap.messages(imap.folder(PROCESSED)) == [reply, oof, bounce]
    assert imap.messages(imap.folder(REFUSED)) == [winmail]
    assert imap.messages() == [note, stranger]  # left for people, still unread
    kinds = {
        row.subject: (row.kind, row.status, row.moved_at is not None)
        for row in mailbox_rows(engine)
    }
    assert kinds["Re: Constat"] == (MailKind.NOTE, MailStatus.LEFT, False)
    assert kinds["Réunion"] == (MailKind.OTHER, MailStatus.LEFT, False)
    assert kinds["Mail delivery failed: returning message to sender"][:2] == (
        MailKind.BOUNCE,
        MailStatus.PROCESSED,
    )
    assert one_pass(first) == 0  # nothing new: the notes are not read again
    assert one_pass(poller(world, "restarted")) == 0  # nor after a restart


def test_every_clients_shape_goes_through_the_real_server(
    tmp_path: Path,
    engine: Engine,
    imap: ImapServer,
) -> None:
    """Outlook, Gmail, Apple Mail, a forward, Postfix's and Exchange's reports: stored by a
    real server and read back, each ends where it should."""
    world = imap_world(tmp_path, engine, imap)
    arrivals = [
        samples.outlook_reply(sender=DIRECTOR, in_reply_to=OUR_ID, data=PDF),
        samples.gmail_reply(
            sender=DIRECTOR,
            in_reply_to="",
            data=extraction_csv(),
            filename=f"{UAI}-CSVExtraction.csv",
        ),
        samples.apple_mail(
            sender=OTHER_DIRECTOR,
            subject="export",
            data=export_archive(uai=OTHER),
            filename=f"{OTHER}.zip",
        ),
        samples.forwarded_as_attachment(
            sender=DIRECTOR,
            original=samples.thunderbird_reply(sender=SECRETARY, in_reply_to="", data=cr_text()),
            subject="TR: compte rendu",
        ),
        samples.postfix_bounce(recipient=DIRECTOR, message_id=OUR_ID),
        samples.exchange_bounce(recipient=DIRECTOR, message_id=OUR_ID),
    ]
    for raw in arrivals:
        imap.append(raw)
    assert one_pass(poller(world)) == len(arrivals)
    assert len(imap.messages(imap.folder(PROCESSED))) == len(arrivals) and imap.messages() == []
    taken = [(r.original_name, r.outcome) for r in intake_rows(engine)]
    assert taken == [
        ("compte rendu école.pdf", "processed"),
        (f"{UAI}-CSVExtraction.csv", "processed"),
        (f"{OTHER}.zip", "processed"),
        ("compte-rendu-école-Saint-Joseph-septembre.txt", "processed"),
    ]
    assert len(events(engine, "email_failing")) == 1  # the second report: already noted


def test_a_30_mb_attachment_is_refused_without_being_downloaded(
    tmp_path: Path,
    engine: Engine,
    imap: ImapServer,
) -> None:
    world = imap_world(tmp_path, engine, imap)
    big = samples.big_reply(sender=DIRECTOR, in_reply_to=OUR_ID, megabytes=30)
    imap.append(big)
    p = poller(world)
    fetched: list[str] = []
    real_fetch = p.source.fetch
    p.source.fetch = lambda ref: fetched.append(ref) or real_fetch(ref)  # type: ignore[method-assign]
    assert one_pass(p) == 1
    assert fetched == []
    assert len(imap.messages(imap.folder(REFUSED))) == 1 and imap.messages() == []
    [row] = intake_rows(engine)
    assert row.outcome == "quarantined" and row.size == len(big)
    assert "message trop volumineux (41 Mo ; limite 25 Mo)" in row.reason
    assert "trop volumineux" in ledger(engine, "acknowledgement")[0].payload["text"]


def test_an_outage_is_waited_out_and_nothing_is_lost(
    tmp_path: Path,
    engine: Engine,
    imap: ImapServer,
) -> None:
    world = imap_world(tmp_path, engine, imap)
    p = poller(world)
    halt = threading.Event()
    thread = threading.Thread(target=p.run, args=(halt,), daemon=True)
    thread.start()
    try:
        imap.stop()
        wait_for(lambda: events(engine, "mailbox_down"))
        imap.start()
        imap.append(samples.thunderbird_reply(sender=DIRECTOR, in_reply_to=OUR_ID, data=cr_text()))
        imap.append(samples.postfix_bounce(recipient=DIRECTOR, message_id=OUR_ID))
        wait_for(lambda: len(imap.messages(imap.folder(PROCESSED))) == 2)
    finally:
        halt.set()
        thread.join(10)
    assert not thread.is_alive()
    assert len(events(engine, "mailbox_down")) == 1 and len(events(engine, "mailbox_up")) == 1
    assert "injoignable" in events(engine, "mailbox_down")[0].message
    assert [r.outcome for r in intake_rows(engine)] == ["processed"]
    assert imap.messages() == []


def test_a_cut_between_processing_and_moving_only_moves_it_next_time(
    tmp_path: Path,
    engine: Engine,
    imap: ImapServer,
) -> None:
    world = imap_world(tmp_path, engine, imap)
    imap.append(samples.thunderbird_reply(sender=DIRECTOR, in_reply_to=OUR_ID, data=cr_text()))
    p = poller(world)

    def cut(ref: str, destination: Destination) -> None:
        raise OSError("connexion coupée")

    p.source.move = cut  # type: ignore[method-assign]
    with pytest.raises(OSError):
        one_pass(p)
    assert imap.messages() and mailbox_rows(engine)[0].status == MailStatus.PROCESSED
    assert one_pass(poller(world, "next")) == 0  # moved, not processed again
    assert len(imap.messages(imap.folder(PROCESSED))) == 1 and imap.messages() == []
    assert len(intake_rows(engine)) == 1 and mailbox_rows(engine)[0].moved_at is not None


def test_two_daemons_on_one_mailbox_process_each_message_once(
    tmp_path: Path,
    engine: Engine,
    imap: ImapServer,
) -> None:
    world = imap_world(tmp_path, engine, imap)
    count = 12
    for day in range(count):
        raw = samples.gmail_reply(
            sender=DIRECTOR,
            in_reply_to=OUR_ID,
            data=cr_text(day=2 + day),
            filename=f"cr-{day}.txt",
            subject=f"Re: Constat {day}",
        )
        imap.append(raw.replace(b"<CAF=", f"<n{day}.CAF=".encode()))
    daemons = [poller(world, "daemon-a"), poller(world, "daemon-b")]
    halt = threading.Event()
    threads = [threading.Thread(target=d.run, args=(halt,), daemon=True) for d in daemons]
    for thread in threads:
        thread.start()
    try:
        wait_for(lambda: len(imap.messages(imap.folder(PROCESSED))) == count, 60)
    finally:
        halt.set()
        for thread in threads:
            thread.join(10)
    assert sum(d.handled for d in daemons) == count
    assert len(mailbox_rows(engine)) == count
    assert len(intake_rows(engine)) == count  # each file read once
    assert all(r.outcome == "processed" for r in intake_rows(engine))
    assert imap.messages() == []
    assert len(imap.messages(imap.folder(PROCESSED))) == count  # moved once each


async def test_the_part_runs_under_the_daemon_and_stops_at_once(
    tmp_path: Path,
    engine: Engine,
    imap: ImapServer,
) -> None:
    world = imap_world(tmp_path, engine, imap, poll_seconds=30)
    stop = asyncio.Event()
    task = asyncio.create_task(run_mailbox(world.app, stop))
    await asyncio.sleep(0.5)
    imap.append(samples.thunderbird_reply(sender=DIRECTOR, in_reply_to=OUR_ID, data=cr_text()))
    for _ in range(100):  # IDLE: processed long before the 30 s poll
        if len(await asyncio.to_thread(imap.messages, imap.folder(PROCESSED))) == 1:
            break
        await asyncio.sleep(0.1)
    assert len(imap.messages(imap.folder(PROCESSED))) == 1
    started = time.monotonic()
    stop.set()
    await asyncio.wait_for(task, 5)
    assert time.monotonic() - started < 3


async def test_without_a_mailbox_the_part_only_waits(tmp_path: Path, engine: Engine) -> None:
    world = build_world(tmp_path, engine, maildir="")
    stop = asyncio.Event()
    task = asyncio.create_task(run_mailbox(world.app, stop))
    await asyncio.sleep(0.2)
    assert not task.done()
    stop.set()
    await asyncio.wait_for(task, 2)


def test_a_message_that_breaks_the_processing_is_left_with_the_reason(
    tmp_path: Path, engine: Engine
) -> None:
    """A bug on one message never stops the part: that message is left for people, noted."""
    world = build_world(tmp_path, engine)
    source = make_source(world.app)
    source.open()
    root = Path(world.app.settings.mailbox.maildir)
    (root / "new" / "1.bad").write_bytes(
        samples.plain_reply(sender=DIRECTOR, in_reply_to=OUR_ID, subject="Re: x", text="piège")
    )
    (root / "new" / "2.good").write_bytes(
        samples.thunderbird_reply(sender=DIRECTOR, in_reply_to=OUR_ID, data=cr_text())
    )
    p = Poller(world.app, source)
    real = p.processor.process

    def breaks_on_the_first(raw: bytes, *, now: dt.datetime) -> Outcome:
        if "piège".encode() in raw:
            raise ValueError("bogue")
        return real(raw, now=now)

    p.processor.process = breaks_on_the_first  # type: ignore[method-assign]
    assert p.run_pass() == 2
    rows = {row.subject: row for row in mailbox_rows(engine)}
    assert rows["Re: x"].status == MailStatus.LEFT
    assert rows["Re: x"].reason.startswith("erreur interne pendant le traitement (ValueError)")
    assert (root / "new" / "1.bad").exists()
    assert rows["Re: Constat de rentrée"].status == MailStatus.PROCESSED
