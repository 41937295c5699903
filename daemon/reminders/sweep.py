"""One tick: select the follow-ups whose time has come (SQL), decide (pure), write ledger rows.

`sweep(app, now, dry_run)` is what the scheduler runs every `tick_seconds` and what
`relance sweep --now …` runs once. It never sends: the delivery side claims the rows it writes.
Each batch of schools is one transaction; a dry run writes nothing.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import String, and_, or_, type_coerce
from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from daemon.app import App
from daemon.config import Settings
from daemon.reminders import ending
from daemon.reminders.calendar import (
    SchoolCalendar,
    holiday_data_gap,
    school_holidays_known_until,
)
from daemon.reminders.due import (
    CampaignContext,
    Decision,
    DueState,
    decide_rows,
    today_start,
)
from daemon.reminders.policy import campaign_policy
from daemon.reminders.report import SweepReport
from daemon.reminders.writing import SweepWriter, columns, update_follow_ups
from daemon.school.stage import Stage
from db.campaigns import ensure_follow_ups
from db.engine import reading, transaction
from db.models import Campaign, FollowUp, School

log = logging.getLogger(__name__)
BATCH = 200  # schools per write transaction: about 0.1 s of writing
DUE_COLUMNS: tuple[Any, ...] = (
    FollowUp.id,
    FollowUp.school_id,
    type_coerce(FollowUp.stage, String).label("stage"),  # the text: no enum per row
    type_coerce(FollowUp.stage_since, String).label("stage_since"),
    FollowUp.ladder_stage,
    FollowUp.reminders_without_progress,
    type_coerce(FollowUp.next_reminder_at, String).label("next_reminder_at"),
    type_coerce(FollowUp.last_reminder_at, String).label("last_reminder_at"),
    type_coerce(FollowUp.snoozed_until, String).label("snoozed_until"),
)


@lru_cache(maxsize=16)
def _warn_holiday_gap(name: str, start: dt.date, end: dt.date) -> None:
    """Once per campaign and process: the campaign outlives the shipped holiday data."""
    gap = holiday_data_gap(start, end)
    if gap:
        log.warning("campaign %s: %s", name, gap)


def campaign_context(app: App, campaign: Campaign) -> CampaignContext:
    _warn_holiday_gap(campaign.name, campaign.start, campaign.deadline)
    reminders = app.settings.reminders
    policy = campaign_policy(campaign, reminders)
    return CampaignContext(
        calendar=SchoolCalendar.for_campaign(campaign, policy.window_start, policy.window_end),
        policy=policy,
        start=campaign.start,
        observation_date=campaign.observation_date,
        deadline=campaign.deadline,
    )


def due_query(campaign_id: int, now: dt.datetime, today_start: dt.datetime) -> Any:
    """The follow-ups to decide on: due, never scheduled, or whose stage changed since; with
    the comparisons to `now` that the decision needs, made by SQL (see `decide_rows`)."""
    validated = Stage.VALIDATED.value
    return (
        sa_select(
            *DUE_COLUMNS,
            (col(FollowUp.next_reminder_at) <= now).label("due_now"),
            (col(FollowUp.snoozed_until) > now).label("snoozing"),
            (col(FollowUp.last_reminder_at) >= today_start).label("sent_today"),
        )
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
    query = due_query(campaign_id, now, today_start(ctx, now))
    rows = session.connection().execute(query).all()  # Core: no ORM rows
    return decide_rows(rows, ctx, now)


def sweep(app: App, now: dt.datetime, dry_run: bool = False) -> SweepReport:
    """One tick at `now`; a dry run decides and composes but writes nothing. Every write
    transaction is short: the campaign's row, then each batch's rows, then the digests; the
    deciding, reading and composing happen outside them (the sender and the intake keep
    writing meanwhile)."""
    started = time.perf_counter()
    report = SweepReport(now=now, dry_run=dry_run)
    if dry_run:
        _dry_run(app, now, report)
    else:
        school_holidays_known_until()  # the shipped data, loaded before any write lock is held
        with transaction(app.engine) as session:
            campaign = app.campaign(session, now, follow_ups=False)
            ctx = campaign_context(app, campaign)
            if _over(app.settings, session, campaign, ctx, report):
                return report
            assert campaign.id is not None
            ensure_follow_ups(session, campaign_id=campaign.id, now=now)
        with Session(app.engine) as session:  # closed, not rolled back: see `_batch`
            decisions = _decide(session, ctx, campaign, now, report)
        for start in range(0, len(decisions), BATCH):
            _batch(app, campaign, ctx, now, report, decisions[start : start + BATCH])
        with Session(app.engine) as session:
            digests = SweepWriter(app.settings, session, campaign, ctx, now, report)
            entries = digests.digest_entries()
        with transaction(app.engine) as session:
            SweepWriter(app.settings, session, campaign, ctx, now, report).write_digests(entries)
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


def _batch(
    app: App,
    campaign: Campaign,
    ctx: CampaignContext,
    now: dt.datetime,
    report: SweepReport,
    decisions: Sequence[tuple[int, int, Decision]],
) -> None:
    """One batch of schools: its reminders planned in a reading session (rows read set-wise,
    mails composed), then written in one short transaction."""
    sending = [(fid, d) for fid, _sid, d in decisions if d.send]
    # Closed, not rolled back: its rows keep what was read for the writing (a rollback would
    # expire them).
    with Session(app.engine) as session:
        plans = SweepWriter(app.settings, session, campaign, ctx, now, report).plan(sending)
    with transaction(app.engine) as session:
        writer = SweepWriter(app.settings, session, campaign, ctx, now, report)
        _quiet(writer, decisions)
        writer.write(plans)


def _decide(
    session: Session,
    ctx: CampaignContext,
    campaign: Campaign,
    now: dt.datetime,
    report: SweepReport,
) -> list[tuple[int, int, Decision]]:
    assert campaign.id is not None
    clock = time.perf_counter()
    decisions = decide_due(session, ctx, campaign.id, now)
    report.decide_seconds = time.perf_counter() - clock
    report.examined = len(decisions)
    return decisions


def _dry_run(app: App, now: dt.datetime, report: SweepReport) -> None:
    """Everything in one reading session, rolled back: nothing is written."""
    with reading(app.engine) as session:
        campaign = app.campaign(session, now, follow_ups=False)
        ctx = campaign_context(app, campaign)
        if _over(app.settings, session, campaign, ctx, report):
            return
        assert campaign.id is not None
        ensure_follow_ups(session, campaign_id=campaign.id, now=now)
        decisions = _decide(session, ctx, campaign, now, report)
        writer = SweepWriter(app.settings, session, campaign, ctx, now, report)
        _quiet(writer, decisions)
        writer.reminders([(fid, d) for fid, _sid, d in decisions if d.send])
        writer.digests()


def _over(
    settings: Settings,
    session: Session,
    campaign: Campaign,
    ctx: CampaignContext,
    report: SweepReport,
) -> bool:
    """True when the campaign is not swept: inactive or purged, or its reminders are over (each
    coordinator then gets the final summary, once, in the sweep's transaction)."""
    now = report.now
    if not ending.swept(campaign):
        log.info("sweep at %s: campaign %s is not active, nothing swept", now, campaign.name)
        return True
    if not ending.ended(ctx, now):
        return False
    if not report.dry_run:
        ending.final_summaries(settings, session, campaign, ctx, now, report)
    return True


def _quiet(writer: SweepWriter, decisions: Sequence[tuple[int, int, Decision]]) -> None:
    """The follow-ups with no mail today in bulk: their new due moment."""
    quiet = [(fid, d) for fid, _sid, d in decisions if not d.send]
    for started in (True, False):
        update_follow_ups(writer.session, [columns(f, d) for f, d in quiet if d.started is started])
    report = writer.report
    report.stopped += sum(1 for _f, d in quiet if d.next_reminder_at is None)
    report.scheduled += sum(1 for _f, d in quiet if d.next_reminder_at is not None)
