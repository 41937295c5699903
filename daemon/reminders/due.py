"""Pure decisions: for one follow-up at `now`, send a reminder or not, and when to look again.

`FollowUp.next_reminder_at` is the due column: the sweep selects the follow-ups whose time has
come (or that were never scheduled) and asks `decide`. Rules: no mail outside the window or on a
day off; at most one reminder per school per day; a snoozed school is quiet until its date; a
validated school gets nothing; a reminder missed while the daemon was down goes at the next tick
inside the window, once (the next one is counted from the day it actually left).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any, Protocol

from daemon.config.settings import ReadyPolicy, ReminderSettings, StagePolicy
from daemon.reminders.calendar import SchoolCalendar
from daemon.reminders.policy import OVERDUE, Ladder, ladder_steps, policy_stage, stage_policy
from daemon.school.stage import Stage

VALIDATED = Stage.VALIDATED.value
AWAITING_EXPORT = Stage.AWAITING_EXPORT.value
READY = Stage.READY_TO_VALIDATE.value


@dataclass(frozen=True, eq=False)
class CampaignContext:
    calendar: SchoolCalendar
    policy: ReminderSettings
    start: dt.date
    observation_date: dt.date
    deadline: dt.date
    memo: dict[Any, Any] = field(default_factory=dict, repr=False)  # answers within one sweep

    @cached_property
    def overdue_from(self) -> dt.datetime:
        """The first moment past the deadline: every open school must be looked at again."""
        return self.calendar.at(self.deadline + dt.timedelta(days=1), dt.time(0, 0))


class DueColumns(Protocol):
    """The columns of a follow-up that the decision reads (a result row of the due query, a
    follow-up, a `DueState`); read only."""

    @property
    def stage(self) -> str: ...
    @property
    def stage_since(self) -> Any: ...  # datetime | ISO text (UTC) | None: parsed when needed
    @property
    def ladder_stage(self) -> str: ...
    @property
    def reminders_without_progress(self) -> int: ...
    @property
    def next_reminder_at(self) -> Any: ...
    @property
    def last_reminder_at(self) -> Any: ...
    @property
    def snoozed_until(self) -> Any: ...


def moment(value: Any) -> dt.datetime | None:
    """A timestamp column read raw: SQLite gives UTC text, PostgreSQL an aware datetime."""
    if value is None or isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC) if value is not None and value.tzinfo else value
    parsed = dt.datetime.fromisoformat(str(value))
    return parsed.replace(tzinfo=dt.UTC) if parsed.tzinfo is None else parsed


@dataclass(frozen=True)
class DueState:
    """The same columns as a plain value (tests, previews)."""

    stage: str
    stage_since: dt.datetime | None
    ladder_stage: str
    reminders_without_progress: int
    next_reminder_at: dt.datetime | None
    last_reminder_at: dt.datetime | None
    snoozed_until: dt.datetime | None


@dataclass(frozen=True, slots=True)
class Decision:
    send: bool
    next_reminder_at: dt.datetime | None
    policy_stage: str
    started: bool = False  # a new stage began: its ladder is copied, the count restarts
    ladder: Ladder = ()  # the new ladder when `started`
    reminders_without_progress: int = 0
    why: str = ""
    escalations_done: tuple[str, ...] = ()  # filled by `with_escalations` for a reminder sent
    escalate: Ladder = field(default=())  # ladder steps reached now


@dataclass(frozen=True)
class _Tick:
    """What is the same for every follow-up at one `now` (computed once per sweep)."""

    today: dt.date
    in_window: bool
    next_window: dt.datetime
    tomorrow: dt.datetime
    today_start: dt.datetime


def _tick(ctx: CampaignContext, now: dt.datetime) -> _Tick:
    found = ctx.memo.get(now)
    if found is None:
        cal = ctx.calendar
        today = cal.local_day(now)
        found = ctx.memo[now] = _Tick(
            today,
            cal.in_window(now),
            cal.next_send_moment(now),
            cal.opening(today + dt.timedelta(days=1)),
            cal.at(today, dt.time(0, 0)),
        )
    return found


def today_start(ctx: CampaignContext, now: dt.datetime) -> dt.datetime:
    """Midnight of `now`'s local day: a reminder sent since then was sent today."""
    return _tick(ctx, now).today_start


def decide(state: DueColumns, ctx: CampaignContext, now: dt.datetime) -> Decision:
    cal, tick = ctx.calendar, _tick(ctx, now)
    stage = policy_stage(state.stage, tick.today, ctx.deadline)
    if stage == VALIDATED:
        return Decision(False, None, stage, why="constat validé : plus de relance")
    policy = stage_policy(ctx.policy, stage)
    started = state.ladder_stage != stage
    ladder = ladder_steps(policy) if started else ()
    count = 0 if started else state.reminders_without_progress
    due = moment(state.next_reminder_at)
    if started or due is None:
        due = first_reminder(stage, state, ctx, policy, tick.today)
    snoozed = moment(state.snoozed_until) if state.snoozed_until else None
    if snoozed and snoozed > now:
        due = max(due, snoozed)
    due = cal.next_send_moment(due)
    if due > now:
        why = "pas encore"
    elif not tick.in_window:
        due, why = tick.next_window, "hors de la plage d'envoi"
    elif state.last_reminder_at and moment(state.last_reminder_at) >= tick.today_start:  # type: ignore[operator]
        due, why = tick.tomorrow, "déjà relancée"
    else:
        return sent(stage, ladder, count, ctx, policy, tick.today, started)
    return Decision(False, _capped(ctx, stage, due), stage, started, ladder, count, why)


