"""« Prochaine relance » is the sweep's own decision: a campaign replayed tick by tick, the
reminder announced after each tick is the one the sweep then sends (pauses, validation, the
calendar, the holidays and the deadline included)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from daemon.ingest.intake.intake import Intake
from daemon.reminders.announce import announced
from daemon.reminders.sweep import campaign_context, sweep
from daemon.school.actions import declare_validated, snooze
from db.models import Campaign, FollowUp, Reminder, School
from db.states import LedgerKind
from tests.factories import cr_text
from tests.reminder_helpers import add, days, paris, reminder_app

D = dt.date
HOURS = (6, 7, 8, 10, 13, 17, 19)


def _sent(engine: Engine) -> Counter[int]:
    with Session(engine) as s:
        rows = s.exec(select(Reminder.school_id).where(Reminder.kind == LedgerKind.REMINDER))
        return Counter(school_id for school_id in rows.all() if school_id is not None)


def _announced(app, engine: Engine, now: dt.datetime) -> dict[int, dt.datetime | None]:  # type: ignore[no-untyped-def]
    with Session(engine) as s:
        campaign = s.exec(select(Campaign)).one()
        ctx = campaign_context(app, campaign)
        found = {}
        for school, follow_up in s.exec(
            select(School, FollowUp).join(FollowUp, FollowUp.school_id == School.id)  # type: ignore[arg-type]
        ):
            assert school.id is not None
            found[school.id] = announced(school, follow_up, ctx, now)
        return found


def _act(app, engine: Engine, day: D, schools: dict[str, School]) -> set[int]:  # type: ignore[no-untyped-def]
    """What directors do on some days; the schools whose evidence changed."""
    with Session(engine) as s:
        campaign = s.exec(select(Campaign)).one()
        if day == D(2026, 10, 6):
            snooze(
                s,
                school=s.get(School, schools["snoozer"].id),  # type: ignore[arg-type]
                campaign=campaign,
                until=paris(D(2026, 10, 14), 8),
                now=paris(day, 12),
                max_days=10,
                actor="directeur",
            )
            s.commit()
            return {schools["snoozer"].id}  # type: ignore[set-item]
        if day == D(2026, 10, 9):
            declare_validated(
                s,
                school=s.get(School, schools["fixer"].id),  # type: ignore[arg-type]
                campaign=campaign,
                now=paris(day, 11),
                actor="directeur",
            )
            s.commit()
            return {schools["fixer"].id}  # type: ignore[set-item]
    if day == D(2026, 10, 8):
        fixer = schools["fixer"]
        Intake(app).take_bytes(
            cr_text(fixer.uai, errors=2, pending=1),
            filename="cr.txt",
            channel="page",
            now=paris(day, 9, 30),
            school_uai=fixer.uai,
        )
        return {fixer.id}  # type: ignore[set-item]
    return set()


def test_every_tick_the_announced_next_reminder_is_the_one_the_sweep_sends(
    tmp_path: Path, database_url: str, engine: Engine, session: Session
) -> None:
    app = reminder_app(tmp_path, database_url, engine)
    schools = {
        "silent": add(session, 1, "École Saint-Joseph"),  # never exports
        "snoozer": add(session, 2, "École Sainte-Anne"),  # asks for a pause
        "fixer": add(session, 3, "École Notre-Dame"),  # errors, then validates
    }
    mute = add(session, 4, "École Sans-Adresse")
    mute.director_email = ""
    session.add(mute)
    session.commit()
    sweep(app, paris(D(2026, 10, 5), 5))  # opens the follow-ups
    announcements = _announced(app, engine, paris(D(2026, 10, 5), 5))
    previous_tick, before, checked = paris(D(2026, 10, 5), 5), _sent(engine), 0
    for day in days(D(2026, 10, 5), D(2026, 11, 13)):
        for hour in HOURS:
            tick = paris(day, hour, 45 if hour == 7 else 5)
            if hour == 10:  # the directors act in the morning, between two ticks
                for school_id in _act(app, engine, day, schools):
                    announcements.pop(school_id, None)  # announced before: could not know
            sweep(app, tick)
            after = _sent(engine)
            for school_id, expected in announcements.items():
                sent_now = after[school_id] > before[school_id]
                if sent_now:
                    assert expected is not None and previous_tick < expected <= tick, (
                        school_id,
                        tick,
                        expected,
                    )
                else:
                    assert expected is None or expected > tick, (school_id, tick, expected)
                checked += 1
            announcements = _announced(app, engine, tick)
            previous_tick, before = tick, after
    assert announcements[mute.id] is None  # type: ignore[index]
    assert after[mute.id] == 0  # type: ignore[index]
    assert sum(after.values()) >= 15 and checked > 1000
