"""The sender: the long-running part that claims due ledger rows, sends them and marks them.

Each pass claims a batch (oldest due first) and sends it over `smtp.concurrency` kept-open
connections under a per-minute rate limit. A connection takes its next mail only once the
outcome of its previous one is written (the outcomes of all connections are written together, a
group commit): a crash can leave at most `smtp.concurrency` mails sent but not marked, which the
next sender resends with the same Message-ID. While the database is locked or unreachable the
outcomes wait in memory and are written when it is back; nothing more is sent meanwhile. When
the server is unusable (refused, timeout, 421…) the rows in hand go back to the queue in order
and the sender waits with exponential backoff and jitter before trying again, so nothing is lost
and everything leaves in due order once it is back. On stop, the mails being sent are finished
and the rows not yet started are released.

What the sender sees of the SMTP server (up, down since when, last error) is written to the
database (`daemon.delivery.health`) for `/healthz` and the pages of any process; each change of
state is an event.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from sqlalchemy.engine import Connection as DbConnection

from daemon.app import App
from daemon.delivery.grouping import combined, groups
from daemon.delivery.health import ServerWatch, server_name
from daemon.delivery.message import render_message
from daemon.delivery.outbox import (
    Claimed,
    Result,
    backoff_seconds,
    claim_due,
    record_results,
    record_sent,
    release,
)
from daemon.delivery.recheck import DAY_OVER
from daemon.delivery.smtp import Answer, Connection
from db.engine import DB_UNAVAILABLE, make_quick_engine, transaction
from db.pace import reserve
from db.states import SendOutcome

log = logging.getLogger(__name__)
POLL_SECONDS = 2.0


class SharedPace:
    """At most `rate_per_minute` per minute for the whole installation, spread out: sending
    moments are reserved in the database (`db.pace`) a second's worth at a time, and each mail
    waits for its moment. Should the database be away, the moments are this process's own."""

    def __init__(self, app: App, server: str, rate_per_minute: int) -> None:
        self.app, self.server = app, server
        self.interval = 60 / rate_per_minute
        self.burst = max(1, math.ceil(rate_per_minute / 60))
        self.moments: deque[float] = deque()  # reserved, real time (epoch seconds)
        self.lock = asyncio.Lock()

    async def __aenter__(self) -> None:
        async with self.lock:
            now = time.time()
            while self.moments and self.moments[0] < now - self.interval:
                self.moments.popleft()  # reserved but left unused: too late to use now
            if not self.moments:
                start = await asyncio.to_thread(self._reserve)
                self.moments.extend(start + n * self.interval for n in range(self.burst))
            moment = self.moments.popleft()
        delay = moment - time.time()
        if delay > 0:
            await asyncio.sleep(delay)

    async def __aexit__(self, *_exc: object) -> None:
        return None

    def _reserve(self) -> float:
        now = dt.datetime.now(dt.UTC)
        try:
            with transaction(self.app.engine) as session:
                start = reserve(
                    session, server=self.server, count=self.burst, interval=self.interval, now=now
                )
        except DB_UNAVAILABLE:
            start = now
        return start.timestamp()


class Recorder:
    """Group commit of outcomes: `record` returns once the outcome is in the database.

    Outcomes arriving while a write is under way are written together by the next one. A
    database error (locked, unreachable) is retried with backoff until it succeeds: the outcome
    of a mail already accepted by the SMTP server must not be lost."""

    def __init__(self, app: App) -> None:
        self.app = app
        # Short writes straight from the event loop (a thread hand-off per group costs a
        # quarter of the throughput); the quick engine gives up fast on a lock and the write
        # is then retried from a thread that may wait.
        self.quick = make_quick_engine(app.engine.url.render_as_string(hide_password=False))
        self.connection: DbConnection | None = None
        self.pending: list[tuple[Result, asyncio.Future[None]]] = []
        self.writer: asyncio.Task[None] | None = None
        self.waits = 0

    async def record(self, result: Result) -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.pending.append((result, future))
        if self.writer is None or self.writer.done():
            self.writer = asyncio.create_task(self._write())
        await future

    async def _write(self) -> None:
        while self.pending:
            batch, self.pending = self.pending, []
            try:
                await self._write_batch([r for r, _f in batch])
            except BaseException as exc:
                for _r, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                raise
            for _r, future in batch:
                if not future.done():
                    future.set_result(None)

    async def _write_batch(self, results: list[Result]) -> None:
        smtp = self.app.settings.smtp
        retry = {"base": smtp.retry_base_seconds, "cap": smtp.retry_max_seconds}
        if all(r.outcome is SendOutcome.SENT for r in results):  # the hot path, from the loop
            try:
                record_sent(self._connection(), results)
                return
            except DB_UNAVAILABLE:
                self._drop_connection()  # locked or unreachable: wait from a thread instead
        delay = 0.2
        while True:
            try:
                await asyncio.to_thread(record_results, self.app.engine, results, **retry)
                return
            except DB_UNAVAILABLE as exc:
                self.waits += 1
                log.warning(
                    "sender: database unavailable while recording %d outcomes (%s), retrying",
                    len(results),
                    type(exc).__name__,
                )
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)

    def _connection(self) -> DbConnection:
        if self.connection is None or self.connection.closed:
            self.connection = self.quick.connect().execution_options(isolation_level="AUTOCOMMIT")
        return self.connection

    def _drop_connection(self) -> None:
        if self.connection is not None:
            with contextlib.suppress(Exception):
                self.connection.invalidate()
                self.connection.close()
            self.connection = None

    def close(self) -> None:
        self._drop_connection()
        self.quick.dispose()


