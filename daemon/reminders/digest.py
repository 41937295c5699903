"""The coordinators' daily digest: one mail per coordinator per school day, at `digest_time`
(or at the first tick after it, when the daemon was down): schools per stage and
circonscription, what changed since the previous digest, schools escalated, failing addresses."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from daemon.config import Settings
from daemon.reminders.calendar import SchoolCalendar
from daemon.reminders.compose import render
from daemon.school.stage import STAGE_ORDER, Stage
from db.ledger import last_written_at
from db.models import Campaign, Event, FollowUp, School
from db.states import EventKind, LedgerKind

CHANGE_KINDS = (
    EventKind.STAGE_CHANGED,
    EventKind.VALIDATION_DECLARED,
    EventKind.VALIDATION_CONFIRMED,
    EventKind.PROBLEM_REPORTED,
)
MAX_LINES = 200


def digest_day(cal: SchoolCalendar, now: dt.datetime, digest_time: dt.time) -> dt.date | None:
    """The school day whose digest is due at `now` (None before digest_time or on a day off)."""
    local = now.astimezone(cal.timezone)
    if not cal.is_school_day(local.date()) or local.time().replace(tzinfo=None) < digest_time:
        return None
    return local.date()


def _stage_counts(session: Session, campaign: Campaign) -> list[tuple[str, str, int]]:
    query = (
        select(School.circonscription, FollowUp.stage, func.count())
        .join(School, col(School.id) == FollowUp.school_id)
        .where(FollowUp.campaign_id == campaign.id, col(School.active).is_(True))
        .group_by(School.circonscription, FollowUp.stage)
    )
    return [(c or "", s, int(n)) for c, s, n in session.exec(query).all()]


def _stage_rows(counts: dict[str, int]) -> list[dict[str, Any]]:
    return [{"label": s.label, "count": counts[s.value]} for s in STAGE_ORDER if counts[s.value]]


def _events(
    session: Session,
    campaign: Campaign,
    since: dt.datetime,
    now: dt.datetime,
    kinds: tuple[EventKind, ...],
) -> list[dict[str, str]]:
    query = (
        select(Event, School)
        .join(School, col(School.id) == Event.school_id)
        .where(
            Event.campaign_id == campaign.id,
            col(Event.kind).in_(kinds),
            Event.at > since,
            Event.at <= now,
        )
        .order_by(col(Event.at), col(Event.id))
        .limit(MAX_LINES)
    )
    return [{"school": s.name, "uai": s.uai, "message": e.message} for e, s in session.exec(query)]


def _failing(session: Session) -> list[dict[str, str]]:
    query = (
        select(School)
        .where(col(School.active).is_(True), col(School.email_failing_since).is_not(None))
        .order_by(col(School.uai))
        .limit(MAX_LINES)
    )
    return [
        {"school": s.name, "uai": s.uai, "email": s.director_email, "error": s.email_failure}
        for s in session.exec(query)
    ]


def _without_address(session: Session, campaign: Campaign) -> list[dict[str, str]]:
    """Schools nobody reminds: no director address, constat not validated."""
    query = (
        select(School)
        .join(FollowUp, col(FollowUp.school_id) == School.id)
        .where(
            FollowUp.campaign_id == campaign.id,
            col(FollowUp.stage) != Stage.VALIDATED,
            col(School.active).is_(True),
            School.director_email == "",
        )
        .order_by(col(School.uai))
        .limit(MAX_LINES)
    )
    return [{"school": s.name, "uai": s.uai} for s in session.exec(query)]


def digest_context(
    session: Session, settings: Settings, campaign: Campaign, day: dt.date, now: dt.datetime
) -> dict[str, Any]:
    assert campaign.id is not None
    previous = last_written_at(session, campaign_id=campaign.id, kind=LedgerKind.DIGEST)
    since = previous or now - dt.timedelta(days=1)
    counts = _stage_counts(session, campaign)
    totals: dict[str, int] = defaultdict(int)
    per_circo: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for circo, stage, n in counts:
        totals[stage] += n
        per_circo[circo or "(sans circonscription)"][stage] += n
    return {
        "campaign": campaign.name,
        "today": day,
        "deadline": campaign.deadline,
        "total": sum(totals.values()),
        "validated": totals[Stage.VALIDATED.value],
        "stages": _stage_rows(totals),
        "circonscriptions": [
            {"name": name, "stages": _stage_rows(per_circo[name])} for name in sorted(per_circo)
        ],
        "changes": _events(session, campaign, since, now, CHANGE_KINDS),
        "escalated": _events(session, campaign, since, now, (EventKind.ESCALATED,)),
        "failing": _failing(session),
        "without_address": _without_address(session, campaign),
        "dashboard_url": settings.web.base_url.rstrip("/") + "/",
    }


def digest_payload(
    session: Session, settings: Settings, campaign: Campaign, day: dt.date, now: dt.datetime
) -> dict[str, Any]:
    context = digest_context(session, settings, campaign, day, now)
    mail = render(settings.templates_path, LedgerKind.DIGEST, context)
    return {
        **mail,
        "reply_to": settings.contacts.coordinator_email,
        "total": context["total"],
        "validated": context["validated"],
        "escalated": len(context["escalated"]),
        "failing": len(context["failing"]),
    }
