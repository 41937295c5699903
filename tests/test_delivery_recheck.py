"""A mail that is no longer true is never sent: the sweep's rows checked again at the claim,
and a reminder that belongs to its day — replayed through the sweep and a real SMTP server
(aiosmtpd on loopback)."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from daemon.app import App
from daemon.delivery.recheck import DAY_OVER
from daemon.delivery.sender import send_due
from daemon.ingest.intake.intake import Intake
from daemon.reminders.sweep import sweep
from daemon.school.actions import declare_validated, snooze
from db.models import Campaign, Event, Reminder, School
from db.schools import set_active
from tests.archives import export_archive
from tests.conftest import make_settings
from tests.delivery_helpers import Clock
from tests.mailsink import MailSink
from tests.reminder_helpers import CAMPAIGN, CONTACTS, add, days, ledger, paris

D = dt.date
TICKS = (6, 7, 8, 10, 13, 17, 19)


def campaign_app(
    tmp_path: Path,
    database_url: str,
    engine: Engine,
    sink: MailSink,
    campaign: dict | None = None,
    **extra: dict,
) -> App:
    settings = make_settings(
        tmp_path,
        database_url,
        **extra,
        campaign=campaign or CAMPAIGN,
        contacts=CONTACTS,
        web={"secret_key": "clé-de-test", "base_url": "https://relance.example.org"},
        smtp=sink.smtp_settings(retry_base_seconds=1, retry_max_seconds=2),
    )
    return App(settings, clock=Clock(paris(D(2026, 10, 5), 6)), _engine=engine)


def at(app: App, moment: dt.datetime) -> None:
    app.clock.now = moment  # type: ignore[attr-defined]


def first_reminder_written(app: App) -> Reminder:
    """Sweep (without sending) tick after tick until the school's first reminder is written."""
    for day in days(D(2026, 10, 5), D(2026, 10, 30)):
        for hour in TICKS:
            at(app, paris(day, hour, 5))
            report = sweep(app, app.now())
            if any(p.kind == "reminder" for p in report.created):
                with Session(app.engine) as s:
                    return next(r for r in ledger(s, "reminder"))
    raise AssertionError("no reminder written")


def act(
    engine: Engine, school_id: int, action: Callable[[Session, School, Campaign], None]
) -> None:
    with Session(engine) as s:
        school = s.get(School, school_id)
        campaign = s.exec(select(Campaign)).one()
        assert school is not None
        action(s, school, campaign)
        s.commit()


def row(engine: Engine, row_id: int | None) -> Reminder:
    with Session(engine) as s:
        found = s.get(Reminder, row_id)
        assert found is not None
        return found


def validate(now: dt.datetime) -> Callable[[Session, School, Campaign], None]:
    def action(s: Session, school: School, campaign: Campaign) -> None:
        declare_validated(s, school=school, campaign=campaign, now=now, actor="directeur")

    return action


def pause(now: dt.datetime) -> Callable[[Session, School, Campaign], None]:
    def action(s: Session, school: School, campaign: Campaign) -> None:
        until = now + dt.timedelta(days=5)
        snooze(s, school=school, campaign=campaign, until=until, now=now, max_days=30, actor="x")

    return action


