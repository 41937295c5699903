"""The `mailbox` part of `relance serve`: read the mailbox, process each new message once, move
it where it goes, wait for the next (IDLE where offered, else `mailbox.poll_seconds`).

A pass lists the folder (messages since the campaign started), reads the headers of those not
yet settled in this process, and for each: a message settled elsewhere is only moved (or left);
a new one is claimed in the database (`claims`), fetched — unless it is larger than
`mailbox.max_message_mb`, which is refused unread — processed (`process`), settled, moved.

The mailbox out of reach (server down, refused login, connection cut) is no error of the part:
it is logged, an event says so once (`mailbox_down`, then `mailbox_up`), and the pass is tried
again after `mailbox.poll_seconds`. Nothing is lost: a message leaves the folder only once its
row says where it goes. The IMAP work runs in a thread (imaplib blocks); the part only waits.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import imaplib
import logging
import socket
import threading
import time
from collections.abc import Callable

from imap_tools.errors import ImapToolsError

from daemon.app import App
from daemon.mailbox import claims
from daemon.mailbox.imap import ImapSource, MailboxError
from daemon.mailbox.maildir import MaildirSource
from daemon.mailbox.outcome import Outcome
from daemon.mailbox.process import Processor
from daemon.mailbox.reading import Inbound, read_message
from daemon.mailbox.source import Destination, Listed, Source
from db.engine import DB_UNAVAILABLE, transaction
from db.events import record_event
from db.health import note_mailbox
from db.states import EventKind, MailKind, MailStatus, SmtpState

log = logging.getLogger(__name__)
UNREACHABLE = (OSError, socket.timeout, imaplib.IMAP4.error, ImapToolsError, MailboxError)
CHUNK = 50
SESSION_SECONDS = 3600  # a fresh connection every hour: long sessions pile up server notices
DESTINATIONS = {
    MailStatus.PROCESSED: Destination.PROCESSED,
    MailStatus.REFUSED: Destination.REFUSED,
}


def make_source(app: App) -> Source:
    settings = app.settings.mailbox
    return MaildirSource(settings) if settings.maildir else ImapSource(settings)


class Poller:
    def __init__(self, app: App, source: Source, *, worker: str | None = None) -> None:
        self.app = app
        self.source = source
        self.worker = worker or app.instance
        self.processor = Processor(app)
        self.settled: set[str] = set()  # refs this process has nothing more to do with
        self.max_bytes = app.settings.mailbox.max_message_mb * 1024 * 1024
        self.down_since: dt.datetime | None = None
        self.believed = SmtpState.UNKNOWN  # as this reader last wrote it
        self.handled = 0

    # ---- one pass ------------------------------------------------------------------------
    def run_pass(self) -> int:
        """Process what is new in the folder; returns the messages handled."""
        handled = 0
        refs = [r for r in self.source.listing(self._since()) if r not in self.settled]
        for start in range(0, len(refs), CHUNK):
            listed = self.source.headers(refs[start : start + CHUNK])
            inbounds = [read_message(one.headers + b"\r\n\r\n") for one in listed]
            rows = claims.known(self.app.engine, [inbound.key for inbound in inbounds])
            for one, inbound in zip(listed, inbounds, strict=True):
                handled += self._handle(one, inbound, rows.get(inbound.key))
        self.handled += handled
        return handled

    def _since(self) -> dt.date:
        return self.app.settings.campaign.start - dt.timedelta(days=7)

    def _handle(self, listed: Listed, inbound: Inbound, row: claims.Known | None) -> int:
        now = self.app.now()
        if row is not None and not row.claimable(now, self.worker):
            if row.to_move:
                self._move(listed.ref, inbound.key, DESTINATIONS[row.status], now)
            if row.status != MailStatus.CLAIMED:
                self.settled.add(listed.ref)
            return 0
        if not claims.claim(self.app.engine, inbound, worker=self.worker, now=now):
            return 0  # another daemon has it
        started = time.perf_counter()
        outcome = self._process(listed, now)
        if outcome is None:
            return 0  # gone from the folder meanwhile: the claim expires
        claims.settle(self.app.engine, inbound.key, outcome, worker=self.worker, now=now)
        destination = DESTINATIONS.get(outcome.status)
        if destination is not None:
            self._move(listed.ref, inbound.key, destination, now)
        self.settled.add(listed.ref)
        log.info(
            "mailbox message=%s from=%s kind=%s status=%s school=%s files=%d ms=%d",
            inbound.key[:60],
            inbound.sender or "-",
            outcome.kind,
            outcome.status,
            outcome.school_id or "-",
            outcome.files,
            (time.perf_counter() - started) * 1000,
        )
        return 1

    def _process(self, listed: Listed, now: dt.datetime) -> Outcome | None:
        if listed.size > self.max_bytes:
            return self.processor.too_big(listed.headers, listed.size, now=now)
        raw = self.source.fetch(listed.ref)
        if raw is None:
            return None
        try:
            return self.processor.process(raw, now=now)
        except (*UNREACHABLE, *DB_UNAVAILABLE):
            raise  # not the message's fault: the claim expires and it is taken again
        except Exception as exc:  # one bad message never stops the part: left for people
            log.exception("mailbox: could not process %s", listed.ref)
            reason = f"erreur interne pendant le traitement ({type(exc).__name__}) : laissé"
            return Outcome(MailKind.OTHER, MailStatus.LEFT, reason)

    def _move(self, ref: str, key: str, destination: Destination, now: dt.datetime) -> None:
        self.source.move(ref, destination)
        claims.moved(self.app.engine, key, now=now)

    # ---- the loop --------------------------------------------------------------------------
    def run(self, halt: threading.Event) -> None:
        """Passes until `halt`: open, pass, wait; the mailbox out of reach is waited out."""
        wait = float(self.app.settings.mailbox.poll_seconds)
        log.info("mailbox read: %s", self.source.description)
        while not halt.is_set():
            try:
                self.source.open()
                self._up()
                renew = time.monotonic() + SESSION_SECONDS
                while not halt.is_set() and time.monotonic() < renew:
                    self.run_pass()
                    self.source.wait(wait, halt)
            except UNREACHABLE as exc:
                self._down(exc)
                halt.wait(wait)
            except DB_UNAVAILABLE as exc:
                log.warning("mailbox: database unavailable (%s), retrying", type(exc).__name__)
                halt.wait(min(wait, 10.0))
            finally:
                self.source.close()

    def _up(self) -> None:
        if self.down_since is not None or self.believed is not SmtpState.UP:
            self._note(SmtpState.UP)
            self.down_since = None

    def _down(self, exc: BaseException) -> None:
        error = f"{type(exc).__name__}: {exc}"[:300]
        log.warning("mailbox unreachable (%s): %s", self.source.description, error)
        if self.down_since is None:
            self.down_since = self.app.now()
            self._note(SmtpState.DOWN, error)

    def _note(self, state: SmtpState, error: str = "") -> None:
        """The mailbox's row (for `/healthz` and the pages of any process) and, on a change,
        its event."""
        now = self.app.now()
        try:
            with transaction(self.app.engine) as session:
                change = note_mailbox(
                    session, source=self.source.description, state=state, now=now, error=error
                )
                if change.went_down:
                    message = f"Boîte de la coordination injoignable : {error}"
                    record_event(session, at=now, kind=EventKind.MAILBOX_DOWN, message=message)
                elif change.came_back:
                    message = "Boîte de la coordination de nouveau joignable"
                    record_event(session, at=now, kind=EventKind.MAILBOX_UP, message=message)
            self.believed = state
        except DB_UNAVAILABLE:
            log.warning("mailbox: could not record %s (database unavailable)", state)


async def run_mailbox(
    app: App, stop: asyncio.Event, *, make: Callable[[App], Source] = make_source
) -> None:
    """The daemon part. Without a mailbox configured it only waits for the stop."""
    if not app.settings.mailbox.configured:
        log.info("mailbox: none configured (mailbox.host or mailbox.maildir)")
        await stop.wait()
        return
    halt = threading.Event()
    poller = Poller(app, make(app))

    async def relay() -> None:
        await stop.wait()
        halt.set()

    relay_task = asyncio.create_task(relay())
    try:
        await asyncio.to_thread(poller.run, halt)
    finally:
        halt.set()
        relay_task.cancel()
