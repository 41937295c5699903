"""Writing a sweep's decisions: the ledger rows (reminders, escalations, digests), the
follow-up's new columns and the events, inside the caller's transaction."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from daemon.app import App
from daemon.reminders.compose import plural
from daemon.reminders.digest import digest_day, digest_key, digest_payload
from daemon.reminders.due import (
    CampaignContext,
    Decision,
    not_counted,
    with_escalations,
    with_progress,
)
from daemon.reminders.mails import escalation_mail, open_count, open_items, reminder_payload
from daemon.reminders.policy import POLICY_LABELS
from daemon.reminders.report import Planned, SweepReport
from db.events import record_event
from db.models import Campaign, FollowUp, Reminder, School
from db.states import EventKind, MailKind, ReminderStatus


def columns(follow_up_id: int, d: Decision) -> dict[str, Any]:
    """The follow-up's new columns; the ladder only when a stage starts (or a reminder left)."""
    values: dict[str, Any] = {
        "id": follow_up_id,
        "next_reminder_at": d.next_reminder_at,
        "ladder_stage": d.policy_stage if d.next_reminder_at else "",
        "reminders_without_progress": d.reminders_without_progress,
    }
    if d.started or d.send:
        values["ladder"] = list(d.ladder)
        values["escalations_done"] = list(d.escalations_done)
        values["escalated"] = bool(d.escalations_done)
    return values


def _previous_open_count(session: Session, follow_up: FollowUp, stage: str) -> int | None:
    query = (
        select(Reminder.payload)
        .where(
            Reminder.school_id == follow_up.school_id,
            Reminder.campaign_id == follow_up.campaign_id,
            Reminder.kind == MailKind.REMINDER,
            Reminder.stage == stage,
        )
        .order_by(col(Reminder.day).desc())
        .limit(1)
    )
    payload = session.exec(query).first()
    value = (payload or {}).get("open_count")
    return None if value is None else int(value)


def write_reminder(
    app: App,
    session: Session,
    campaign: Campaign,
    ctx: CampaignContext,
    follow_up_id: int,
    decision: Decision,
    now: dt.datetime,
    report: SweepReport,
) -> None:
    follow_up = session.get(FollowUp, follow_up_id)
    assert follow_up is not None
    school = session.get(School, follow_up.school_id)
    assert school is not None
    items = open_items(session, app.settings, school, campaign, now)
    previous = _previous_open_count(session, follow_up, decision.policy_stage)
    done = tuple(follow_up.escalations_done or ())
    if not decision.started and previous is not None and open_count(items) < previous:
        decision, done = with_progress(decision), ()
        follow_up.last_progress_at = now
        _event(session, follow_up, now, EventKind.PROGRESS, "Progrès depuis la dernière relance")
    reachable = bool(school.director_email) and not school.email_failing_since
    if reachable:
        decision = with_escalations(decision, tuple(follow_up.ladder or ()), done)
    else:
        decision = not_counted(decision, tuple(follow_up.ladder or ()), done)
    day = ctx.calendar.local_day(now)
    payload = reminder_payload(
        app.settings,
        school=school,
        campaign=campaign,
        items=items,
        stage=decision.policy_stage,
        number=decision.reminders_without_progress,
        now=now,
    )
    key = f"{school.uai}:{campaign.name}:reminder:{day.isoformat()}"
    if not reachable:
        why = "adresse en échec" if school.director_email else "aucune adresse de direction"
        report.skipped.append(f"{school.uai} : relance non préparée ({why})")
        _event(session, follow_up, now, EventKind.REMINDER_SKIPPED, f"Relance non préparée : {why}")
    elif _add_row(
        session,
        campaign,
        school,
        key,
        MailKind.REMINDER,
        decision,
        payload,
        now,
        school.director_email,
    ):
        report.created.append(
            Planned(
                MailKind.REMINDER,
                key,
                school.director_email,
                payload["subject"],
                school.uai,
                decision.policy_stage,
            )
        )
        _event(
            session,
            follow_up,
            now,
            EventKind.REMINDER_QUEUED,
            f"Relance préparée ({POLICY_LABELS.get(decision.policy_stage, '')}) "
            f"pour {school.director_email}",
        )
    for key_name, value in columns(follow_up_id, decision).items():
        if key_name != "id":
            setattr(follow_up, key_name, value)
    follow_up.last_reminder_at = now
    follow_up.updated_at = now
    for step in decision.escalate:
        _escalate(app, session, campaign, school, follow_up, items, decision, step, now, report)


