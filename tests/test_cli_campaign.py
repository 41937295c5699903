"""`relance campaign new` and `relance campaign list`: a new school year opened while the last
one stays readable — replayed to the end of one campaign and into the next through the sweep,
the real sender and an SMTP server (aiosmtpd on loopback)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

from click.testing import CliRunner, Result
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from daemon.app import App
from daemon.cli import cli
from daemon.reminders.sweep import sweep
from db.models import Campaign, Event, FollowUp
from tests.mailsink import MailSink
from tests.reminder_helpers import CAMPAIGN, CONTACTS, add, ledger, paris
from tests.test_delivery_recheck import at, campaign_app, replay

D = dt.date
NEXT = ["2027-2028", "--start", "2027-09-01", "--observation", "2027-09-17"]
NEXT += ["--deadline", "2027-10-01"]


def run(app: App, *args: str) -> Result:
    """The command on the app's database and configuration."""
    env = {
        "RELANCE_DATABASE_URL": app.settings.effective_database_url,
        "RELANCE_STATE_DIR": str(app.settings.state_path),
        "RELANCE_CAMPAIGN__NAME": app.settings.campaign.name,
        "RELANCE_CAMPAIGN__START": app.settings.campaign.start.isoformat(),
        "RELANCE_CAMPAIGN__OBSERVATION_DATE": app.settings.campaign.observation_date.isoformat(),
        "RELANCE_CAMPAIGN__DEADLINE": app.settings.campaign.deadline.isoformat(),
    }
    return CliRunner().invoke(cli, ["campaign", *args], env=env)


def campaigns(session: Session) -> dict[str, Campaign]:
    session.rollback()  # a new transaction: what the other connections wrote since
    return {c.name: c for c in session.exec(select(Campaign))}


def opened(app: App) -> App:
    """The app with its configured campaign (2026-2027) opened in the database."""
    with Session(app.engine) as session:
        app.campaign(session, paris(D(2026, 10, 5), 8))
        session.commit()
    return app


def test_a_campaign_ends_then_the_next_school_year_is_opened_and_followed(
    tmp_path: Path, database_url: str, engine: Engine, session: Session, mailsink: MailSink
) -> None:
    """2026-2027 to its end (one final summary, then nothing), `relance campaign new 2027-2028`,
    and September 2027: the same school (same UAI) is chased afresh in the new campaign, with
    links of the new campaign; the old one is never swept again, its counts and history kept."""
    app = campaign_app(tmp_path, database_url, engine, mailsink, reminders={"stop_after_days": 3})
    school = add(session, 1, "École Saint-Joseph")
    replay(app, mailsink, D(2026, 11, 13), D(2026, 11, 18))
    old = campaigns(session)["2026-2027"]
    old_rows = {r.key: r.status for r in ledger(session)}
    assert sum("fin des relances" in str(m["Subject"]) for m in mailsink.messages) == 1
    at(app, paris(D(2027, 8, 20), 9))
    opened = run(app, "new", *NEXT)
    assert opened.exit_code == 0, opened.output
    assert "campagne 2027-2028 ouverte : début le 01/09/2027" in opened.output
    assert "1 école suivie, suivi repris à zéro" in opened.output
    assert "la campagne 2026-2027 est close" in opened.output
    before = len(mailsink.received)
    received = replay(app, mailsink, D(2027, 8, 31), D(2027, 9, 7))
    new = campaigns(session)["2027-2028"]
    assert new.active and not campaigns(session)["2026-2027"].active
    director = Counter(d for d, to in received.items() for a in to if a == school.director_email)
    assert director and min(director) >= D(2027, 9, 1) and max(director.values()) == 1
    mails = [r.message for r in mailsink.received[before:]]
    assert all("2026-2027" not in str(m["Subject"]) for m in mails)
    fresh = [r for r in ledger(session) if r.key not in old_rows]
    assert fresh and {r.campaign_id for r in fresh} == {new.id}
    assert {r.key: r.status for r in ledger(session) if r.key in old_rows} == old_rows
    reminder = next(r for r in fresh if r.kind == "reminder")
    assert reminder.payload["link"]["campaign"] == "2027-2028"
    assert reminder.day >= D(2027, 9, 1)
    follow_ups = session.exec(select(FollowUp).where(FollowUp.school_id == school.id)).all()
    assert {f.campaign_id for f in follow_ups} == {old.id, new.id}  # the old one kept
    closed = session.exec(
        select(Event).where(Event.campaign_id == old.id, col(Event.message).contains("close"))
    ).all()
    assert len(closed) == 1
    listed = run(app, "list")
    assert listed.exit_code == 0, listed.output
    assert "2027-2028  en cours" in listed.output and "2026-2027  close" in listed.output
    assert "2026-2027  close  début 05/10/2026, date limite 10/11/2026 : 1 école" in listed.output
    assert CONTACTS["coordinator_email"] in {a for to in received.values() for a in to}
    assert sweep(app, paris(D(2027, 9, 13), 10)).examined == 1  # the new campaign's school


