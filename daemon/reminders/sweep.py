"""One tick: select the follow-ups whose time has come (SQL), decide (pure), write ledger rows.

`sweep(app, now, dry_run)` is what the scheduler runs every `tick_seconds` and what
`relance sweep --now …` runs once. It never sends: the delivery side claims the rows it writes.
Each batch of schools is one transaction; a dry run writes nothing.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import String, and_, or_, type_coerce, update
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from daemon.app import App
from daemon.campaign import Stage
from daemon.reminders.calendar import SchoolCalendar
from daemon.reminders.digest import digest_day, digest_key, digest_payload
from daemon.reminders.due import (
    CampaignContext,
    Decision,
    DueState,
    decide,
    with_escalations,
    with_progress,
)
from daemon.reminders.mails import (
    escalation_mail,
    open_count,
    open_items,
    reminder_payload,
)
from daemon.reminders.policy import POLICY_LABELS, campaign_policy
from db.engine import reading, transaction
from db.events import record_event
from db.models import Campaign, FollowUp, Reminder, School

log = logging.getLogger(__name__)
BATCH = 500
DUE_COLUMNS: tuple[Any, ...] = (
    FollowUp.id,
    FollowUp.school_id,
    FollowUp.stage,
    type_coerce(FollowUp.stage_since, String).label("stage_since"),
    FollowUp.ladder_stage,
    FollowUp.reminders_without_progress,
    type_coerce(FollowUp.next_reminder_at, String).label("next_reminder_at"),
    type_coerce(FollowUp.last_reminder_at, String).label("last_reminder_at"),
    type_coerce(FollowUp.snoozed_until, String).label("snoozed_until"),
)


@dataclass(frozen=True)
class Planned:
    """A ledger row written by the sweep (or that a dry run would write)."""

    kind: str  # reminder | escalation | digest
    key: str
    recipient: str
    subject: str
    uai: str = ""
    stage: str = ""


@dataclass
class SweepReport:
    now: dt.datetime
    dry_run: bool = False
    examined: int = 0
    created: list[Planned] = field(default_factory=list)
    scheduled: int = 0
    stopped: int = 0
    skipped: list[str] = field(default_factory=list)  # French, one line per school
    escalations: list[str] = field(default_factory=list)
    decide_seconds: float = 0.0
    seconds: float = 0.0

    def kinds(self, kind: str) -> list[Planned]:
        return [p for p in self.created if p.kind == kind]


def campaign_context(app: App, campaign: Campaign) -> CampaignContext:
    reminders = app.settings.reminders
    policy = campaign_policy(campaign, reminders)
    return CampaignContext(
        calendar=SchoolCalendar.for_campaign(campaign, policy.window_start, policy.window_end),
        policy=policy,
        start=campaign.start,
        observation_date=campaign.observation_date,
        deadline=campaign.deadline,
    )


def due_query(campaign_id: int, now: dt.datetime) -> Any:
    """The follow-ups to decide on: due, never scheduled, or whose stage changed since."""
    validated = Stage.VALIDATED.value
    return (
        sa_select(*DUE_COLUMNS)
        .join(School, col(School.id) == FollowUp.school_id)
        .where(
            col(FollowUp.campaign_id) == campaign_id,
            col(School.active).is_(True),
            or_(
                col(FollowUp.next_reminder_at) <= now,
                and_(  # never scheduled, or its stage changed since (new evidence)
                    col(FollowUp.stage) != validated,
                    or_(
                        col(FollowUp.next_reminder_at).is_(None),
                        col(FollowUp.ladder_stage) != col(FollowUp.stage),
                    ),
                ),
                and_(  # validated since: stop its reminders
                    col(FollowUp.stage) == validated,
                    col(FollowUp.next_reminder_at).is_not(None),
                ),
            ),
        )
        .order_by(col(FollowUp.id))
    )


def due_state(row: Any) -> DueState:
    return DueState(
        stage=row.stage,
        stage_since=row.stage_since,
        ladder_stage=row.ladder_stage,
        reminders_without_progress=row.reminders_without_progress,
        next_reminder_at=row.next_reminder_at,
        last_reminder_at=row.last_reminder_at,
        snoozed_until=row.snoozed_until,
    )


def decide_due(
    session: Session, ctx: CampaignContext, campaign_id: int, now: dt.datetime
) -> list[tuple[int, int, Decision]]:
    """(follow-up id, school id, decision) for every follow-up due at `now`."""
    rows = session.connection().execute(due_query(campaign_id, now)).all()  # Core: no ORM rows
    return [(row.id, row.school_id, decide(row, ctx, now)) for row in rows]


@contextmanager
def _writing(app: App, dry_run: bool) -> Iterator[Session]:
    if dry_run:
        with reading(app.engine) as session:
            yield session
    else:
        with transaction(app.engine) as session:
            yield session


def sweep(app: App, now: dt.datetime, dry_run: bool = False) -> SweepReport:
    """One tick at `now`; a dry run decides and composes but writes nothing."""
    started = time.perf_counter()
    report = SweepReport(now=now, dry_run=dry_run)
    with _writing(app, dry_run) as session:
        campaign = app.campaign(session, now)
        assert campaign.id is not None
        ctx = campaign_context(app, campaign)
        clock = time.perf_counter()
        decisions = decide_due(session, ctx, campaign.id, now)
        report.decide_seconds = time.perf_counter() - clock
        report.examined = len(decisions)
        if dry_run:
            _apply(app, session, campaign, ctx, decisions, now, report)
            _digests(app, session, campaign, ctx, now, report)
    if not dry_run:
        for start in range(0, len(decisions), BATCH):
            with transaction(app.engine) as session:
                batch_campaign = session.get(Campaign, campaign.id)
                assert batch_campaign is not None
                batch = decisions[start : start + BATCH]
                _apply(app, session, batch_campaign, ctx, batch, now, report)
        with transaction(app.engine) as session:
            digest_campaign = session.get(Campaign, campaign.id)
            assert digest_campaign is not None
            _digests(app, session, digest_campaign, ctx, now, report)
    report.seconds = time.perf_counter() - started
    log.info(
        "sweep at %s: %d examined, %d mails, %d scheduled in %.3fs (deciding %.3fs)%s",
        now.isoformat(),
        report.examined,
        len(report.created),
        report.scheduled,
        report.seconds,
        report.decide_seconds,
        " (dry run)" if dry_run else "",
    )
    return report


def _apply(
    app: App,
    session: Session,
    campaign: Campaign,
    ctx: CampaignContext,
    decisions: Sequence[tuple[int, int, Decision]],
    now: dt.datetime,
    report: SweepReport,
) -> None:
    quiet = [(fid, d) for fid, _sid, d in decisions if not d.send]
    for started in (True, False):
        rows = [_columns(fid, d) for fid, d in quiet if d.started is started]
        if rows:
            session.execute(
                update(FollowUp), rows, execution_options={"synchronize_session": False}
            )
    report.stopped += sum(1 for _f, d in quiet if d.next_reminder_at is None)
    report.scheduled += sum(1 for _f, d in quiet if d.next_reminder_at is not None)
    for follow_up_id, _school_id, decision in decisions:
        if decision.send:
            _send(app, session, campaign, ctx, follow_up_id, decision, now, report)


def _columns(follow_up_id: int, d: Decision) -> dict[str, Any]:
    """The follow-up's new columns; the ladder only when a stage starts (or a reminder left)."""
    columns: dict[str, Any] = {
        "id": follow_up_id,
        "next_reminder_at": d.next_reminder_at,
        "ladder_stage": d.policy_stage if d.next_reminder_at else "",
        "reminders_without_progress": d.reminders_without_progress,
    }
    if d.started or d.send:
        columns["ladder"] = list(d.ladder)
        columns["escalations_done"] = list(d.escalations_done)
    return columns


