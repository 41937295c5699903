"""The sweep over a whole campaign, day by day: who gets what, when (ledger rows)."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import random
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

import daemon.reminders.calendar as calendar_module
import daemon.reminders.sweep as sweep_module
from daemon.app import App
from daemon.delivery.sender import send_due
from daemon.demo.generate import compte_rendu, make_pupils
from daemon.ingest.intake.intake import Intake
from daemon.reminders.due import DUE_FIELDS, decide
from daemon.reminders.sweep import campaign_context, decide_due, due_query, sweep
from daemon.school.actions import (
    ProblemCategory,
    declare_validated,
    report_problem,
    resend_now,
    snooze,
)
from db.models import Campaign, Event, FollowUp, Reminder, School
from tests.archives import export_archive
from tests.conftest import make_settings
from tests.delivery_helpers import Clock
from tests.factories import cr_text
from tests.mailsink import MailSink
from tests.reminder_helpers import (
    CAMPAIGN,
    CONTACTS,
    PARIS,
    add,
    days,
    ledger,
    paris,
    reminder_app,
    reminder_days,
    run_day,
    uai,
)

D = dt.date


def _campaign(session: Session) -> Campaign:
    return session.exec(select(Campaign)).one()


def test_a_whole_campaign_day_by_day_sends_on_school_days_only(
    tmp_path: Path, database_url: str, engine: Engine, session: Session
) -> None:
    app = reminder_app(tmp_path, database_url, engine)
    silent = add(session, 1, "École Saint-Joseph")  # never exports
    snoozer = add(session, 2, "École Sainte-Anne")  # asks for a pause
    fixer = add(session, 3, "École Notre-Dame")  # errors, then validates
    for day in days(D(2026, 10, 5), D(2026, 11, 13)):
        if day == D(2026, 10, 6):
            with Session(engine) as s:
                school = s.get(School, snoozer.id)
                assert school is not None
                snooze(
                    s,
                    school=school,
                    campaign=_campaign(s),
                    until=paris(D(2026, 10, 14), 8),
                    now=paris(day, 12),
                    max_days=10,
                    actor="directeur",
                )
                s.commit()
        if day == D(2026, 10, 8):
            result = Intake(app).take_bytes(
                cr_text(fixer.uai, errors=2, pending=1),
                filename="cr.txt",
                channel="page",
                now=paris(day, 9, 30),
                school_uai=fixer.uai,
            )
            assert result.outcome == "processed"
        if day == D(2026, 10, 9):
            with Session(engine) as s:
                school = s.get(School, fixer.id)
                assert school is not None
                declare_validated(
                    s, school=school, campaign=_campaign(s), now=paris(day, 11), actor="directeur"
                )
                s.commit()
        run_day(app, day)

    # Wed 7 (2 school days after the start), Mon 12, Thu 15 (coordinator told), Toussaint
    # (17 Oct – 1 Nov) skipped, Tue 3, Fri 6 (support told), then overdue from Thu 12 (the 11th
    # is a public holiday), every school day.
    assert reminder_days(session, silent.uai) == [
        D(2026, 10, 7),
        D(2026, 10, 12),
        D(2026, 10, 15),
        D(2026, 11, 3),
        D(2026, 11, 6),
        D(2026, 11, 12),
        D(2026, 11, 13),
    ]
    # Quiet until its date, then its own cadence.
    assert reminder_days(session, snoozer.uai) == [
        D(2026, 10, 14),
        D(2026, 11, 2),
        D(2026, 11, 5),
        D(2026, 11, 10),
        D(2026, 11, 12),
        D(2026, 11, 13),
    ]
    # The export reminder on the 7th, the errors the day the CR came, nothing once validated.
    assert reminder_days(session, fixer.uai) == [D(2026, 10, 7), D(2026, 10, 8)]
    stages = [(r.day, r.stage) for r in ledger(session, "reminder") if r.school_id == fixer.id]
    assert stages == [(D(2026, 10, 7), "awaiting_export"), (D(2026, 10, 8), "errors")]

    rows = ledger(session)
    assert all(r.status == "pending" for r in rows)
    assert all(r.day.weekday() < 5 for r in rows)
    assert not [r for r in rows if D(2026, 10, 17) <= r.day <= D(2026, 11, 1)]
    assert not [r for r in rows if r.day == D(2026, 11, 11)]
    per_school_day = Counter((r.school_id, r.day) for r in ledger(session, "reminder"))
    assert max(per_school_day.values()) == 1
    for row in ledger(session, "reminder"):
        local = row.due_at.astimezone(PARIS)
        assert local.date() == row.day and dt.time(8) <= local.time() < dt.time(18)

    digests = ledger(session, "digest")
    assert [d.day for d in digests] == sorted({d.day for d in digests})
    assert len(digests) == 19  # school days from 5 Oct to 13 Nov, holidays and the 11th excluded
    assert all(d.recipient == "coord@example.org" for d in digests)

    escalations = ledger(session, "escalation")
    assert [(e.day, e.recipient) for e in escalations if e.school_id == silent.id] == [
        (D(2026, 11, 6), "ange@example.org")
    ]
    told = session.exec(
        select(Event).where(Event.kind == "escalated", Event.school_id == silent.id)
    ).all()
    assert [e.at.date() for e in told] == [D(2026, 10, 15), D(2026, 11, 6), D(2026, 11, 12)]
    assert "Signalée à la coordination : 3 relances sans progrès" in told[0].message
    digest_after = next(d for d in digests if d.day == D(2026, 10, 16))
    assert f"({silent.uai}) : Signalée à la coordination" in digest_after.payload["text"]


def test_a_missed_reminder_is_sent_late_once_at_the_next_tick_inside_the_window(
    tmp_path: Path, database_url: str, engine: Engine, session: Session
) -> None:
    app = reminder_app(tmp_path, database_url, engine)
    school = add(session, 1, "École Saint-Joseph")
    sweep(app, paris(D(2026, 10, 5), 9))  # scheduled for Wed 7 at 08:00
    # The daemon is down all Wednesday; it comes back on Thursday at 06:00, before the window.
    assert not sweep(app, paris(D(2026, 10, 8), 6)).kinds("reminder")
    late = sweep(app, paris(D(2026, 10, 8), 8, 1))
    assert [p.uai for p in late.kinds("reminder")] == [school.uai]
    assert not sweep(app, paris(D(2026, 10, 8), 8, 2)).kinds("reminder")
    follow_up = session.exec(select(FollowUp)).one()
    session.refresh(follow_up)
    # The next one counts from the day it really left: three school days after Thursday.
    assert follow_up.next_reminder_at == paris(D(2026, 10, 13), 8)


def test_resend_now_sends_at_the_next_tick_but_never_twice_the_same_day(
    tmp_path: Path, database_url: str, engine: Engine, session: Session
) -> None:
    app = reminder_app(tmp_path, database_url, engine)
    school = add(session, 1, "École Saint-Joseph")
    sweep(app, paris(D(2026, 10, 5), 9))
    campaign = _campaign(session)
    resend_now(session, school=school, campaign=campaign, now=paris(D(2026, 10, 5), 10), actor="c")
    session.commit()
    assert len(sweep(app, paris(D(2026, 10, 5), 10, 1)).kinds("reminder")) == 1
    resend_now(session, school=school, campaign=campaign, now=paris(D(2026, 10, 5), 11), actor="c")
    session.commit()
    assert not sweep(app, paris(D(2026, 10, 5), 11, 1)).kinds("reminder")
    assert len(sweep(app, paris(D(2026, 10, 6), 8, 1)).kinds("reminder")) == 1


def test_nothing_is_sent_outside_the_window_or_when_nothing_is_due(
    tmp_path: Path, database_url: str, engine: Engine, session: Session
) -> None:
    app = reminder_app(tmp_path, database_url, engine)
    add(session, 1, "École Saint-Joseph")
    assert not sweep(app, paris(D(2026, 10, 5), 9)).kinds("reminder")  # first on the 7th
    assert not sweep(app, paris(D(2026, 10, 7), 7)).kinds("reminder")  # before the window
    assert sweep(app, paris(D(2026, 10, 7), 8)).kinds("reminder")
    assert sweep(app, paris(D(2026, 10, 7), 9)).examined == 0  # not due until Monday
    assert not sweep(app, paris(D(2026, 10, 12), 7, 59)).kinds("reminder")
    assert sweep(app, paris(D(2026, 10, 12), 8)).kinds("reminder")


def test_escalation_goes_to_the_contact_of_the_reported_problem(
    tmp_path: Path, database_url: str, engine: Engine, session: Session
) -> None:
    app = reminder_app(
        tmp_path,
        database_url,
        engine,
        reminders={
            "awaiting_export": {
                "first_after_days": 0,
                "interval_days": 1,
                "ladder": [{"after": 2, "notify": "support"}],
            }
        },
    )
    onde = add(session, 1, "École Saint-Joseph")
    export = add(session, 2, "École Sainte-Anne")
    sweep(app, paris(D(2026, 10, 5), 7))
    report_problem(
        session,
        school=onde,
        campaign=_campaign(session),
        category=ProblemCategory.ONDE,
        detail="Je n'ai pas reçu ma clé OTP",
        now=paris(D(2026, 10, 5), 7, 30),
        actor="directeur",
    )
    session.commit()
    sweep(app, paris(D(2026, 10, 5), 9))
    sweep(app, paris(D(2026, 10, 6), 9))
    sweep(app, paris(D(2026, 10, 7), 9))
    routed = {e.school_id: e.recipient for e in ledger(session, "escalation")}
    assert routed == {onde.id: "assistance-onde@example.org", export.id: "ange@example.org"}
    mail = next(e for e in ledger(session, "escalation") if e.school_id == onde.id)
    assert "Je n'ai pas reçu ma clé OTP" in mail.payload["text"]
    assert mail.day == D(2026, 10, 6)  # once: not again on the 7th
    assert len(ledger(session, "escalation")) == 2


def test_a_reminder_that_cannot_leave_is_not_counted_nor_escalated(
    tmp_path: Path, database_url: str, engine: Engine, session: Session
) -> None:
    """A failing address: the school never gets the reminders, so they count for nothing and
    reach no support desk (the digest lists the address for the coordinator)."""
    app = reminder_app(
        tmp_path,
        database_url,
        engine,
        reminders={
            "awaiting_export": {
                "first_after_days": 0,
                "interval_days": 1,
                "ladder": [
                    {"after": 1, "notify": "coordinator"},
                    {"after": 2, "notify": "support"},
                ],
            }
        },
    )
    failing = add(session, 1, "École Saint-Joseph")
    working = add(session, 2, "École Sainte-Anne")
    session.execute(
        update(School)
        .where(School.id == failing.id)  # type: ignore[arg-type]
        .values(email_failing_since=paris(D(2026, 10, 1), 9), email_failure="550 Refusé")
    )
    session.commit()
    for day in (D(2026, 10, 5), D(2026, 10, 6), D(2026, 10, 7)):
        report = sweep(app, paris(day, 9))
        assert report.skipped == [f"{failing.uai} : relance non préparée (adresse en échec)"]
    assert {e.school_id for e in ledger(session, "escalation")} == {working.id}
    assert not [r for r in ledger(session) if r.school_id == failing.id]
    follow_up = session.exec(select(FollowUp).where(FollowUp.school_id == failing.id)).one()
    session.refresh(follow_up)
    assert follow_up.reminders_without_progress == 0 and not follow_up.escalations_done
    assert not follow_up.escalated
    reached = session.exec(select(FollowUp).where(FollowUp.school_id == working.id)).one()
    session.refresh(reached)
    assert reached.escalated and reached.escalations_done == ["coordinator@1", "support@2"]
    escalated = session.exec(
        select(Event).where(Event.kind == "escalated").order_by(Event.id)  # type: ignore[arg-type]
    ).all()
    assert {e.school_id for e in escalated} == {working.id}
    assert escalated[0].message == (
        "Signalée à la coordination : 1 relance sans progrès (Export attendu)"
    )
    # The coordinator fixes the address: the next reminder leaves and is the first counted.
    session.execute(
        update(School)
        .where(School.id == failing.id)  # type: ignore[arg-type]
        .values(email_failing_since=None, email_failure="")
    )
    session.commit()
    fixed = sweep(app, paris(D(2026, 10, 8), 9)).kinds("reminder")
    assert sorted(p.uai for p in fixed) == [failing.uai, working.uai]
    session.refresh(follow_up)
    assert follow_up.reminders_without_progress == 1


def test_a_dry_run_writes_nothing(
    tmp_path: Path, database_url: str, engine: Engine, session: Session
) -> None:
    app = reminder_app(tmp_path, database_url, engine)
    add(session, 1, "École Saint-Joseph")
    sweep(app, paris(D(2026, 10, 5), 9))
    report = sweep(app, paris(D(2026, 10, 7), 9), dry_run=True)
    assert [p.uai for p in report.kinds("reminder")] == [uai(1)]
    assert not ledger(session, "reminder")
    assert len(sweep(app, paris(D(2026, 10, 7), 9)).kinds("reminder")) == 1


def test_a_new_compte_rendu_with_fewer_errors_restarts_the_count(
    tmp_path: Path, database_url: str, engine: Engine, session: Session
) -> None:
    app = reminder_app(tmp_path, database_url, engine)
    school = add(session, 1, "École Saint-Joseph")

    def drop(errors: int, day: int, now: dt.datetime) -> None:
        result = Intake(app).take_bytes(
            cr_text(school.uai, errors=errors, pending=0, day=day),
            filename=f"cr-{day}.txt",
            channel="page",
            now=now,
            school_uai=school.uai,
        )
        assert result.outcome == "processed"

    sweep(app, paris(D(2026, 10, 5), 7))
    drop(3, 15, paris(D(2026, 10, 5), 8))
    for day in (D(2026, 10, 5), D(2026, 10, 7)):
        assert sweep(app, paris(day, 9)).kinds("reminder")
    follow_up = session.exec(select(FollowUp)).one()
    session.refresh(follow_up)
    assert follow_up.reminders_without_progress == 2
    drop(1, 16, paris(D(2026, 10, 8), 8))
    report = sweep(app, paris(D(2026, 10, 9), 9))
    assert report.kinds("reminder") and not report.escalations  # would have been the 3rd
    session.rollback()  # leave the test's read snapshot
    session.refresh(follow_up)
    assert follow_up.reminders_without_progress == 1
    assert follow_up.last_progress_at == paris(D(2026, 10, 9), 9)
    kinds = [e.kind for e in session.exec(select(Event).where(Event.school_id == school.id))]
    assert "progress" in kinds


def test_the_sweep_decides_every_due_row_as_decide_does_alone(
    tmp_path: Path, database_url: str, engine: Engine, session: Session
) -> None:
    """The sweep shares one decision among the rows SQL puts in the same class: for follow-ups
    in every state and ticks in and out of the window, on days off and past the deadline, each
    row's decision is still exactly what `decide` answers for that row alone."""
    app = reminder_app(tmp_path, database_url, engine)
    for number in range(1, 61):
        add(session, number, f"École {number}")
    campaign = app.campaign(session, paris(D(2026, 10, 5), 7))
    session.commit()
    assert campaign.id is not None
    rng = random.Random(5)
    stages = ("awaiting_export", "exported", "errors", "awaiting_ine", "ready_to_validate")
    base = paris(D(2026, 10, 12), 8)

    def moment(chance: float) -> dt.datetime | None:
        if rng.random() > chance:
            return None
        return base + dt.timedelta(hours=rng.randint(-100, 150), minutes=rng.choice((0, 5, 30)))

    for follow_up in session.exec(select(FollowUp)).all():
        stage = rng.choice((*stages, "validated"))
        session.execute(
            update(FollowUp)
            .where(FollowUp.id == follow_up.id)  # type: ignore[arg-type]
            .values(
                stage=stage,
                stage_since=moment(0.9),
                ladder_stage=rng.choice((stage, stage, stage, "", "overdue", "errors")),
                reminders_without_progress=rng.randint(0, 3),
                next_reminder_at=moment(0.9),
                last_reminder_at=moment(0.7),
                snoozed_until=moment(0.2),
            )
        )
    session.commit()
    # school days, a Saturday, the Toussaint holidays, the deadline and past it
    day_numbers = (12, 14, 17, 19, 41, 43)  # counted from 1 October
    ticks = [
        paris(D(2026, 10, 1) + dt.timedelta(days=day - 1), hour, minute)
        for day in day_numbers
        for hour, minute in ((7, 59), (8, 0), (9, 30), (17, 59), (18, 0), (22, 0))
    ]
    shared_rows = 0
    for now in ticks:
        ctx = campaign_context(app, campaign)
        decided = decide_due(session, ctx, campaign.id, now)
        midnight = paris(ctx.calendar.local_day(now), 0)
        rows = session.connection().execute(due_query(campaign.id, now, midnight)).all()
        alone = campaign_context(app, campaign)
        assert decided == [(row.id, row.school_id, decide(row, alone, now)) for row in rows]
        shared_rows += len(decided) - len({id(d) for _f, _s, d in decided})
    assert shared_rows > 50  # the shared path was taken, and often