def test_a_campaign_that_cannot_be_opened_says_why_in_french(
    tmp_path: Path, database_url: str, engine: Engine, mailsink: MailSink
) -> None:
    app = opened(campaign_app(tmp_path, database_url, engine, mailsink))
    same = run(
        app,
        "new",
        "2026-2027",
        "--start",
        "2027-09-01",
        "--observation",
        "2027-09-17",
        "--deadline",
        "2027-10-01",
    )
    assert same.exit_code == 1 and "la campagne 2026-2027 existe déjà" in same.output
    earlier = run(
        app,
        "new",
        "2025-2026",
        "--start",
        "2025-09-01",
        "--observation",
        "2025-09-17",
        "--deadline",
        "2025-10-01",
    )
    assert earlier.exit_code == 1
    assert "doit commencer après la campagne en cours 2026-2027" in earlier.output
    disorder = run(
        app,
        "new",
        "2027-2028",
        "--start",
        "2027-09-01",
        "--observation",
        "2027-08-17",
        "--deadline",
        "2027-10-01",
    )
    assert disorder.exit_code == 1
    assert "la date d'observation (17/08/2027) est avant le début de la campagne" in disorder.output
    with Session(engine) as session:
        assert list(campaigns(session)) == ["2026-2027"]


def test_the_daemon_restarted_on_the_old_configuration_keeps_the_new_campaign_dates(
    tmp_path: Path, database_url: str, engine: Engine, mailsink: MailSink
) -> None:
    """`relance.toml` still names 2026-2027 after `relance campaign new 2027-2028`: the daemon
    follows 2027-2028, and applying the configuration at its start changes only the settings
    of every year (here the retention), never the new campaign's dates."""
    app = opened(campaign_app(tmp_path, database_url, engine, mailsink))
    assert run(app, "new", *NEXT).exit_code == 0
    restarted = campaign_app(
        tmp_path, database_url, engine, mailsink, campaign={**CAMPAIGN, "retention_days": 200}
    )
    changed = restarted.apply_settings(paris(D(2027, 9, 1), 7), actor="serve")
    assert changed == ["retention_days"]
    with Session(engine) as session:
        followed = restarted.campaign(session, paris(D(2027, 9, 1), 7))
        assert followed.name == "2027-2028" and followed.retention_days == 200
        assert (followed.start, followed.deadline) == (D(2027, 9, 1), D(2027, 10, 1))
        assert campaigns(session)["2026-2027"].retention_days == 120


def test_naming_the_next_campaign_in_the_configuration_opens_it_too(
    tmp_path: Path, database_url: str, engine: Engine, mailsink: MailSink
) -> None:
    app = opened(campaign_app(tmp_path, database_url, engine, mailsink))
    dates = {"start": "2027-09-01", "observation_date": "2027-09-17", "deadline": "2027-10-01"}
    renamed = campaign_app(
        tmp_path, database_url, engine, mailsink, campaign={"name": "2027-2028", **dates}
    )
    with Session(engine) as session:
        assert renamed.campaign(session, paris(D(2027, 9, 1), 7)).name == "2027-2028"
        session.commit()
        assert app.campaign(session, paris(D(2027, 9, 1), 7)).name == "2027-2028"
        kept = campaigns(session)
    assert kept["2027-2028"].active and not kept["2026-2027"].active
