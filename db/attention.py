"""The dashboard's « À regarder en premier »: schools listed for a reason a coordinator acts on,
most urgent first, each with its reason and the school's real last activity."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import and_, exists, func, or_
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, select

from db.dashboard import few_follow_ups
from db.models import Document, Event, FollowUp, Reminder, School
from db.states import ESCALATION_LABELS, EventKind, LedgerKind, ReminderStatus, Stage

# What a school (its director, its files) did: what "activity" means on the list.
ACTIVITY_KINDS = (
    EventKind.EXPORT_RECEIVED,
    EventKind.EXPORT_REFUSED,
    EventKind.EXPORT_RESUBMITTED,
    EventKind.COMPTE_RENDU_INGESTED,
    EventKind.ONDE_EXTRACTION_INGESTED,
    EventKind.DUPLICATE_FILE,
    EventKind.FILE_QUARANTINED,
    EventKind.SNOOZED,
    EventKind.VALIDATION_DECLARED,
    EventKind.PROBLEM_REPORTED,
    EventKind.DIRECTOR_REPLIED,
)


class Attention(StrEnum):
    """Why a school is on the list (in this order: the most urgent first)."""

    PROBLEM = "problem"  # a problem reported, not marked treated since (« Marquer comme traité »)
    ESCALATED = "escalated"
    EMAIL_FAILING = "email_failing"
    NO_EMAIL = "no_email"  # no director address: nobody is reminded
    AWAITING_CONFIRMATION = "awaiting_confirmation"  # constat declared, to confirm
    OCR_UNCONFIRMED = "ocr_unconfirmed"  # a compte rendu read by OCR, to confirm row by row
    TO_REVIEW = "to_review"  # a document to check by hand
    OVERDUE = "overdue"  # the deadline has passed
    ERRORS = "errors"  # errors open longest
    IDLE = "idle"  # no movement for some school days


@dataclass(frozen=True)
class AttentionRow:
    school: School
    follow_up: FollowUp | None
    why: Attention
    since: dt.datetime | None
    detail: str = ""  # the ladder steps taken, the address's failure, the problem's category
    last_activity: dt.datetime | None = None  # the school's own last move, or a mail delivered


def _activity_since(moment: dt.datetime) -> ColumnElement[bool]:
    """The school moved (an activity event) or was mailed (a reminder delivered) since."""
    event = exists().where(
        col(Event.school_id) == School.id,
        col(Event.at) >= moment,
        col(Event.kind).in_(ACTIVITY_KINDS),
    )
    mail = exists().where(
        col(Reminder.school_id) == School.id,
        col(Reminder.kind) == LedgerKind.REMINDER,
        col(Reminder.status) == ReminderStatus.SENT,
        col(Reminder.sent_at) >= moment,
    )
    return or_(event, mail)


def _attention_queries(
    campaign_id: int, idle_since: dt.datetime, overdue: bool
) -> list[tuple[Attention, Any, Any]]:
    """Each reason's condition and what its rows are ordered by (the oldest first)."""
    to_review = select(Document.school_id).where(
        col(Document.needs_review).is_(True),
        col(Document.campaign_id) == campaign_id,
        col(Document.superseded_by_id).is_(None),
        col(Document.duplicate_of_id).is_(None),
    )
    unconfirmed = select(Document.school_id).where(
        col(Document.ocr_unconfirmed).is_(True), col(Document.campaign_id) == campaign_id
    )
    reported = col(FollowUp.problem_reported_at)
    answered = col(FollowUp.problem_answered_at)
    problem = reported.is_not(None) & (answered.is_(None) | (answered < reported))
    declared = col(FollowUp.declared_validated_at)
    to_confirm = and_(  # the stage too, so that the index alone leaves the validated out
        declared.is_not(None),
        col(FollowUp.validation_confirmed_at).is_(None),
        col(FollowUp.stage) != Stage.VALIDATED,
    )
    failing = col(School.email_failing_since)
    queries: list[tuple[Attention, Any, Any]] = [
        (Attention.PROBLEM, few_follow_ups(campaign_id, problem), reported),
        (Attention.ESCALATED, col(FollowUp.escalated).is_(True), col(FollowUp.stage_since)),
        (
            Attention.EMAIL_FAILING,
            col(School.id).in_(select(School.id).where(failing.is_not(None))),
            failing,
        ),
        (Attention.NO_EMAIL, col(School.director_email) == "", col(School.uai)),
        (Attention.AWAITING_CONFIRMATION, few_follow_ups(campaign_id, to_confirm), declared),
        (Attention.OCR_UNCONFIRMED, col(School.id).in_(unconfirmed), col(FollowUp.stage_since)),
        (Attention.TO_REVIEW, col(School.id).in_(to_review), col(FollowUp.stage_since)),
    ]
    if overdue:
        queries.append((Attention.OVERDUE, col(FollowUp.id).is_not(None), col(School.uai)))
    queries.append(
        (Attention.ERRORS, col(FollowUp.stage) == Stage.ERRORS, col(FollowUp.stage_since))
    )
    # in two parts, each read in its index's order until enough are found: the schools whose
    # stage has no start, then those whose stage started before `idle_since`, the oldest first
    since = col(FollowUp.stage_since)
    idle = ~_activity_since(idle_since)
    queries.append((Attention.IDLE, idle & since.is_(None), col(School.uai)))
    queries.append((Attention.IDLE, idle & (since < idle_since), since))
    return queries