def test_the_due_query_gives_the_columns_in_the_order_the_decision_reads_them() -> None:
    query = due_query(1, paris(D(2026, 10, 12), 9), paris(D(2026, 10, 12), 0))
    assert tuple(c.name for c in query.selected_columns) == DUE_FIELDS


def cr_processed(school_uai: str, *, pending: int, at: dt.datetime) -> bytes:
    """A compte rendu without errors, treated by ONDE at `at` (after the school's export)."""
    rng = random.Random(school_uai)
    pupils = make_pupils(school_uai, {"CP": 12, "CE1": 10}, rng, 2026)
    submitted = at - dt.timedelta(hours=10)
    text = compte_rendu(
        school_uai,
        "École",
        pupils,
        submitted=submitted,
        processed=at,
        errors=0,
        pending=pending,
        rng=rng,
    )
    return text.encode()


@pytest.mark.slow
def test_a_month_of_campaign_delivered_to_a_real_smtp_server_day_by_day(
    tmp_path: Path, database_url: str, engine: Engine, session: Session, mailsink: MailSink
) -> None:
    """Five weeks (5 October – 13 November 2026: weekends, the Toussaint holidays of zone B,
    11 November) through the scheduler's ticks and the sender, with what the SMTP server
    received each day: who got what, when — a stage each, a refused address, the digest."""
    clock = Clock(paris(D(2026, 10, 5), 6))
    settings = make_settings(
        tmp_path,
        database_url,
        campaign=CAMPAIGN,
        contacts=CONTACTS,
        web={"secret_key": "clé-de-test", "base_url": "https://relance.example.org"},
        smtp=mailsink.smtp_settings(retry_base_seconds=1, retry_max_seconds=2),
    )
    app = App(settings, clock=clock, _engine=engine)
    exporter = add(session, 1, "École Saint-Joseph")  # exports, never drops its compte rendu
    finisher = add(session, 2, "École Sainte-Anne")  # INE missing, then ready, then validates
    bouncing = add(session, 3, "École Notre-Dame", email="inconnu@example.org")
    mailsink.refuse("inconnu@example.org", 550)
    names = {exporter.director_email: "exporter", finisher.director_email: "finisher"}

    def take(school: School, data: bytes, filename: str, at: dt.datetime) -> None:
        result = Intake(app).take_bytes(
            data, filename=filename, channel="page", now=at, school_uai=school.uai
        )
        assert result.outcome == "processed", result

    def validate(at: dt.datetime) -> None:
        with Session(engine) as s:
            school = s.get(School, finisher.id)
            assert school is not None
            declare_validated(s, school=school, campaign=_campaign(s), now=at, actor="directeur")
            s.commit()

    # What the schools do, at its time (between two ticks of the scheduler).
    actions: list[tuple[dt.datetime, Callable[[dt.datetime], None]]] = [
        (
            paris(D(2026, 10, 5), 9),
            lambda at: take(exporter, export_archive(uai=exporter.uai), f"{exporter.uai}.zip", at),
        ),
        (
            paris(D(2026, 10, 5), 9),
            lambda at: take(finisher, export_archive(uai=finisher.uai), f"{finisher.uai}.zip", at),
        ),
        (
            paris(D(2026, 10, 6), 9, 30),
            lambda at: take(
                finisher,
                cr_processed(finisher.uai, pending=2, at=dt.datetime(2026, 10, 6, 3, 10)),
                "cr-1.txt",
                at,
            ),
        ),
        (
            paris(D(2026, 10, 14), 9, 30),
            lambda at: take(
                finisher,
                cr_processed(finisher.uai, pending=0, at=dt.datetime(2026, 10, 14, 3, 10)),
                "cr-2.txt",
                at,
            ),
        ),
        (paris(D(2026, 11, 12), 12), validate),
    ]
    received: dict[str, list[tuple[dt.date, str]]] = {}
    for day in days(D(2026, 10, 5), D(2026, 11, 13)):
        before = len(mailsink.received)
        for hour in (6, 7, 8, 10, 13, 17, 19):  # the ticks; the sender runs after each
            clock.now = paris(day, hour, 45 if hour == 7 else 5)
            while actions and actions[0][0] <= clock.now:
                at, action = actions.pop(0)
                action(at)
            sweep(app, clock.now)
            asyncio.run(send_due(app))
        for mail in mailsink.received[before:]:
            subject = str(mail.message["Subject"]).split(" : ", 1)[1].split(" – ")[0]
            who = names.get(str(mail.message["To"]), str(mail.message["To"]))
            received.setdefault(who, []).append((day, subject))

    def on(*dates: tuple[int, int], subject: str) -> list[tuple[dt.date, str]]:
        return [(D(2026, month, number), subject) for month, number in dates]

    # Exported on the 5th, no compte rendu: two school days later, then every two school days
    # (the holidays skipped), until the deadline; then every school day, overdue (the 11th is a
    # public holiday).
    assert received["exporter"] == [
        *on(
            (10, 7),
            (10, 9),
            (10, 13),
            (10, 15),
            (11, 2),
            (11, 4),
            (11, 6),
            (11, 10),
            subject="compte rendu d'import attendu",
        ),
        *on((11, 12), (11, 13), subject="date limite dépassée"),
    ]
    # Two pupils without INE on the 6th: two school days later, then three; clean compte rendu
    # on the 14th: ready to validate from the observation date (Friday 16), every three school
    # days, then every day in the last three; overdue on the 12th and validated at noon: quiet.
    assert received["finisher"] == [
        *on((10, 8), (10, 13), subject="2 élèves sans INE"),
        *on((10, 16), (11, 4), (11, 9), (11, 10), subject="constat à valider"),
        *on((11, 12), subject="date limite dépassée"),
    ]
    # The refused address gets nothing, and is never tried again.
    assert "inconnu@example.org" not in received
    with Session(engine) as s:
        tries = s.exec(select(Reminder).where(Reminder.school_id == bouncing.id)).all()
        assert [(r.kind, r.day, r.status) for r in tries] == [
            ("reminder", D(2026, 10, 7), "failed")
        ]
        failing = s.get(School, bouncing.id)
        assert failing is not None and failing.email_failing_since is not None

    # The coordinator: one digest every school day at 07:45, none on a day off; the exporter's
    # third reminder without progress is in the next digest; the failing address too.
    digests = received.pop("coord@example.org")
    school_days = [d for d in days(D(2026, 10, 5), D(2026, 11, 13)) if d.weekday() < 5]
    school_days = [
        d for d in school_days if not D(2026, 10, 17) <= d <= D(2026, 11, 1) and d.day != 11
    ]
    assert [d for d, _s in digests] == school_days and len(school_days) == 19
    texts = {
        m.message["Subject"]: m.message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
        for m in mailsink.received
        if m.message["To"] == "coord@example.org"
    }
    on_the_14th = next(t for s, t in texts.items() if "mercredi 14 octobre 2026" in s)
    assert f"({exporter.uai}) : Signalée à la coordination : 3 relances sans progrès" in on_the_14th
    on_the_8th = next(t for s, t in texts.items() if "jeudi 8 octobre 2026" in s)
    assert "ADRESSES EN ÉCHEC" in on_the_8th and "inconnu@example.org" in on_the_8th
    on_the_13th = next(t for s, t in texts.items() if "vendredi 13 novembre 2026" in s)
    assert "2026-2027 : 1 école validée sur 3." in on_the_13th
    # The support contact, once: the exporter's fifth reminder without progress (2 November),
    # to the ONDE assistance (its next step is reading the compte rendu in ONDE); the refused
    # address is nobody's support case.
    assert received == {
        "exporter": received["exporter"],
        "finisher": received["finisher"],
        "assistance-onde@example.org": [
            (D(2026, 11, 2), f"École Saint-Joseph ({exporter.uai}) a besoin d'aide")
        ],
    }


