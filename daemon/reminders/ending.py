"""The end of a campaign's reminders: `reminders.stop_after_days` school days after the deadline
no reminder is written any more; each coordinator gets one last summary of the schools still not
validated (a digest row keyed on the last day, so written once whatever the ticks), and the
daily digests stop. A campaign that is inactive or purged is never swept.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlmodel import Session, col, select

from daemon.config import Settings
from daemon.reminders.compose import environment
from daemon.reminders.digest import queue_to_coordinators
from daemon.reminders.due import CampaignContext
from daemon.reminders.report import SweepReport
from daemon.school.stage import Stage
from db.models import Campaign, FollowUp, School

MAX_LINES = 500


def last_day(ctx: CampaignContext) -> dt.date | None:
    """The last school day reminders are written (None: they never stop)."""
    stop_after = ctx.policy.stop_after_days
    if not stop_after:
        return None
    return ctx.calendar.add_school_days(ctx.deadline, stop_after)


def ended(ctx: CampaignContext, now: dt.datetime) -> bool:
    """Whether the campaign's reminders are over at `now`."""
    last = last_day(ctx)
    return last is not None and ctx.calendar.local_day(now) > last


def swept(campaign: Campaign) -> bool:
    """Whether the campaign is swept at all: an inactive or purged campaign never is."""
    return campaign.active and campaign.purged_at is None


def _open_schools(session: Session, campaign: Campaign) -> tuple[int, list[dict[str, str]]]:
    query = (
        select(School, FollowUp.stage)
        .join(FollowUp, col(FollowUp.school_id) == School.id)
        .where(FollowUp.campaign_id == campaign.id, col(School.active).is_(True))
        .order_by(col(School.circonscription), col(School.uai))
    )
    rows = list(session.exec(query))
    still = [
        {
            "name": school.name,
            "uai": school.uai,
            "circonscription": school.circonscription,
            "stage": Stage(stage).label,
        }
        for school, stage in rows
        if stage != Stage.VALIDATED
    ]
    return len(rows), still[:MAX_LINES]


def summary_payload(
    session: Session, settings: Settings, campaign: Campaign, ctx: CampaignContext, day: dt.date
) -> dict[str, Any]:
    total, still = _open_schools(session, campaign)
    context = {
        "campaign": campaign.name,
        "today": day,
        "deadline": campaign.deadline,
        "stop_after": ctx.policy.stop_after_days,
        "total": total,
        "validated": total - len(still),
        "open": still,
        "dashboard_url": settings.web.base_url.rstrip("/") + "/",
        "coordinator_name": settings.contacts.coordinator_name,
    }
    env = environment(settings.templates_path)
    subject = " ".join(env.get_template("summary/subject.txt").render(context).split())
    context["subject"] = subject
    return {
        "subject": subject,
        "text": env.get_template("summary/body.txt").render(context),
        "html": env.get_template("summary/body.html").render(context),
        "reply_to": settings.contacts.coordinator_email,
        "final": True,
        "open": len(still),
    }


def final_summaries(
    settings: Settings,
    session: Session,
    campaign: Campaign,
    ctx: CampaignContext,
    now: dt.datetime,
    report: SweepReport,
) -> None:
    """Each coordinator's last summary, once (keyed on the day after the last reminders)."""
    last = last_day(ctx)
    if last is None or not settings.contacts.coordinators:
        return
    day = last + dt.timedelta(days=1)
    payload: dict[str, Any] = {}

    def payload_for(_recipient: str) -> dict[str, Any]:
        payload.update(payload or summary_payload(session, settings, campaign, ctx, day))
        return payload

    queue_to_coordinators(
        session, settings, campaign, day=day, now=now, payload_for=payload_for, report=report
    )