def _add_row(
    session: Session,
    campaign: Campaign,
    school: School | None,
    key: str,
    kind: MailKind,
    decision: Decision | None,
    payload: dict[str, Any],
    now: dt.datetime,
    recipient: str,
) -> bool:
    """Write one ledger row, unless its key is already there (a second tick the same day)."""
    if session.exec(select(Reminder.id).where(Reminder.key == key)).first() is not None:
        return False
    session.add(
        Reminder(
            key=key,
            school_id=school.id if school else None,
            campaign_id=campaign.id,
            kind=kind,
            stage=decision.policy_stage if decision else "",
            day=now.date() if school is None else now.astimezone(_tz(campaign)).date(),
            recipient=recipient,
            payload=payload,
            due_at=now,
            next_attempt_at=now,
            status=ReminderStatus.PENDING,
            created_at=now,
        )
    )
    session.flush()
    return True


def _tz(campaign: Campaign) -> ZoneInfo:
    return ZoneInfo(campaign.timezone)


def _escalate(
    app: App,
    session: Session,
    campaign: Campaign,
    school: School,
    follow_up: FollowUp,
    items: Any,
    decision: Decision,
    step: dict[str, Any],
    now: dt.datetime,
    report: SweepReport,
) -> None:
    count = decision.reminders_without_progress
    label = POLICY_LABELS.get(decision.policy_stage, decision.policy_stage)
    if step["notify"] == "coordinator":
        message = f"Signalée à la coordination : {_without_progress(count)} ({label})"
        _event(session, follow_up, now, EventKind.ESCALATED, message, {"notify": "coordinator"})
        report.escalations.append(f"{school.uai} : coordination")
        return
    mail = escalation_mail(
        app.settings,
        school=school,
        campaign=campaign,
        follow_up=follow_up,
        items=items,
        stage=decision.policy_stage,
        count=count,
    )
    if mail is None:
        _event(session, follow_up, now, EventKind.ESCALATED, "Aucun contact d'assistance configuré")
        return
    day = now.astimezone(_tz(campaign)).date()
    key = f"{school.uai}:{campaign.name}:escalation:{day.isoformat()}:{step['after']}"
    if _add_row(
        session,
        campaign,
        school,
        key,
        MailKind.ESCALATION,
        decision,
        mail.payload,
        now,
        mail.recipient,
    ):
        report.created.append(
            Planned(
                MailKind.ESCALATION,
                key,
                mail.recipient,
                mail.payload["subject"],
                school.uai,
                decision.policy_stage,
            )
        )
    report.escalations.append(f"{school.uai} : {mail.recipient}")
    _event(
        session,
        follow_up,
        now,
        EventKind.ESCALATED,
        f"Signalée à l'assistance ({mail.recipient}) : {_without_progress(count)} ({label})",
        {"notify": "support", "to": mail.recipient, "category": mail.payload["category"]},
    )


def _without_progress(count: int) -> str:
    return f"{plural(count, 'relance')} sans progrès"


def _event(
    session: Session,
    follow_up: FollowUp,
    now: dt.datetime,
    kind: EventKind,
    message: str,
    data: dict[str, Any] | None = None,
) -> None:
    record_event(
        session,
        at=now,
        kind=kind,
        school_id=follow_up.school_id,
        campaign_id=follow_up.campaign_id,
        message=message,
        data=data,
    )


def write_digests(
    app: App,
    session: Session,
    campaign: Campaign,
    ctx: CampaignContext,
    now: dt.datetime,
    report: SweepReport,
) -> None:
    day = digest_day(ctx.calendar, now, ctx.policy.digest_time)
    if day is None or not app.settings.contacts.coordinators:
        return
    payload: dict[str, Any] | None = None
    for recipient in app.settings.contacts.coordinators:
        key = digest_key(campaign, recipient, day)
        if session.exec(select(Reminder.id).where(Reminder.key == key)).first() is not None:
            continue
        payload = payload or digest_payload(session, app.settings, campaign, day, now)
        session.add(
            Reminder(
                key=key,
                campaign_id=campaign.id,
                kind=MailKind.DIGEST,
                day=day,
                recipient=recipient,
                payload=payload,
                due_at=now,
                next_attempt_at=now,
                created_at=now,
            )
        )
        report.created.append(Planned(MailKind.DIGEST, key, recipient, payload["subject"]))
    session.flush()
