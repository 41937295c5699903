"""The demo's campaign keeps the order of a real one (pure: dates and plans)."""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter

import pytest

from daemon.demo.timeline import PARIS, Planner, at, calendar, campaign_dates

# a Monday morning, a Thursday afternoon, a Monday in the Toussaint holidays (zone B)
NOWS = [
    dt.datetime(2026, 11, 30, 9, 30, tzinfo=PARIS),
    dt.datetime(2026, 12, 3, 16, 0, tzinfo=PARIS),
    dt.datetime(2026, 10, 26, 11, 0, tzinfo=PARIS),
]


@pytest.mark.parametrize("now", NOWS, ids=lambda n: n.date().isoformat())
def test_the_campaign_dates_are_school_days_around_today(now: dt.datetime) -> None:
    cal, today = calendar(), now.date()
    dates = campaign_dates(today)
    for day in (dates.start, dates.observation_date, dates.deadline, *dates.history):
        assert cal.is_school_day(day), day
    assert dates.start == dates.history[0] < dates.observation_date < dates.history[-1]
    assert dates.history[-1] <= today < dates.deadline
    assert len(dates.history) == 17 and list(dates.history) == sorted(dates.history)


@pytest.mark.parametrize("now", NOWS, ids=lambda n: n.date().isoformat())
def test_every_plan_keeps_the_order_of_a_real_campaign(now: dt.datetime) -> None:
    dates = campaign_dates(now.date())
    planner = Planner(dates, now.astimezone(dt.UTC))
    plans = [planner.plan(random.Random(f"seed:{n}")) for n in range(400)]
    for plan in plans:
        moments = [*plan.exports, *(r.dropped for r in plan.reports)]
        moments += [plan.validated] if plan.validated else []
        assert all(m < now for m in moments)  # nothing after now
        assert all(at(dates.start, 0) <= m for m in moments)
        for export, report in zip(plan.exports, plan.reports, strict=False):
            assert export < report.submitted < report.processed < report.dropped
            assert report.processed.astimezone(PARIS).date() > export.astimezone(PARIS).date()
        if plan.validated is not None:
            assert plan.validated.astimezone(PARIS).date() >= dates.observation_date
            assert plan.validated > plan.reports[-1].dropped
            assert plan.reports[-1].errors == plan.reports[-1].pending == 0
        if plan.problem is not None:
            assert plan.scenario == "silent" and not plan.exports
    scenarios = Counter(p.scenario for p in plans)
    assert set(scenarios) == {
        "silent",
        "exported",
        "errors",
        "errors_fixed",
        "ine_missing",
        "ready",
        "validated",
    }


def test_activity_runs_up_to_today() -> None:
    now = NOWS[1]
    dates = campaign_dates(now.date())
    planner = Planner(dates, now.astimezone(dt.UTC))
    plans = [planner.plan(random.Random(f"seed:{n}")) for n in range(254)]
    days = Counter(
        m.astimezone(PARIS).date()
        for plan in plans
        for m in [*plan.exports, *(r.dropped for r in plan.reports), plan.validated]
        if m is not None
    )
    last_week = dates.history[-5:]
    assert all(days[day] >= 5 for day in last_week), {d: days[d] for d in last_week}
    assert sum(1 for p in plans if p.validated) >= 20
    assert any(p.problem for p in plans)
