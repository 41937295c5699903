"""The mail server's state as the senders see it, shared through the database
(`db.health.note_smtp`): up, down since when, the last error, mails sent. `/healthz` and the
coordinators' pages of any process read the row; each change of state is an event.

A change is written at once (the server goes down, comes back); otherwise what a sender saw is
written every `NOTE_EVERY_SECONDS` at most, so that the sending loop does not pay a write per
batch.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections.abc import Sequence
from typing import Any

from sqlmodel import Session

from daemon.app import App
from daemon.config.settings import SmtpSettings
from daemon.delivery.outbox import Result
from db.engine import reading, transaction
from db.events import record_event
from db.health import SmtpChange, note_smtp, smtp_health
from db.models import SmtpHealth
from db.states import EventKind, SendOutcome, SmtpState

log = logging.getLogger(__name__)
NOTE_EVERY_SECONDS = 5.0
ANSWERED = (SendOutcome.SENT, SendOutcome.RETRY, SendOutcome.FAILED)  # the server is up


def server_name(smtp: SmtpSettings) -> str:
    """The row's name for the configured server."""
    return f"{smtp.host}:{smtp.port}"


def read_smtp_health(app: App) -> SmtpHealth:
    """The configured server as the senders last saw it (blank, state unknown, before any)."""
    with reading(app.engine) as session:
        found = smtp_health(session, server=server_name(app.settings.smtp))
        session.expunge_all()
    return found


def smtp_json(row: SmtpHealth) -> dict[str, Any]:
    """The server's state as `/healthz` shows it."""
    return {
        "state": row.state.value,
        "up": row.state is not SmtpState.DOWN,
        "since": row.since.isoformat() if row.since else None,
        "last_error": row.last_error,
        "last_sent_at": row.last_sent_at.isoformat() if row.last_sent_at else None,
        "sent": row.sent,
    }


class ServerWatch:
    """What one sender saw of the server since its last note, and the notes it writes."""

    def __init__(self, app: App, worker: str) -> None:
        self.app, self.worker = app, worker
        self.server = server_name(app.settings.smtp)
        self.believed = SmtpState.UNKNOWN  # as this sender last wrote it
        self.sent = 0  # sent since the last note
        self.last_sent_at: dt.datetime | None = None
        self.next_note = 0.0  # time.monotonic()

    async def note(self, results: Sequence[Result]) -> bool:
        """Take a batch's results into account; True when the server is down."""
        now = self.app.now()
        sent = sum(1 for r in results if r.outcome is SendOutcome.SENT)
        self.sent += sent
        if sent:
            self.last_sent_at = now
        refused = [r for r in results if r.outcome is SendOutcome.DEFERRED]
        if refused:
            await self._write(SmtpState.DOWN, now, refused[-1].error)
            return True
        answered = any(r.outcome in ANSWERED for r in results)
        due = self.believed is not SmtpState.UP or time.monotonic() >= self.next_note
        if answered and due:
            await self._write(SmtpState.UP, now)
        return False

    async def flush(self) -> None:
        """Write the mails sent since the last note (the sender stops)."""
        if self.sent and self.believed is SmtpState.UP:
            await self._write(SmtpState.UP, self.app.now())

    async def _write(self, state: SmtpState, now: dt.datetime, error: str = "") -> None:
        sent, last = self.sent, self.last_sent_at
        change = await asyncio.to_thread(self._write_row, state, now, error, sent, last)
        self.sent -= sent
        self.believed = state
        self.next_note = time.monotonic() + NOTE_EVERY_SECONDS
        if change.went_down or change.came_back:
            log.warning("sender: server %s (%s)", state.value, change.last_error)

    def _write_row(
        self,
        state: SmtpState,
        now: dt.datetime,
        error: str,
        sent: int,
        last_sent_at: dt.datetime | None,
    ) -> SmtpChange:
        with transaction(self.app.engine) as session:
            change = note_smtp(
                session,
                server=self.server,
                state=state,
                now=now,
                error=error,
                sent=sent,
                last_sent_at=last_sent_at,
            )
            if change.went_down:
                message = f"Serveur de messagerie injoignable : {change.last_error[:300]}"
                self._event(session, EventKind.SMTP_DOWN, message, change, now)
            elif change.came_back:
                message = "Serveur de messagerie de nouveau joignable"
                self._event(session, EventKind.SMTP_UP, message, change, now)
        return change

    def _event(
        self,
        session: Session,
        kind: EventKind,
        message: str,
        change: SmtpChange,
        now: dt.datetime,
    ) -> None:
        data = {"worker": self.worker, "error": change.last_error}
        record_event(session, at=now, kind=kind, message=message, data=data)