def deactivate(now: dt.datetime) -> Callable[[Session, School, Campaign], None]:
    def action(s: Session, school: School, _c: Campaign) -> None:
        set_active(s, now=now, school=school, active=False, actor="coordination")

    return action


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (validate, "constat validé"),
        (pause, "relances suspendues"),
        (deactivate, "école désactivée"),
    ],
)
def test_a_reminder_no_longer_true_when_claimed_is_cancelled_with_its_reason(
    tmp_path: Path,
    database_url: str,
    engine: Engine,
    session: Session,
    mailsink: MailSink,
    change: Callable[[dt.datetime], Callable[[Session, School, Campaign], None]],
    reason: str,
) -> None:
    """The director validates at 08:10, the reminder written at 08:05 is claimed at 08:15:
    it is cancelled, says why on the school's page, and nothing reaches the director."""
    app = campaign_app(tmp_path, database_url, engine, mailsink)
    school = add(session, 1, "École Saint-Joseph")
    assert school.id is not None
    written = first_reminder_written(app)
    act(engine, school.id, change(app.now() + dt.timedelta(minutes=5)))
    at(app, app.now() + dt.timedelta(minutes=10))
    asyncio.run(send_due(app))
    assert [m["To"] for m in mailsink.messages if "Relance" in str(m["Subject"])] == []
    assert school.director_email not in {m["To"] for m in mailsink.messages}
    cancelled = row(engine, written.id)
    assert cancelled.status == "cancelled" and reason in cancelled.last_error
    cancelled_events = select(Event).where(
        Event.kind == "reminder_cancelled", col(Event.school_id).is_not(None)
    )
    events = session.exec(cancelled_events).all()
    assert [e.school_id for e in events] == [school.id]
    assert reason in events[0].message


def test_a_stage_changed_since_the_sweep_cancels_the_reminder_of_the_old_stage(
    tmp_path: Path, database_url: str, engine: Engine, session: Session, mailsink: MailSink
) -> None:
    app = campaign_app(tmp_path, database_url, engine, mailsink)
    school = add(session, 1, "École Saint-Joseph")
    written = first_reminder_written(app)
    result = Intake(app).take_bytes(
        export_archive(uai=school.uai),
        filename=f"{school.uai}.zip",
        channel="page",
        now=app.now(),
        school_uai=school.uai,
    )
    assert result.outcome == "processed"
    asyncio.run(send_due(app))
    assert school.director_email not in {m["To"] for m in mailsink.messages}
    cancelled = row(engine, written.id)
    assert cancelled.status == "cancelled"
    assert "étape changée" in cancelled.last_error and "export attendu" in cancelled.last_error


def test_a_reminder_waiting_on_a_4xx_retry_is_checked_again_too(
    tmp_path: Path, database_url: str, engine: Engine, session: Session, mailsink: MailSink
) -> None:
    app = campaign_app(tmp_path, database_url, engine, mailsink)
    school = add(session, 1, "École Saint-Joseph")
    assert school.id is not None
    mailsink.refuse(school.director_email, 451)
    written = first_reminder_written(app)
    asyncio.run(send_due(app))
    assert row(engine, written.id).status == "pending"  # a 4xx: tried again later
    act(engine, school.id, validate(app.now()))
    mailsink.refused.clear()
    at(app, app.now() + dt.timedelta(minutes=30))
    asyncio.run(send_due(app))
    assert school.director_email not in {m["To"] for m in mailsink.messages}
    assert row(engine, written.id).status == "cancelled"


def replay(
    app: App,
    sink: MailSink,
    first: dt.date,
    last: dt.date,
    down: Callable[[dt.date], bool] = lambda _d: False,
) -> dict[dt.date, list[str]]:
    """The scheduler's ticks with the sender after each; what the server received each day."""
    received: dict[dt.date, list[str]] = {}
    for day in days(first, last):
        for hour in TICKS:
            if down(day) and sink.controller is not None:
                sink.stop()
            elif not down(day) and sink.controller is None:
                sink.start()
            at(app, paris(day, hour, 45 if hour == 7 else 5))
            before = len(sink.received)
            sweep(app, app.now())
            asyncio.run(send_due(app))
            received.setdefault(day, []).extend(
                str(r.message["To"]) for r in sink.received[before:]
            )
    return received


