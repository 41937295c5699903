"""The coordinators' daily digest: one mail per coordinator per school day, at `digest_time`
(or at the first tick after it, when the daemon was down): schools per stage and
circonscription, what changed since the previous digest, schools escalated, failing addresses."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from daemon.config import Settings
from daemon.reminders.calendar import SchoolCalendar
from daemon.reminders.compose import DAYS, long_date, render
from daemon.reminders.report import Planned, SweepReport
from daemon.school.stage import STAGE_ORDER, Stage
from db.ledger import Entry, enqueue, find, last_digest_at, ledger_key
from db.models import Campaign, Event, FollowUp, School
from db.states import EventKind, LedgerKind

CHANGE_KINDS = (
    EventKind.STAGE_CHANGED,
    EventKind.VALIDATION_DECLARED,
    EventKind.VALIDATION_CONFIRMED,
    EventKind.PROBLEM_REPORTED,
)
MAX_LINES = 200


@dataclass(frozen=True)
class DigestScope:
    """Whose digest: its recipient (changes since the last digest that recipient was sent),
    the circonscriptions it covers (none: all) and the calendar that names the days."""

    recipient: str = ""
    circonscriptions: tuple[str, ...] = ()
    calendar: SchoolCalendar | None = None


def digest_day(cal: SchoolCalendar, now: dt.datetime, digest_time: dt.time) -> dt.date | None:
    """The school day whose digest is due at `now` (None before digest_time or on a day off)."""
    local = now.astimezone(cal.timezone)
    if not cal.is_school_day(local.date()) or local.time().replace(tzinfo=None) < digest_time:
        return None
    return local.date()


def _within(query: Any, circonscriptions: tuple[str, ...]) -> Any:
    """The query limited to these circonscriptions (none: the whole territory)."""
    if not circonscriptions:
        return query
    return query.where(col(School.circonscription).in_(circonscriptions))


def _stage_counts(
    session: Session, campaign: Campaign, circonscriptions: tuple[str, ...]
) -> list[tuple[str, str, int]]:
    query = (
        select(School.circonscription, FollowUp.stage, func.count())
        .join(School, col(School.id) == FollowUp.school_id)
        .where(FollowUp.campaign_id == campaign.id, col(School.active).is_(True))
        .group_by(School.circonscription, FollowUp.stage)
    )
    query = _within(query, circonscriptions)
    return [(c or "", s, int(n)) for c, s, n in session.exec(query).all()]


def _stage_rows(counts: dict[str, int]) -> list[dict[str, Any]]:
    return [{"label": s.label, "count": counts[s.value]} for s in STAGE_ORDER if counts[s.value]]


def _events(
    session: Session,
    campaign: Campaign,
    since: dt.datetime,
    now: dt.datetime,
    kinds: tuple[EventKind, ...],
    circonscriptions: tuple[str, ...] = (),
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
    query = _within(query, circonscriptions)
    return [{"school": s.name, "uai": s.uai, "message": e.message} for e, s in session.exec(query)]


def _failing(session: Session, circonscriptions: tuple[str, ...]) -> list[dict[str, str]]:
    query = (
        select(School)
        .where(col(School.active).is_(True), col(School.email_failing_since).is_not(None))
        .order_by(col(School.uai))
        .limit(MAX_LINES)
    )
    query = _within(query, circonscriptions)
    return [
        {"school": s.name, "uai": s.uai, "email": s.director_email, "error": s.email_failure}
        for s in session.exec(query)
    ]


def since_words(cal: SchoolCalendar, since: dt.datetime, day: dt.date) -> str:
    """What « Ce qui a changé depuis … » says: « hier », « vendredi » (within the week), or
    « le lundi 5 octobre 2026 »."""
    then = cal.local_day(since)
    if then >= day - dt.timedelta(days=1):
        return "hier"
    if then > day - dt.timedelta(days=7):
        return DAYS[then.weekday()]
    return f"le {long_date(then)}"


def _without_address(
    session: Session, campaign: Campaign, circonscriptions: tuple[str, ...]
) -> list[dict[str, str]]:
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
    query = _within(query, circonscriptions)
    return [{"school": s.name, "uai": s.uai} for s in session.exec(query)]


def digest_context(
    session: Session,
    settings: Settings,
    campaign: Campaign,
    day: dt.date,
    now: dt.datetime,
    scope: DigestScope | None = None,
) -> dict[str, Any]:
    assert campaign.id is not None
    scope = scope or DigestScope()
    previous = last_digest_at(session, campaign_id=campaign.id, recipient=scope.recipient)
    since = previous or now - dt.timedelta(days=1)
    circos = scope.circonscriptions
    counts = _stage_counts(session, campaign, circos)
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
        "since": since_words(scope.calendar, since, day) if scope.calendar else "hier",
        "scope": ", ".join(circos),
        "changes": _events(session, campaign, since, now, CHANGE_KINDS, circos),
        "escalated": _events(session, campaign, since, now, (EventKind.ESCALATED,), circos),
        "failing": _failing(session, circos),
        "without_address": _without_address(session, campaign, circos),
        "dashboard_url": settings.web.base_url.rstrip("/") + "/",
    }


def digest_payload(
    session: Session,
    settings: Settings,
    campaign: Campaign,
    day: dt.date,
    now: dt.datetime,
    scope: DigestScope | None = None,
) -> dict[str, Any]:
    context = digest_context(session, settings, campaign, day, now, scope)
    mail = render(settings.templates_path, LedgerKind.DIGEST, context)
    return {
        **mail,
        "reply_to": settings.contacts.coordinator_email,
        "total": context["total"],
        "validated": context["validated"],
        "escalated": len(context["escalated"]),
        "failing": len(context["failing"]),
    }


def queue_to_coordinators(
    session: Session,
    settings: Settings,
    campaign: Campaign,
    *,
    day: dt.date,
    now: dt.datetime,
    payload_for: Callable[[str], dict[str, Any]],
    report: SweepReport,
    send_before: dt.datetime | None = None,
) -> None:
    """A coordinator's mail of `day` (a digest, or the final summary) to each coordinator
    not sent it yet: one digest row per coordinator and day."""
    entries = coordinator_entries(
        session,
        settings,
        campaign,
        day=day,
        now=now,
        payload_for=payload_for,
        send_before=send_before,
    )
    write_coordinator_entries(session, entries, report)


def coordinator_entries(
    session: Session,
    settings: Settings,
    campaign: Campaign,
    *,
    day: dt.date,
    now: dt.datetime,
    payload_for: Callable[[str], dict[str, Any]],
    send_before: dt.datetime | None = None,
) -> list[Entry]:
    """Reading only: the coordinators' mails of `day` not queued yet, their payloads built."""
    entries = []
    for recipient in settings.contacts.coordinators:
        key = ledger_key(LedgerKind.DIGEST, campaign=campaign.name, day=day, recipient=recipient)
        if find(session, key) is not None:
            continue
        entries.append(
            Entry(
                kind=LedgerKind.DIGEST,
                key=key,
                recipient=recipient,
                payload=payload_for(recipient),
                day=day,
                due_at=now,
                created_at=now,
                campaign_id=campaign.id,
                send_before=send_before,
            )
        )
    return entries


def write_coordinator_entries(
    session: Session, entries: Sequence[Entry], report: SweepReport
) -> None:
    """Queue the coordinators' mails (a row already there for the day is left as it is)."""
    for entry in entries:
        if enqueue(session, entry).new:
            subject = entry.payload["subject"]
            report.created.append(Planned(LedgerKind.DIGEST, entry.key, entry.recipient, subject))