DUE_FIELDS = (
    "id",
    "school_id",
    "stage",
    "stage_since",
    "ladder_stage",
    "reminders_without_progress",
    "next_reminder_at",
    "last_reminder_at",
    "snoozed_until",
    "due_now",  # next_reminder_at <= now (compared by SQL; None when NULL)
    "snoozing",  # snoozed_until > now
    "sent_today",  # last_reminder_at >= the start of today, local time
)


def decide_rows(
    rows: Iterable[Any], ctx: CampaignContext, now: dt.datetime
) -> list[tuple[int, int, Decision]]:
    """(follow-up id, school id, decision) for rows of the due query: `decide`, with its answer
    shared by the rows that SQL's comparisons with `now` put in the same class.

    A row is a sequence of `DUE_FIELDS` that also reads them by name (a result row). Inside the
    window, a follow-up that is due (`next_reminder_at <= now`), not snoozed past `now` and whose
    ladder is its running stage's gets a decision that depends only on that stage, its count and
    whether a reminder already left today (a due moment inside today's window or before it has
    its next send moment at or before `now`: the timestamps play no further part). `decide` is
    asked for the first row of each class and its (immutable) answer reused for the others;
    the classes live for this call only. Every other row is decided on its own.
    """
    tick = _tick(ctx, now)
    open_stage: dict[str, str] = {}  # stage -> the policy stage today
    shared: dict[tuple[str, int, bool], Decision] = {}
    decided = []
    for row in rows:
        (fid, sid, stage, _s, ladder_stage, count, _n, _l, _z, due_now, snoozing, sent_today) = row
        found_stage = open_stage.get(stage)
        if found_stage is None:
            found_stage = open_stage[stage] = policy_stage(stage, tick.today, ctx.deadline)
        stage = found_stage
        if not (tick.in_window and due_now) or snoozing or ladder_stage != stage:
            decided.append((fid, sid, decide(row, ctx, now)))
            continue
        key = (stage, count, bool(sent_today))
        found = shared.get(key)
        if found is None:
            found = shared[key] = decide(row, ctx, now)
        decided.append((fid, sid, found))
    return decided


def sent(
    stage: str,
    ladder: Ladder,
    count: int,
    ctx: CampaignContext,
    policy: StagePolicy,
    today: dt.date,
    started: bool,
) -> Decision:
    """A reminder leaves today: count it and schedule the next."""
    next_at = _next_after_send(ctx, stage, policy, today)
    return Decision(
        True, _capped(ctx, stage, next_at), stage, started, ladder, count + 1, "relance due"
    )


def with_escalations(decision: Decision, ladder: Ladder, done: tuple[str, ...]) -> Decision:
    """The ladder steps a reminder sent reaches, each once (`done`: steps already taken)."""
    if decision.started:
        ladder, done = decision.ladder, ()
    count = decision.reminders_without_progress
    reached = tuple(s for s in ladder if s.after <= count and s.name not in done)
    return replace(
        decision,
        ladder=ladder,
        escalations_done=done + tuple(s.name for s in reached),
        escalate=reached,
    )


def not_counted(decision: Decision, ladder: Ladder, done: tuple[str, ...]) -> Decision:
    """A reminder due but not prepared (no address, or the address fails): the next one is
    still scheduled, but this one counts for nothing and reaches no ladder step — the school
    never got it. Fixing the address is the coordinator's move (the digest lists it)."""
    if decision.started:
        ladder, done = decision.ladder, ()
    return replace(
        decision,
        ladder=ladder,
        escalations_done=done,
        escalate=(),
        reminders_without_progress=decision.reminders_without_progress - 1,
    )


def with_progress(decision: Decision) -> Decision:
    """The school made progress since its last reminder: the count restarts at this one (the
    caller then takes the ladder from its first step: `with_escalations(…, done=())`)."""
    return replace(decision, reminders_without_progress=1)


def first_reminder(
    stage: str, state: DueColumns, ctx: CampaignContext, policy: StagePolicy, today: dt.date
) -> dt.datetime:
    """When a stage's first reminder is due: N school days after the stage started (after the
    campaign's start for 'no export yet', the observation date for 'ready', the deadline for
    'overdue')."""
    cal = ctx.calendar
    stage_since = moment(state.stage_since)
    since = cal.local_day(stage_since) if stage_since else ctx.start
    base = max(min(since, today), ctx.start)  # a stage never starts after `now`
    if stage == AWAITING_EXPORT:
        base = min(ctx.start, today)
    elif stage == READY:
        base = max(base, ctx.observation_date)
    elif stage == OVERDUE:
        base = ctx.deadline + dt.timedelta(days=1)
    return cal.at(cal.add_school_days(base, policy.first_after_days), cal.window_start)


def interval(policy: StagePolicy, ctx: CampaignContext, today: dt.date) -> int:
    """School days until the next reminder; shorter near the deadline for 'ready'."""
    if isinstance(policy, ReadyPolicy):
        left = ctx.calendar.school_days_between(today, ctx.deadline)
        if left <= policy.near_deadline_days:
            return policy.near_deadline_interval_days
    return policy.interval_days


def _next_after_send(
    ctx: CampaignContext, stage: str, policy: StagePolicy, today: dt.date
) -> dt.datetime:
    """The next reminder's moment after one sent today (the same for every school of a stage,
    so computed once per sweep)."""
    key = (stage, today)
    found = ctx.memo.get(key)
    if found is None:
        cal = ctx.calendar
        day = cal.add_school_days(today, interval(policy, ctx, today))
        found = ctx.memo[key] = cal.at(day, cal.window_start)
    return found


def _capped(ctx: CampaignContext, stage: str, when: dt.datetime) -> dt.datetime:
    """Never past the deadline's end for a stage that will then become 'overdue'."""
    if stage != OVERDUE and when > ctx.overdue_from:
        return ctx.overdue_from
    return when
