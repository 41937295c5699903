"""The end of a campaign's reminders: none written past `reminders.stop_after_days` school days
after the deadline, one final summary to each coordinator, and an inactive or purged campaign
never swept — replayed through the sweep and a real SMTP server (aiosmtpd on loopback)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from daemon.reminders.sweep import sweep
from db.models import Campaign, FollowUp
from tests.mailsink import MailSink
from tests.reminder_helpers import CONTACTS, add, ledger, paris
from tests.test_delivery_recheck import campaign_app, replay

D = dt.date


@pytest.mark.slow
def test_reminders_stop_after_the_campaign_and_coordinators_get_one_final_summary(
    tmp_path: Path, database_url: str, engine: Engine, session: Session, mailsink: MailSink
) -> None:
    """Deadline Tuesday 10 November, reminders stop 3 school days after it (Thursday 12,
    Friday 13, Monday 16: the 11th is a holiday): nothing to the director from Tuesday 17, one
    summary naming the school still not validated, and no daily digest after it."""
    app = campaign_app(tmp_path, database_url, engine, mailsink, reminders={"stop_after_days": 3})
    school = add(session, 1, "École Saint-Joseph")
    received = replay(app, mailsink, D(2026, 11, 2), D(2026, 11, 20))
    director = sorted(d for d, to in received.items() if school.director_email in to)
    assert director and max(director) <= D(2026, 11, 16)
    assert all(r.day <= D(2026, 11, 16) for r in ledger(session, "reminder"))
    coordinator = CONTACTS["coordinator_email"]
    after = Counter(a for d, to in received.items() if d > D(2026, 11, 16) for a in to)
    assert after == Counter({coordinator: 1})
    [summary] = [m for m in mailsink.messages if "fin des relances" in str(m["Subject"])]
    assert "1 école non validée" in str(summary["Subject"])
    text = summary.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert f"École Saint-Joseph ({school.uai}, Nantes Nord) : Export attendu" in text
    assert "3 jours d'école après la date limite du mardi 10 novembre 2026" in text


def test_an_inactive_or_purged_campaign_is_never_swept(
    tmp_path: Path, database_url: str, engine: Engine, session: Session, mailsink: MailSink
) -> None:
    app = campaign_app(tmp_path, database_url, engine, mailsink)
    add(session, 1, "École Saint-Joseph")
    sweep(app, paris(D(2026, 10, 5), 6))
    campaign = session.exec(select(Campaign)).one()
    campaign.active = False
    campaign.purged_at = paris(D(2026, 10, 5), 6)
    session.add(campaign)
    for follow_up in session.exec(select(FollowUp)):
        session.delete(follow_up)
    session.commit()
    for day in (D(2026, 10, 7), D(2026, 10, 8), D(2026, 10, 12)):
        report = sweep(app, paris(day, 10))
        assert report.created == [] and report.examined == 0
    assert ledger(session) == []
    session.expire_all()
    assert session.exec(select(FollowUp)).all() == []  # no follow-up made again