LinkMaker = Callable[[str, str, int, dt.datetime], str]  # (uai, campaign, version, now) -> url
LINK_RENEWED = "lien de l'école renouvelé depuis la préparation du mail"


def with_fresh_link(
    payload: dict[str, Any], version: int | None, links: LinkMaker | None, now: dt.datetime
) -> dict[str, Any] | None:
    """The payload with its director's link signed now, at the school's current link version
    (a link revoked since the sweep never leaves). None when it cannot be signed here and the
    one written is revoked."""
    link = payload.get("link")
    if not isinstance(link, dict) or version is None:
        return payload
    if links is None:
        return payload if link.get("version") == version else None
    old = str(link["url"])
    new = links(str(link["uai"]), str(link["campaign"]), version, now)
    fresh = {k: v.replace(old, new) if k in ("text", "html") else v for k, v in payload.items()}
    fresh["link"] = {**link, "url": new, "version": version}
    return fresh


class Sender:
    def __init__(
        self, app: App, *, worker: str | None = None, links: LinkMaker | None = None
    ) -> None:
        self.app = app
        self.links = links
        self.smtp = app.settings.smtp
        self.worker = worker or app.instance
        self.limiter = SharedPace(app, server_name(self.smtp), self.smtp.rate_per_minute)
        self.connections = [Connection(self.smtp) for _ in range(self.smtp.concurrency)]
        self.watch = ServerWatch(app, self.worker)
        self.recorder = Recorder(app)

    @property
    def batch_size(self) -> int:
        # Two batches are claimed at once (pipelining): together they must go out in one lease.
        by_rate = max(1, self.smtp.rate_per_minute * self.smtp.lease_seconds // 240)
        return max(1, min(max(50, self.smtp.concurrency * 16), by_rate))

    async def _claim(self) -> list[Claimed]:
        return await asyncio.to_thread(
            claim_due,
            self.app.engine,
            worker=self.worker,
            now=self.app.now(),
            limit=self.batch_size,
            lease_seconds=self.smtp.lease_seconds,
        )

    async def _record(self, results: list[Result]) -> None:
        await asyncio.to_thread(
            record_results,
            self.app.engine,
            results,
            base=self.smtp.retry_base_seconds,
            cap=self.smtp.retry_max_seconds,
        )

    async def drain(self, stop: asyncio.Event | None = None) -> tuple[int, bool]:
        """Send batches back to back until nothing is due, the server is down or `stop`.
        Pipelined: while a batch is sent, the next one is claimed.
        Returns (rows handled, server down)."""
        stop = stop or asyncio.Event()
        total, down = 0, False
        claims = await self._claim()
        recording: asyncio.Task[None] | None = None
        while claims:
            started = time.monotonic()
            following = asyncio.create_task(self._claim())
            results = await self._send_batch(claims, stop)
            if recording is not None:
                await recording
            # Sent, retried and failed rows are written as they happen; here only the rows
            # given back unattempted (server down, stop).
            released = [r for r in results if r.outcome is SendOutcome.RELEASED]
            recording = asyncio.create_task(self._record(released))
            down = await self.watch.note(results)
            total += len(claims)
            self._log(results, time.monotonic() - started)
            claims = await following
            if down or stop.is_set():
                await asyncio.to_thread(release, self.app.engine, claims)
                break
        if recording is not None:
            await recording
        return total, down

    @staticmethod
    def _log(results: list[Result], seconds: float) -> None:
        counts: dict[str, int] = {}
        for result in results:
            counts[result.outcome] = counts.get(result.outcome, 0) + 1
        log.info("sender: batch of %d, %s in %.2fs", len(results), counts, seconds)

    async def _send_batch(self, claims: list[Claimed], stop: asyncio.Event) -> list[Result]:
        results: list[Result] = []
        halt = asyncio.Event()

        queue = deque(groups(claims))  # one mail per address per day

        async def work(connection: Connection) -> None:
            while queue and not stop.is_set() and not halt.is_set():
                unit = queue.popleft()
                if any(self._lease_over(claim) for claim in unit):
                    # Held too long (the database was away, the server slow): another pass
                    # may have claimed it again. Never send it from here; it goes back.
                    now = self.app.now()
                    results.extend(Result(c, SendOutcome.RELEASED, at=now) for c in unit)
                    continue
                async with self.limiter:
                    done = await self._send_unit(connection, unit)
                # before this connection's next mail
                await asyncio.gather(*(self.recorder.record(r) for r in done))
                results.extend(done)
                if any(r.outcome is SendOutcome.DEFERRED for r in done):
                    halt.set()

        workers = self.connections[: min(len(self.connections), len(queue))]
        await asyncio.gather(*(work(c) for c in workers))
        now = self.app.now()
        results.extend(Result(c, SendOutcome.RELEASED, at=now) for unit in queue for c in unit)
        return results

    def _day_over(self, claim: Claimed) -> bool:
        return claim.send_before is not None and self.app.now() >= claim.send_before

    def _lease_over(self, claim: Claimed) -> bool:
        if claim.lease_until is None:
            return False
        margin = dt.timedelta(seconds=min(5.0, self.smtp.lease_seconds / 10))
        return self.app.now() >= claim.lease_until - margin

    def _prepared(self, claim: Claimed, now: dt.datetime) -> dict[str, Any] | Result:
        """What the mail says as it leaves (its link signed now), or why it does not leave."""
        if self._day_over(claim):  # the rate pushed it past its window's end
            return Result(claim, SendOutcome.CANCELLED, DAY_OVER, at=now)
        payload = with_fresh_link(claim.payload, claim.link_version, self.links, now)
        if payload is None:
            return Result(claim, SendOutcome.CANCELLED, LINK_RENEWED, at=now)
        return payload

    async def _send_unit(self, connection: Connection, unit: list[Claimed]) -> list[Result]:
        """One mail for a claim, or for the reminders of one address and day together."""
        now = self.app.now()
        results: list[Result] = []
        leaving: list[tuple[Claimed, dict[str, Any]]] = []
        for claim in unit:
            prepared = self._prepared(claim, now)
            if isinstance(prepared, Result):
                results.append(prepared)
            else:
                leaving.append((claim, prepared))
        if len(leaving) == 1:
            results.append(await self._send_one(connection, *leaving[0]))
        elif leaving:
            payload = combined([p for _c, p in leaving])
            sent = await self._send_one(connection, leaving[0][0], payload)
            results.extend(replace(sent, claim=c) for c, _p in leaving)
        return results

    async def _send_one(
        self, connection: Connection, claim: Claimed, payload: dict[str, Any]
    ) -> Result:
        now = self.app.now()
        mail = render_message(
            key=claim.key,
            recipient=claim.recipient,
            cc=claim.cc,
            payload=payload,
            settings=self.app.settings,
            now=now,
        )
        try:
            answer = await connection.send(mail)
        except Exception as exc:  # never let one mail stop the part
            log.exception("sender: unexpected error on %s", claim.key)
            answer = Answer(SendOutcome.DEFERRED, f"{type(exc).__name__}: {exc}")
        if answer.outcome is not SendOutcome.SENT:
            log.warning("sender: %s → %s (%s)", claim.key, answer.outcome, answer.error)
        return Result(
            claim, answer.outcome, error=answer.error, message_id=mail.message_id, at=self.app.now()
        )

    async def close(self) -> None:
        with contextlib.suppress(*DB_UNAVAILABLE):
            await self.watch.flush()
        await asyncio.gather(*(c.close() for c in self.connections), return_exceptions=True)
        self.recorder.close()


async def send_due(
    app: App, *, stop: asyncio.Event | None = None, links: LinkMaker | None = None
) -> int:
    """Send what is due now, once (`relance outbox --send`): stops when nothing is left due or
    the server is down. Returns the number of rows handled (`links`: signs the directors'
    links as the mails leave)."""
    sender = Sender(app, links=links)
    try:
        total, _down = await sender.drain(stop)
        return total
    finally:
        await sender.close()


async def run_sender(
    app: App,
    stop: asyncio.Event,
    *,
    poll_seconds: float = POLL_SECONDS,
    links: LinkMaker | None = None,
) -> None:
    """The daemon part: claim, send, mark until `stop`; back off while the server is down."""
    sender = Sender(app, links=links)
    failures = 0
    try:
        while not stop.is_set():
            _handled, down = await sender.drain(stop)
            if down:
                failures += 1
                wait = backoff_seconds(
                    failures,
                    base=app.settings.smtp.retry_base_seconds,
                    cap=app.settings.smtp.retry_max_seconds,
                )
            else:
                failures = 0
                wait = poll_seconds
            if wait:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=wait)
    finally:
        await sender.close()