def _detail(school: School, follow_up: FollowUp, why: Attention) -> tuple[dt.datetime | None, str]:
    """When the reason started, and what the row says besides its label."""
    if why is Attention.EMAIL_FAILING:
        return school.email_failing_since, school.email_failure
    if why is Attention.PROBLEM:
        return follow_up.problem_reported_at, follow_up.problem_category
    if why is Attention.AWAITING_CONFIRMATION:
        return follow_up.declared_validated_at, ""
    if why is Attention.ESCALATED:
        steps = [step.partition("@")[0] for step in follow_up.escalations_done]
        return follow_up.stage_since, ", ".join(ESCALATION_LABELS.get(s, s) for s in steps)
    if why in (Attention.NO_EMAIL, Attention.IDLE):
        return None, ""
    return follow_up.stage_since, ""


def last_activity(session: Session, school_ids: Iterable[int]) -> dict[int, dt.datetime]:
    """Each school's last activity: its last activity event or reminder delivered."""
    ids = list(school_ids)
    found: dict[int, dt.datetime] = {}
    if not ids:
        return found
    events = select(Event.school_id, func.max(Event.at)).where(
        col(Event.school_id).in_(ids), col(Event.kind).in_(ACTIVITY_KINDS)
    )
    mails = select(Reminder.school_id, func.max(Reminder.sent_at)).where(
        col(Reminder.school_id).in_(ids),
        col(Reminder.kind) == LedgerKind.REMINDER,
        col(Reminder.status) == ReminderStatus.SENT,
    )
    for query in (events.group_by(col(Event.school_id)), mails.group_by(col(Reminder.school_id))):
        for school_id, at in session.exec(query).all():
            if school_id is not None and at is not None:
                at = at if at.tzinfo else at.replace(tzinfo=dt.UTC)
                found[school_id] = max(found.get(school_id, at), at)
    return found


def needing_attention(
    session: Session,
    *,
    campaign_id: int,
    now: dt.datetime,
    idle_since: dt.datetime | None = None,
    overdue: bool = False,
    per_kind: int = 15,
) -> list[AttentionRow]:
    """Schools to look at first, for the reasons of `Attention` in its order (`idle_since`:
    no movement since then, 10 days before `now` unless given; `overdue`: the deadline has
    passed). Each reason is one query limited to `per_kind` rows; a school is listed once."""
    since = idle_since or now - dt.timedelta(days=10)
    base = (
        select(School, FollowUp)
        .join(
            FollowUp,
            and_(col(FollowUp.school_id) == School.id, col(FollowUp.campaign_id) == campaign_id),
        )
        .where(col(School.active).is_(True), col(FollowUp.stage) != Stage.VALIDATED)
    )
    found: dict[int, tuple[School, FollowUp, Attention]] = {}
    listed = dict.fromkeys(Attention, 0)  # a reason may be read in two parts
    for why, condition, order in _attention_queries(campaign_id, since, overdue):
        query = base.where(condition).order_by(order.asc().nulls_first(), col(School.uai))
        for school, follow_up in session.exec(query.limit(per_kind - listed[why])).all():
            assert school.id is not None
            listed[why] += 1
            found.setdefault(school.id, (school, follow_up, why))
    activity = last_activity(session, found)
    rows = []
    for school_id, (school, follow_up, why) in found.items():
        moved = activity.get(school_id)
        started, detail = _detail(school, follow_up, why)
        started = moved if why is Attention.IDLE else started
        rows.append(AttentionRow(school, follow_up, why, started, detail, moved))
    return rows