@pytest.mark.slow
def test_a_451_address_across_a_weekend_is_never_mailed_late_on_saturday(
    tmp_path: Path, database_url: str, engine: Engine, session: Session, mailsink: MailSink
) -> None:
    """A reminder refused 451 all Friday: retried inside Friday's window only, cancelled past
    it (« remplacé »), nothing on Saturday or Sunday, and at most one reminder on Monday."""
    daily = {"awaiting_export": {"first_after_days": 2, "interval_days": 1}}
    app = campaign_app(tmp_path, database_url, engine, mailsink, reminders=daily)
    school = add(session, 1, "École Saint-Joseph")
    first_reminder_written(app)
    written_day = app.clock.now.astimezone(paris(D(2026, 10, 5), 0).tzinfo).date()  # type: ignore[attr-defined]
    friday = next(
        d for d in days(written_day, written_day + dt.timedelta(days=14)) if d.weekday() == 4
    )
    replay(app, mailsink, written_day, friday - dt.timedelta(days=1))
    mailsink.refuse(school.director_email, 451)
    replay(app, mailsink, friday, friday)
    fridays = [r for r in ledger(session, "reminder") if r.day == friday]
    assert fridays, "no reminder on the Friday: the scenario tests nothing"
    mailsink.refused.clear()
    weekend = replay(app, mailsink, friday + dt.timedelta(days=1), friday + dt.timedelta(days=2))
    assert weekend == {friday + dt.timedelta(days=1): [], friday + dt.timedelta(days=2): []}
    monday = replay(app, mailsink, friday + dt.timedelta(days=3), friday + dt.timedelta(days=3))
    assert Counter(monday[friday + dt.timedelta(days=3)])[school.director_email] <= 1
    for reminder in fridays:
        stored = row(engine, reminder.id)
        assert stored.status == "cancelled" and stored.last_error == DAY_OVER
        assert stored.sent_at is None


@pytest.mark.slow
def test_after_a_three_day_outage_each_address_gets_one_reminder_and_each_coordinator_one_digest(
    tmp_path: Path, database_url: str, engine: Engine, session: Session, mailsink: MailSink
) -> None:
    app = campaign_app(tmp_path, database_url, engine, mailsink)
    for n in range(1, 4):
        add(session, n, f"École {n}")
    outage = {D(2026, 10, 13), D(2026, 10, 14), D(2026, 10, 15)}  # Tuesday to Thursday
    received = replay(app, mailsink, D(2026, 10, 5), D(2026, 10, 16), lambda d: d in outage)
    assert all(received[d] == [] for d in outage)
    back = Counter(received[D(2026, 10, 16)])
    assert back, "nothing was sent when the server came back"
    assert max(back.values()) == 1, back
    assert back[CONTACTS["coordinator_email"]] == 1
    during = [r for r in ledger(session) if r.day in outage and r.kind in {"reminder", "digest"}]
    assert {r.kind for r in during} == {"reminder", "digest"}
    assert all(r.status == "cancelled" for r in during), [(r.key, r.status) for r in during]


def test_mails_the_rate_would_push_past_the_window_end_wait_and_never_leave_late(
    tmp_path: Path, engine: Engine, mailsink: MailSink
) -> None:
    """Six mails of the day at one a second, the window closing two and a half seconds on:
    what would leave after it is cancelled (the next day's mail replaces it)."""
    from tests.delivery_helpers import add_reminders, rows, sending_app

    started = time.monotonic()
    base = dt.datetime(2026, 9, 14, 16, 0, tzinfo=dt.UTC)

    class Running(Clock):
        def __call__(self) -> dt.datetime:
            return base + dt.timedelta(seconds=time.monotonic() - started)

    keys = add_reminders(engine, 6, due=base)
    with Session(engine) as s:
        for stored in s.exec(select(Reminder).where(col(Reminder.key).in_(keys))):
            stored.send_before = base + dt.timedelta(seconds=2.5)
            s.add(stored)
        s.commit()
    app = sending_app(tmp_path, engine, mailsink, clock=Running(), rate_per_minute=60)
    asyncio.run(send_due(app))
    stored = rows(engine)
    sent = [k for k in keys if stored[k].status == "sent"]
    late = [k for k in keys if stored[k].status == "cancelled"]
    assert 1 <= len(sent) <= 4 and len(sent) + len(late) == 6, (sent, late)
    assert all(stored[k].sent_at <= base + dt.timedelta(seconds=2.5) for k in sent)  # type: ignore[operator]
    assert all(stored[k].last_error == DAY_OVER for k in late)
    assert len(mailsink.messages) == len(sent)


