"""Writing a sweep's decisions: the ladder counts reminders delivered, not rows written —
replayed through the sweep and a real SMTP server (aiosmtpd on loopback)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from db.models import Event
from tests.mailsink import MailSink
from tests.reminder_helpers import add, ledger
from tests.test_delivery_recheck import campaign_app, replay

D = dt.date
LADDER = [{"after": 3, "notify": "coordinator"}]


def escalation_days(session: Session) -> list[dt.date]:
    session.rollback()
    query = select(Event).where(Event.kind == "escalated").order_by(col(Event.id))
    return [e.at.astimezone(dt.UTC).date() for e in session.exec(query)]


@pytest.mark.slow
def test_a_reminder_that_never_reached_the_director_is_not_counted_on_the_ladder(
    tmp_path: Path, database_url: str, engine: Engine, session: Session, mailsink: MailSink
) -> None:
    """Daily reminders from Wednesday; Thursday's never leaves (the server is down all day):
    the third reminder delivered is Monday's, and the coordinator is told then, not Friday."""
    daily = {"awaiting_export": {"first_after_days": 2, "interval_days": 1, "ladder": LADDER}}
    app = campaign_app(tmp_path, database_url, engine, mailsink, reminders=daily)
    add(session, 1, "École Saint-Joseph")
    received = replay(app, mailsink, D(2026, 10, 5), D(2026, 10, 12), lambda d: d.day == 8)
    director = [d for d, to in received.items() for a in to if a.startswith("ce.")]
    assert director == [D(2026, 10, 7), D(2026, 10, 9), D(2026, 10, 12)]
    thursday = [r for r in ledger(session, "reminder") if r.day == D(2026, 10, 8)]
    assert [r.status for r in thursday] == ["cancelled"]
    assert escalation_days(session) == [D(2026, 10, 12)]