def test_a_campaign_past_the_shipped_holiday_data_is_logged_once(
    tmp_path: Path, database_url: str, engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    later = {
        "name": "2030-2031",
        "start": "2030-09-02",
        "observation_date": "2030-09-13",
        "deadline": "2030-10-15",
    }
    settings = make_settings(tmp_path, database_url, campaign=later, contacts=CONTACTS)
    app = App(settings, clock=lambda: paris(D(2030, 9, 2), 7), _engine=engine)
    with caplog.at_level(logging.WARNING, logger="daemon.reminders.sweep"):
        sweep(app, paris(D(2030, 9, 2), 9))
        sweep(app, paris(D(2030, 9, 2), 10))
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert warnings[0].startswith("campaign 2030-2031: les vacances scolaires ne sont connues")


def test_the_holiday_data_is_loaded_before_the_sweep_takes_the_write_lock(
    tmp_path: Path, database_url: str, engine: Engine, session: Session
) -> None:
    """The first sweep of a process loads the shipped school-holiday data (a second of CPU on
    a small server) before its first write transaction, not while holding the write lock that
    the sender and the intake wait for on SQLite."""
    app = reminder_app(tmp_path, database_url, engine)
    add(session, 1, "École Saint-Joseph")
    calendar_module._school_holidays.cache_clear()
    calendar_module.school_holidays_known_until.cache_clear()
    sweep_module._warn_holiday_gap.cache_clear()
    loaded: list[int] = []  # the data loaded (1) or not (0) when each write transaction began

    def begin(conn: Any) -> None:
        if conn.get_execution_options().get("write", False):
            loaded.append(calendar_module._school_holidays.cache_info().currsize)

    event.listen(engine, "begin", begin)
    try:
        report = sweep(app, paris(D(2026, 10, 7), 9))
    finally:
        event.remove(engine, "begin", begin)
    assert report.created and loaded and loaded[0] == 1, loaded
