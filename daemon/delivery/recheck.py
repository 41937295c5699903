"""What a claimed row is checked against before it leaves: a mail that is no longer true is
never sent.

The sweep writes a school's reminder (or escalation) from what it saw at that moment; minutes or
days may pass before a sender claims it (a queue, a 4xx retry, a server down). At the claim the
row is read again against the school as it is now: validated, paused, deactivated since, or its
stage changed since, the row is cancelled with its reason (shown on the school's page, with an
event in its history). A reminder or digest belongs to its day: past its `send_before` (the end
of the sending window on the day it was written for) it is cancelled too, replaced by the next
day's, never sent late.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, update
from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from db.events import record_event
from db.ledger import DAY_OVER
from db.models import FollowUp, Reminder, School
from db.states import STAGE_LABELS, EventKind, LedgerKind, ReminderStatus, Stage

CHECKED_KINDS = {LedgerKind.REMINDER.value, LedgerKind.ESCALATION.value}
CANCELLED_NAMES = {
    LedgerKind.REMINDER.value: "Relance annulée",
    LedgerKind.ESCALATION.value: "Signalement à l'assistance annulé",
    LedgerKind.DIGEST.value: "Synthèse annulée",
    LedgerKind.PROBLEM.value: "Problème signalé non transmis",
    LedgerKind.ACKNOWLEDGEMENT.value: "Accusé de réception annulé",
}
__all__ = ["DAY_OVER"]  # the reason, kept where the ledger's readers find it too


@dataclass(frozen=True)
class SchoolNow:
    """What a school's mail depends on, read at the claim."""

    active: bool
    director_email: str
    link_version: int
    stage: str | None  # None: no follow-up in the row's campaign
    validated: bool
    snoozed_until: dt.datetime | None


@dataclass(frozen=True)
class Cancel:
    id: int
    reason: str


def stale_reason(
    *, kind: str, recipient: str, payload: dict[str, Any], school: SchoolNow, now: dt.datetime
) -> str:
    """Why a school's mail written earlier is no longer true now ("" when it still is)."""
    if not school.active:
        return "école désactivée depuis la préparation du mail"
    if school.validated or school.stage == Stage.VALIDATED.value:
        return "constat validé depuis la préparation du mail"
    if school.snoozed_until is not None and school.snoozed_until > now:
        return "relances suspendues depuis la préparation du mail"
    written = str(payload.get("school_stage") or "")
    if written and school.stage is not None and written != school.stage:
        before, after = _stage_label(written), _stage_label(school.stage)
        return f"étape changée depuis la préparation du mail ({before} → {after})"
    if kind == LedgerKind.REMINDER.value and recipient != school.director_email:
        return "adresse de direction changée depuis la préparation du mail"
    return ""


def _stage_label(value: str) -> str:
    try:
        return STAGE_LABELS[Stage(value)].lower()
    except ValueError:
        return value


def schools_now(session: Session, rows: Sequence[Any]) -> dict[tuple[int, int | None], SchoolNow]:
    """The schools of the rows that are checked, with their follow-up in the row's campaign,
    keyed by (school id, campaign id): one query for a batch."""
    school_ids = {r.school_id for r in rows if r.kind in CHECKED_KINDS and r.school_id}
    if not school_ids:
        return {}
    campaign_ids = {r.campaign_id for r in rows if r.school_id in school_ids}
    query = (
        sa_select(
            col(School.id),
            col(School.active),
            col(School.director_email),
            col(School.link_version),
            col(FollowUp.campaign_id),
            col(FollowUp.stage),
            col(FollowUp.declared_validated_at),
            col(FollowUp.snoozed_until),
        )
        .outerjoin(
            FollowUp,
            and_(
                col(FollowUp.school_id) == School.id,
                col(FollowUp.campaign_id).in_([c for c in campaign_ids if c is not None]),
            ),
        )
        .where(col(School.id).in_(school_ids))
    )
    found: dict[tuple[int, int | None], SchoolNow] = {}
    for sid, active, email, version, campaign_id, stage, declared, snoozed in session.execute(
        query
    ):
        found[(sid, campaign_id)] = SchoolNow(
            active, email, version, None if stage is None else str(stage), bool(declared), snoozed
        )
    return found


def to_cancel(
    schools: dict[tuple[int, int | None], SchoolNow], rows: Sequence[Any], now: dt.datetime
) -> list[Cancel]:
    """The claimed rows (snapshots with `id`, `kind`, `recipient`, `payload`, `school_id`,
    `campaign_id`, `send_before`) that must not leave, each with its reason (`schools`: from
    `schools_now`)."""
    cancels = []
    for row in rows:
        reason = DAY_OVER if row.send_before is not None and now >= row.send_before else ""
        school = school_of(schools, row)
        if not reason and school is not None and row.kind in CHECKED_KINDS:
            reason = stale_reason(
                kind=row.kind,
                recipient=row.recipient,
                payload=row.payload,
                school=school,
                now=now,
            )
        if reason:
            cancels.append(Cancel(row.id, reason))
    return cancels


def school_of(schools: dict[tuple[int, int | None], SchoolNow], row: Any) -> SchoolNow | None:
    """A claimed row's school as it is now (None: a row about no school, or not checked)."""
    if not row.school_id:
        return None
    return schools.get((row.school_id, row.campaign_id)) or schools.get((row.school_id, None))


def cancel(
    session: Session, rows: Sequence[Any], cancels: Sequence[Cancel], at: dt.datetime
) -> None:
    """Mark the rows cancelled with their reason (in the caller's transaction), each with an
    event in its school's history."""
    for item in cancels:
        session.execute(
            update(Reminder)
            .where(col(Reminder.id) == item.id, col(Reminder.status) != ReminderStatus.SENT)
            .values(
                status=ReminderStatus.CANCELLED,
                last_error=item.reason[:1000],
                claimed_by="",
                lease_until=None,
            )
        )
    note_cancelled(session, rows, cancels, at)


def note_cancelled(
    session: Session, rows: Sequence[Any], cancels: Sequence[Cancel], at: dt.datetime
) -> None:
    """The event of each row cancelled, in its school's history (or the installation's)."""
    by_id = {r.id: r for r in rows}
    for item in cancels:
        row = by_id[item.id]
        name = CANCELLED_NAMES.get(row.kind, "Mail annulé")
        record_event(
            session,
            at=at,
            kind=EventKind.REMINDER_CANCELLED,
            message=f"{name} ({row.recipient}) : {item.reason}",
            school_id=row.school_id,
            campaign_id=row.campaign_id,
            data={"key": row.key, "reason": item.reason},
        )