def test_a_link_revoked_between_sweep_and_send_never_goes_out(
    tmp_path: Path, database_url: str, engine: Engine, session: Session, mailsink: MailSink
) -> None:
    """« Renouveler le lien » after the sweep: the mail leaves with a link signed at sending
    time at the new version; a sender that cannot sign cancels it rather than send the old."""
    import re

    from daemon.delivery.sender import LINK_RENEWED
    from daemon.school.actions import renew_link
    from daemon.school.links import link_maker, read_token, secret_key

    app = campaign_app(tmp_path, database_url, engine, mailsink)
    school = add(session, 1, "École Saint-Joseph")
    assert school.id is not None
    written = first_reminder_written(app)
    old_url = written.payload["link"]["url"]
    assert old_url in written.payload["text"]

    def renew(s: Session, found: School, _c: Campaign) -> None:
        renew_link(s, school=found, now=app.now(), actor="coordination")

    act(engine, school.id, renew)
    at(app, app.now() + dt.timedelta(minutes=5))
    asyncio.run(send_due(app, links=link_maker(app.settings)))
    [mail] = [m for m in mailsink.messages if m["To"] == school.director_email]
    text = mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert old_url not in text and old_url not in mail.get_body(("html",)).get_content()  # type: ignore[union-attr]
    token = re.search(r"/ecole/([^\s<>\"]+)", text)
    assert token is not None
    key = secret_key(app.settings)
    link = read_token(key, token.group(1), max_age_days=30, now=app.now())
    assert (link.uai, link.version) == (school.uai, 2)
    assert row(engine, written.id).status == "sent"

    # the next day's reminder, revoked again, with a sender that cannot sign links
    later = first_reminder_after(app, written.day)
    act(engine, school.id, renew)
    asyncio.run(send_due(app))
    assert row(engine, later.id).status == "cancelled"
    assert row(engine, later.id).last_error == LINK_RENEWED
    assert len([m for m in mailsink.messages if m["To"] == school.director_email]) == 1


def first_reminder_after(app: App, day: dt.date) -> Reminder:
    for next_day in days(day + dt.timedelta(days=1), day + dt.timedelta(days=21)):
        for hour in TICKS:
            at(app, paris(next_day, hour, 5))
            if any(p.kind == "reminder" for p in sweep(app, app.now()).created):
                with Session(app.engine) as s:
                    return ledger(s, "reminder")[-1]
    raise AssertionError("no second reminder written")


def test_two_schools_with_one_director_get_one_mail_listing_both(
    tmp_path: Path, database_url: str, engine: Engine, session: Session, mailsink: MailSink
) -> None:
    """A director running two schools (same address) gets one reminder a day naming both,
    each with its next step and its own link; a third school elsewhere gets its own."""
    app = campaign_app(tmp_path, database_url, engine, mailsink)
    shared = "direction@groupe-scolaire.example.org"
    first = add(session, 1, "École Saint-Joseph", email=shared)
    second = add(session, 2, "École Sainte-Anne", email=shared)
    alone = add(session, 3, "École Notre-Dame")
    received = replay(app, mailsink, D(2026, 10, 5), D(2026, 10, 9))
    for day, addresses in received.items():
        counted = Counter(addresses)
        assert counted[shared] <= 1, (day, counted)
    [mail] = [m for m in mailsink.messages if m["To"] == shared]
    assert str(mail["Subject"]).startswith("Constat de rentrée : vos 2 écoles")
    text = mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    html = mail.get_body(("html",)).get_content()  # type: ignore[union-attr]
    for school in (first, second):
        assert f"École {school.name.split(' ', 1)[1]} ({school.uai})" in text
        assert school.uai in html
    assert text.count("/ecole/") >= 2 and text.count("À FAIRE MAINTENANT") == 2
    assert alone.director_email in {m["To"] for m in mailsink.messages}
    rows = [r for r in ledger(session, "reminder") if r.recipient == shared]
    assert {r.status for r in rows} == {"sent"} and len(rows) == 2
    assert len({r.message_id for r in rows}) == 1
