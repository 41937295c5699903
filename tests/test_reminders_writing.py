"""Writing a sweep's decisions: the ladder counts reminders delivered, not rows written —
replayed through the sweep and a real SMTP server (aiosmtpd on loopback)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from daemon.school.actions import snooze
from db.models import Event
from tests.mailsink import MailSink
from tests.reminder_helpers import CONTACTS, add, ledger, paris
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


def test_a_second_school_due_after_the_director_mail_left_waits_for_the_next_school_day(
    tmp_path: Path, database_url: str, engine: Engine, session: Session, mailsink: MailSink
) -> None:
    """Two schools run by one director: Saint-Joseph's reminder leaves Wednesday morning;
    Sainte-Anne's pause ends at noon and it becomes due that afternoon. No second mail the
    same day: it waits for Thursday (each reminder a day to that address, never two)."""
    daily = {"awaiting_export": {"first_after_days": 2, "interval_days": 1}}
    app = campaign_app(tmp_path, database_url, engine, mailsink, reminders=daily)
    shared = "direction@groupe-scolaire.example.org"
    add(session, 1, "École Saint-Joseph", email=shared)
    anne = add(session, 2, "École Sainte-Anne", email=shared)
    campaign = app.campaign(session, paris(D(2026, 10, 5), 6))
    snooze(
        session,
        school=anne,
        campaign=campaign,
        until=paris(D(2026, 10, 7), 12),
        now=paris(D(2026, 10, 5), 6),
        max_days=30,
        actor="t",
    )
    session.commit()
    received = replay(app, mailsink, D(2026, 10, 5), D(2026, 10, 9))
    per_day = {day: Counter(to)[shared] for day, to in received.items()}
    assert per_day[D(2026, 10, 7)] == 1, per_day
    assert all(count <= 1 for count in per_day.values()), per_day
    anne_days = [r.day for r in ledger(session, "reminder") if r.school_id == anne.id]
    assert anne_days and min(anne_days) == D(2026, 10, 8)
    session.rollback()
    waited = session.exec(
        select(Event).where(Event.school_id == anne.id, col(Event.message).contains("reportée"))
    ).all()
    assert waited, "the school's history says why it waited"


def test_an_escalation_not_delivered_on_its_day_is_superseded_by_the_next_one(
    tmp_path: Path, database_url: str, engine: Engine, session: Session, mailsink: MailSink
) -> None:
    """Daily reminders from Wednesday, the export support told after the third: Friday's
    escalation meets a server down all Friday. It is cancelled with its reason at the end of
    Friday's window, nothing leaves on the weekend, and Monday's third delivered reminder
    takes the step again: the support contact gets one mail, on Monday."""
    ladder = [{"after": 3, "notify": "support"}]
    daily = {"awaiting_export": {"first_after_days": 2, "interval_days": 1, "ladder": ladder}}
    app = campaign_app(tmp_path, database_url, engine, mailsink, reminders=daily)
    add(session, 1, "École Saint-Joseph")
    received = replay(app, mailsink, D(2026, 10, 5), D(2026, 10, 13), lambda d: d.day == 9)
    support = CONTACTS["export_support_email"]
    assert [d for d, to in received.items() for a in to if a == support] == [D(2026, 10, 12)]
    rows = ledger(session, "escalation")
    assert [(r.day, r.status) for r in rows] == [
        (D(2026, 10, 9), "cancelled"),
        (D(2026, 10, 12), "sent"),
    ]
    assert "fin de sa journée d'envoi" in rows[0].last_error
