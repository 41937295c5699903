"""The demo's past, replayed in order through the real code: each school's export archives and
comptes rendus through the intake, its validation through the school's actions, and every school
day the reminder sweep at 10:00 whose mails the real sender delivers to the demo's mail catcher
at that time — reminders, escalations, digests, dated as they would have been — except the last
school day's, which leave when the daemon starts."""

from __future__ import annotations

import asyncio
import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from daemon.app import App
from daemon.demo.generate import DemoPupil, archive, compte_rendu, headcounts, make_pupils
from daemon.demo.timeline import PARIS, Dates, Plan, Planner, at
from daemon.ingest.intake.intake import Intake
from daemon.reminders.sweep import sweep
from db.engine import transaction
from db.models import School

ACTOR = "démo"
Progress = Callable[[int, int], None]  # (done, total) days


@dataclass(frozen=True)
class Action:
    at: dt.datetime
    order: int  # what comes first at the same moment
    run: Callable[[], Any]


class Replay:
    def __init__(self, app: App, dates: Dates, now: dt.datetime, seed: int) -> None:
        self.app, self.dates, self.now, self.seed = app, dates, now, seed
        self.intake = Intake(app)
        self.planner = Planner(dates, now)
        self.rentree = dt.date(dates.start.year - (dates.start.month < 9), 9, 1)

    def actions(self, schools: list[School]) -> list[Action]:
        counts = headcounts()
        found: list[Action] = []
        for school in schools:
            rng = random.Random(f"{self.seed}:{school.uai}")
            plan = self.planner.plan(rng)
            pupils = make_pupils(school.uai, counts.get(school.uai), rng, self.rentree.year)
            found += self._school_actions(school, plan, pupils, rng)
        sweeps = [at(day, 10) for day in self.dates.history if at(day, 10) < self.now]
        for moment in sweeps[:-1]:
            found.append(Action(moment, 1, partial(self.sweep_and_send, moment)))
        # The last round is prepared but leaves when the daemon starts (late, as after any
        # stop: due mail is never skipped), so that the demo's directors can answer it.
        found += [Action(moment, 1, partial(sweep, self.app, moment)) for moment in sweeps[-1:]]
        return sorted(found, key=lambda a: (a.at, a.order))

    def _school_actions(
        self, school: School, plan: Plan, pupils: list[DemoPupil], rng: random.Random
    ) -> list[Action]:
        uai = school.uai
        zipped = f"{uai}.zip"
        found = [
            # a new export after fixing errors is another file (the school software's rows
            # come out in another order): never the same bytes again
            Action(t, 0, partial(self._take, uai, archive(uai, order, self.rentree), zipped, t))
            for t, order in zip(plan.exports, (pupils, pupils[::-1]), strict=False)
        ]
        for number, report in enumerate(plan.reports, start=1):
            text = compte_rendu(
                uai,
                school.name,
                pupils,
                submitted=report.submitted.astimezone(PARIS),  # ONDE writes Paris time
                processed=report.processed.astimezone(PARIS),
                errors=report.errors,
                pending=report.pending,
                rng=rng,
            ).encode("utf-8")
            name = f"compte-rendu-{uai}-{number}.txt"
            dropped = report.dropped
            found.append(Action(dropped, 0, partial(self._take, uai, text, name, dropped)))
        if plan.validated is not None:
            found.append(Action(plan.validated, 0, partial(self._validate, school, plan.validated)))
        if plan.problem is not None:
            found.append(Action(plan.problem.at, 0, partial(self._report_problem, school, plan)))
        return found

    # ---- what each action does --------------------------------------------------------------
    def _take(self, uai: str, data: bytes, filename: str, moment: dt.datetime) -> None:
        result = self.intake.take_bytes(
            data, filename=filename, channel="page", now=moment, school_uai=uai, actor=ACTOR
        )
        if result.outcome != "processed":
            raise RuntimeError(f"demo file {filename} not taken: {result.reason}")

    def _validate(self, school: School, moment: dt.datetime) -> None:
        from daemon.school.actions import declare_validated

        with transaction(self.app.engine) as session:
            campaign = self.app.campaign(session, moment, follow_ups=False)
            declare_validated(session, school=school, campaign=campaign, now=moment, actor=ACTOR)

    def _report_problem(self, school: School, plan: Plan) -> None:
        """« J'ai un problème » on the school's page: routed at once, its mail sent then."""
        from daemon.reminders.problem import route_problem
        from daemon.school.actions import ProblemCategory

        assert plan.problem is not None
        moment = plan.problem.at
        with transaction(self.app.engine) as session:
            campaign = self.app.campaign(session, moment, follow_ups=False)
            route_problem(
                self.app,
                session,
                school=school,
                campaign=campaign,
                category=ProblemCategory(plan.problem.category),
                detail=plan.problem.detail,
                now=moment,
                actor="direction (page de l'école)",
            )
        self._send(moment)

    def _send(self, moment: dt.datetime) -> None:
        from daemon.delivery.sender import send_due
        from daemon.school.links import link_maker

        self.app.clock = lambda: moment + dt.timedelta(minutes=1)
        asyncio.run(send_due(self.app, links=link_maker(self.app.settings)))

    def sweep_and_send(self, moment: dt.datetime) -> None:
        """The 10:00 sweep of a past school day, its mails sent at once, dated then."""
        sweep(self.app, moment)
        self._send(moment)

    def run(self, schools: list[School], progress: Progress | None = None) -> None:
        """Every action in order; `progress` hears of each day done."""
        days = {d: i for i, d in enumerate(self.dates.history, start=1)}
        total = len(days)
        for action in self.actions(schools):
            action.run()
            if action.order == 1 and progress is not None:
                progress(days[action.at.astimezone(self.planner.cal.timezone).date()], total)
        if progress is not None:
            progress(total, total)


__all__ = ["Replay"]
