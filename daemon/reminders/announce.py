"""« Prochaine relance »: when the sweep will send a school's next reminder, found by asking the
sweep's own decision (`due.decide`) at each moment it will look again — pauses, validation, the
calendar, the sending window and the deadline included — never by reading a column that the
next sweep may still move (a stage that changed since, a snooze, a deadline cap)."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from daemon.reminders.due import CampaignContext, DueState, decide
from daemon.reminders.sweep import due_state
from db.models import FollowUp, School

MAX_LOOKS = 8  # a reminder is found within a few looks (stage start, window, cap, overdue)


def reachable(school: School) -> bool:
    """The sweep prepares a reminder only for an active school with a working address."""
    return school.active and bool(school.director_email) and not school.email_failing_since


def next_reminder(state: DueState, ctx: CampaignContext, now: dt.datetime) -> dt.datetime | None:
    """The moment of the next reminder the sweep sends if nothing new is recorded meanwhile
    (`now` when one is due at once), None when none will leave."""
    at = now
    for _ in range(MAX_LOOKS):
        decision = decide(state, ctx, at)
        if decision.send:
            return at
        if decision.next_reminder_at is None:
            return None
        state = replace(
            state,
            ladder_stage=decision.policy_stage,
            reminders_without_progress=decision.reminders_without_progress,
            next_reminder_at=decision.next_reminder_at,
        )
        at = max(at, decision.next_reminder_at)
    return None


def announced(
    school: School, follow_up: FollowUp | None, ctx: CampaignContext, now: dt.datetime
) -> dt.datetime | None:
    """« Prochaine relance » for the pages, the CSV and the API."""
    if follow_up is None or not reachable(school):
        return None
    return next_reminder(due_state(follow_up), ctx, now)
