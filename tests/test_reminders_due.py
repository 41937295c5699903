"""Pure decisions: first reminder, cadence, snooze, one per day, ladder steps once, progress."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from zoneinfo import ZoneInfo

from daemon.config.settings import ReminderSettings
from daemon.reminders.calendar import SchoolCalendar
from daemon.reminders.due import (
    CampaignContext,
    DueState,
    decide,
    with_escalations,
    with_progress,
)
from daemon.reminders.policy import EscalationStep, Notify, ladder_json, stored_ladder

PARIS = ZoneInfo("Europe/Paris")
D = dt.date
POLICY = ReminderSettings()
CTX = CampaignContext(
    calendar=SchoolCalendar(PARIS, "B", dt.time(8), dt.time(18)),
    policy=POLICY,
    start=D(2026, 10, 5),
    observation_date=D(2026, 10, 16),
    deadline=D(2026, 11, 10),
)


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=PARIS).astimezone(dt.UTC)


def state(stage: str = "errors", **changes: object) -> DueState:
    base = DueState(
        stage=stage,
        stage_since=at(D(2026, 10, 6), 9),
        ladder_stage="",
        reminders_without_progress=0,
        next_reminder_at=None,
        last_reminder_at=None,
        snoozed_until=None,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def test_a_new_stage_copies_its_ladder_and_waits_for_its_first_reminder() -> None:
    decision = decide(state("awaiting_ine"), CTX, at(D(2026, 10, 6), 9))
    assert decision.started and not decision.send
    assert decision.ladder == (
        EscalationStep(3, Notify.COORDINATOR),
        EscalationStep(5, Notify.SUPPORT),
    )
    assert decision.next_reminder_at == at(D(2026, 10, 8), 8)  # 2 school days later


def test_errors_are_reminded_the_day_they_appear_inside_the_window() -> None:
    decision = decide(state("errors"), CTX, at(D(2026, 10, 6), 9))
    assert decision.send and decision.reminders_without_progress == 1
    assert decision.next_reminder_at == at(D(2026, 10, 8), 8)


def test_the_running_ladder_is_kept_and_each_step_taken_once() -> None:
    running = state(
        "errors",
        ladder_stage="errors",
        reminders_without_progress=8,
        next_reminder_at=at(D(2026, 10, 8), 8),
    )
    kept = (EscalationStep(9, Notify.SUPPORT),)  # copied under an older configuration
    decision = with_escalations(decide(running, CTX, at(D(2026, 10, 8), 9)), kept, ())
    assert decision.send and decision.escalate == kept
    assert decision.escalations_done == ("support@9",)
    again = decide(
        replace(running, reminders_without_progress=9, next_reminder_at=at(D(2026, 10, 12), 8)),
        CTX,
        at(D(2026, 10, 12), 9),
    )
    assert with_escalations(again, kept, decision.escalations_done).escalate == ()


def test_progress_restarts_the_count() -> None:
    ladder = (EscalationStep(3, Notify.COORDINATOR),)
    running = state(
        "errors",
        ladder_stage="errors",
        reminders_without_progress=2,
        next_reminder_at=at(D(2026, 10, 8), 8),
    )
    decision = decide(running, CTX, at(D(2026, 10, 8), 9))
    assert decision.reminders_without_progress == 3
    assert with_escalations(decision, ladder, ()).escalate == ladder
    restarted = with_escalations(with_progress(decision), ladder, ())
    assert restarted.reminders_without_progress == 1 and restarted.escalate == ()


def test_a_snoozed_school_is_quiet_until_its_date() -> None:
    snoozed = state(
        "errors",
        ladder_stage="errors",
        next_reminder_at=at(D(2026, 10, 8), 8),
        snoozed_until=at(D(2026, 10, 13), 10),
    )
    decision = decide(snoozed, CTX, at(D(2026, 10, 8), 9))
    assert not decision.send and decision.next_reminder_at == at(D(2026, 10, 13), 10)
    assert decide(snoozed, CTX, at(D(2026, 10, 13), 10)).send


def test_one_reminder_a_day_at_most() -> None:
    resent = state(
        "errors",
        ladder_stage="errors",
        next_reminder_at=at(D(2026, 10, 8), 11),
        last_reminder_at=at(D(2026, 10, 8), 9),
    )
    decision = decide(resent, CTX, at(D(2026, 10, 8), 11))
    assert not decision.send and decision.next_reminder_at == at(D(2026, 10, 9), 8)


def test_ready_to_validate_waits_for_the_observation_date_then_speeds_up() -> None:
    ready = state("ready_to_validate")
    first = decide(ready, CTX, at(D(2026, 10, 6), 9))
    assert not first.send and first.next_reminder_at == at(D(2026, 10, 16), 8)
    near = replace(ready, ladder_stage="ready_to_validate", next_reminder_at=at(D(2026, 11, 5), 8))
    decision = decide(near, CTX, at(D(2026, 11, 5), 9))
    assert decision.send and decision.next_reminder_at == at(D(2026, 11, 6), 8)  # every day


def test_past_the_deadline_the_overdue_cadence_starts_and_validation_stops_everything() -> None:
    waiting = state("awaiting_export", ladder_stage="awaiting_export")
    capped = decide(
        replace(waiting, next_reminder_at=at(D(2026, 11, 9), 8)), CTX, at(D(2026, 11, 9), 9)
    )
    assert capped.next_reminder_at == at(D(2026, 11, 11), 0)  # looked at again past the deadline
    overdue = decide(
        replace(waiting, next_reminder_at=at(D(2026, 11, 11), 0)), CTX, at(D(2026, 11, 11), 0, 1)
    )
    assert overdue.policy_stage == "overdue" and overdue.started
    assert overdue.next_reminder_at == at(D(2026, 11, 12), 8)  # the 11th is a public holiday
    stopped = decide(
        state("validated", next_reminder_at=at(D(2026, 10, 8), 8)), CTX, at(D(2026, 10, 8), 9)
    )
    assert not stopped.send and stopped.next_reminder_at is None


def test_a_ladder_step_is_typed_and_kept_on_the_follow_up_as_json() -> None:
    ladder = (EscalationStep(3, Notify.COORDINATOR), EscalationStep(5, Notify.SUPPORT))
    stored = ladder_json(ladder)
    assert stored == [{"after": 3, "notify": "coordinator"}, {"after": 5, "notify": "support"}]
    assert stored_ladder(stored) == ladder and stored_ladder(None) == ()
    assert [step.name for step in ladder] == ["coordinator@3", "support@5"]
