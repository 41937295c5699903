"""When things happen in the demo's campaign, as they would in a real one (pure: no database).

The campaign's dates are school days of zone B around today: it started 16 school days ago,
its observation date was two school days ago, its deadline is 8 school days ahead. Each school
gets a plan — when it exported, when it dropped each compte rendu, when it validated — that
keeps the order of the real thing: a compte rendu comes the school day after the export it
reports on (ONDE reads the archive overnight) and is dropped after it; a fixed export follows
the compte rendu that showed the errors; nobody validates before the observation date; nothing
happens after `now`. Activity runs up to today.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from daemon.reminders.calendar import SchoolCalendar

PARIS = ZoneInfo("Europe/Paris")
HISTORY_DAYS = 17  # school days of the campaign so far, today included
OBSERVATION_AGO = 2  # school days between the observation date and today
DEADLINE_AHEAD = 8  # school days between today and the deadline
# How far each school got, with the share of schools.
SCENARIOS = (
    ("silent", 0.09),  # never exported: reminded again and again, escalated
    ("exported", 0.13),  # exported, no compte rendu dropped yet
    ("errors", 0.21),  # the compte rendu shows errors still open
    ("errors_fixed", 0.12),  # errors fixed by a new export: pupils now waiting for an INE
    ("ine_missing", 0.13),  # pupils waiting for an INE
    ("ready", 0.14),  # everything integrated: to validate
    ("validated", 0.18),  # validated since the observation date
)


@dataclass(frozen=True)
class Dates:
    start: dt.date
    observation_date: dt.date
    deadline: dt.date
    history: tuple[dt.date, ...]  # the campaign's school days up to today


@dataclass(frozen=True)
class Report:
    """A compte rendu: the export it reports on, ONDE's overnight run, and its drop."""

    submitted: dt.datetime  # the archive's upload in ONDE (« Déposé le »)
    processed: dt.datetime  # ONDE's run (« Traité le »)
    dropped: dt.datetime  # when the director gives it to relance
    errors: int
    pending: int


# What a director stuck before exporting writes on the school's page (« J'ai un problème »).
PROBLEMS = (
    ("onde", "Je n'ai toujours pas reçu ma clé OTP : impossible d'ouvrir ONDE."),
    ("onde", "Le menu « Accès directeur » n'apparaît pas dans ONDE depuis mon arrivée."),
    ("export", "L'export depuis Ange s'arrête sur une erreur de test de cohérence."),
)
PROBLEM_SHARE = 0.3  # of the schools that never exported


@dataclass(frozen=True)
class Problem:
    at: dt.datetime
    category: str
    detail: str


@dataclass
class Plan:
    scenario: str
    exports: list[dt.datetime] = field(default_factory=list)
    reports: list[Report] = field(default_factory=list)
    validated: dt.datetime | None = None
    problem: Problem | None = None


def calendar() -> SchoolCalendar:
    return SchoolCalendar(PARIS, "B", dt.time(8), dt.time(18))


def campaign_dates(today: dt.date) -> Dates:
    """The demo campaign's dates around `today`, all of them school days."""
    cal = calendar()
    history: list[dt.date] = []
    day = today
    while len(history) < HISTORY_DAYS:
        if cal.is_school_day(day):
            history.append(day)
        day -= dt.timedelta(days=1)
    history.reverse()
    last = history[-1]
    return Dates(
        start=history[0],
        observation_date=history[-1 - OBSERVATION_AGO],
        deadline=cal.add_school_days(last, DEADLINE_AHEAD),
        history=tuple(history),
    )


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), PARIS).astimezone(dt.UTC)


def choose(rng: random.Random) -> str:
    roll, total = rng.random(), 0.0
    for name, share in SCENARIOS:
        total += share
        if roll < total:
            return name
    return SCENARIOS[-1][0]