def _previous_open_count(session: Session, follow_up: FollowUp, stage: str) -> int | None:
    query = (
        select(Reminder.payload)
        .where(
            Reminder.school_id == follow_up.school_id,
            Reminder.campaign_id == follow_up.campaign_id,
            Reminder.kind == "reminder",
            Reminder.stage == stage,
        )
        .order_by(col(Reminder.day).desc())
        .limit(1)
    )
    payload = session.exec(query).first()
    value = (payload or {}).get("open_count")
    return None if value is None else int(value)


def _send(
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
        _event(session, follow_up, now, "progress", "Progrès depuis la dernière relance")
    decision = with_escalations(decision, tuple(follow_up.ladder or ()), done)
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
    if not school.director_email or school.email_failing_since:
        why = "adresse en échec" if school.director_email else "aucune adresse de direction"
        report.skipped.append(f"{school.uai} : relance non préparée ({why})")
        _event(session, follow_up, now, "reminder_skipped", f"Relance non préparée : {why}")
    elif _add_row(
        session, campaign, school, key, "reminder", decision, payload, now, school.director_email
    ):
        report.created.append(
            Planned(
                "reminder",
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
            "reminder_queued",
            f"Relance préparée ({POLICY_LABELS.get(decision.policy_stage, '')}) "
            f"pour {school.director_email}",
        )
    for key_name, value in _columns(follow_up_id, decision).items():
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
    kind: str,
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
            status="pending",
            created_at=now,
        )
    )
    session.flush()
    return True


def _tz(campaign: Campaign) -> Any:
    from zoneinfo import ZoneInfo

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
        message = f"Signalée à la coordination : {count} relances sans progrès ({label})"
        _event(session, follow_up, now, "escalated", message, {"notify": "coordinator"})
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
        _event(session, follow_up, now, "escalated", "Aucun contact d'assistance configuré")
        return
    day = now.astimezone(_tz(campaign)).date()
    key = f"{school.uai}:{campaign.name}:escalation:{day.isoformat()}:{step['after']}"
    if _add_row(
        session, campaign, school, key, "escalation", decision, mail.payload, now, mail.recipient
    ):
        report.created.append(
            Planned(
                "escalation",
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
        "escalated",
        f"Signalée à l'assistance ({mail.recipient}) : {count} relances sans progrès ({label})",
        {"notify": "support", "to": mail.recipient, "category": mail.payload["category"]},
    )


def _event(
    session: Session,
    follow_up: FollowUp,
    now: dt.datetime,
    kind: str,
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


def _digests(
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
                kind="digest",
                day=day,
                recipient=recipient,
                payload=payload,
                due_at=now,
                next_attempt_at=now,
                created_at=now,
            )
        )
        report.created.append(Planned("digest", key, recipient, payload["subject"]))
    session.flush()