class Planner:
    """Plans for one campaign, seen at `now` (nothing is planned past it)."""

    def __init__(self, dates: Dates, now: dt.datetime) -> None:
        self.dates, self.now, self.cal = dates, now, calendar()
        self.days = dates.history

    def plan(self, rng: random.Random) -> Plan:
        plan = Plan(choose(rng))
        if plan.scenario == "silent":
            self._problem(plan, rng)
            return plan
        last = len(self.days) - 1
        if plan.scenario == "exported":  # some long ago and forgotten, some yesterday
            self._export(plan, rng, rng.choice([rng.randrange(0, last - 4), last - 1, last]))
            return plan
        self._export(plan, rng, int(rng.triangular(0, last - 1, 3)))  # most early, some late
        errors = rng.randint(1, 6) if plan.scenario in ("errors", "errors_fixed") else 0
        pending = rng.randint(1, 5) if plan.scenario in ("errors", "ine_missing") else 0
        self._report(plan, rng, errors, pending)
        if plan.scenario == "errors_fixed":
            fixed_day = self._day_of(plan.reports[-1].dropped) + rng.randint(0, 2)
            self._export(plan, rng, fixed_day, after=plan.reports[-1].dropped)
            self._report(plan, rng, 0, rng.randint(1, 4))
        if plan.scenario == "validated":
            self._validate(plan, rng)
        return plan

    # ---- steps ------------------------------------------------------------------------------
    def _export(
        self, plan: Plan, rng: random.Random, index: int, after: dt.datetime | None = None
    ) -> None:
        day = self.days[min(max(index, 0), len(self.days) - 1)]
        moment = self._during(day, rng, after)
        if moment is not None:
            plan.exports.append(moment)

    def _report(self, plan: Plan, rng: random.Random, errors: int, pending: int) -> None:
        """The compte rendu of the last export: ONDE's night run, then a drop one to three
        school days later (never before the morning after the export)."""
        if not plan.exports or len(plan.reports) >= len(plan.exports):
            return
        exported = plan.exports[-1]
        night = self.cal.next_school_day(self._local_day(exported), include=False)
        processed = at(night, 3, rng.randrange(0, 50))
        drop_day = self.cal.add_school_days(night, rng.choice((0, 0, 0, 1, 2)))
        dropped = self._during(drop_day, rng, None)
        if dropped is None:
            return
        submitted = exported + dt.timedelta(minutes=rng.randint(2, 25))
        plan.reports.append(Report(submitted, processed, dropped, errors, pending))

    def _validate(self, plan: Plan, rng: random.Random) -> None:
        if not plan.reports:
            return
        earliest = max(plan.reports[-1].dropped, at(self.dates.observation_date, 8))
        day = self.cal.add_school_days(self._local_day(earliest), rng.choice((0, 0, 1, 2)))
        plan.validated = self._during(day, rng, earliest)

    def _problem(self, plan: Plan, rng: random.Random) -> None:
        """Some schools that never export say why, a week or so into the campaign."""
        if rng.random() >= PROBLEM_SHARE:
            return
        category, detail = rng.choice(PROBLEMS)
        moment = self._during(self.days[rng.randint(4, 9)], rng, None)
        if moment is not None:
            plan.problem = Problem(moment, category, detail)

    # ---- moments ----------------------------------------------------------------------------
    def _during(
        self, day: dt.date, rng: random.Random, after: dt.datetime | None
    ) -> dt.datetime | None:
        """A moment of a working day (8:00–17:59), after `after`; None if past `now`."""
        moment = at(day, rng.randint(8, 17), rng.randrange(60))
        if after is not None and moment <= after:
            moment = after + dt.timedelta(minutes=rng.randint(20, 180))
        return moment if moment < self.now else None

    def _local_day(self, moment: dt.datetime) -> dt.date:
        return moment.astimezone(PARIS).date()

    def _day_of(self, moment: dt.datetime) -> int:
        day = self._local_day(moment)
        return max(i for i, d in enumerate(self.days) if d <= day)


__all__ = ["Dates", "Plan", "Planner", "Report", "at", "campaign_dates"]
