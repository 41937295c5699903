"""Campaigns and each school's follow-up in a campaign."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from db.events import record_event
from db.models import Campaign, FollowUp, School
from db.states import EventKind, Stage

CALENDAR_FIELDS = (
    "start",
    "observation_date",
    "deadline",
    "timezone",
    "holiday_zone",
    "extra_days_off",
    "validation_requires_confirmation",
    "retention_days",
    "policy",
)


def get_campaign(session: Session, *, name: str) -> Campaign | None:
    return session.exec(select(Campaign).where(Campaign.name == name)).first()


# The settings that belong to one school year: a campaign opened by `relance campaign new`
# keeps its own, whatever the configuration (written for the campaign it names) says.
YEAR_FIELDS = ("start", "observation_date", "deadline", "extra_days_off")


def active_campaign(session: Session) -> Campaign | None:
    """The campaign being followed: the newest active one (by its start), never a purged one.
    Opening a new school year (`open_campaign`) makes it this one."""
    query = (
        select(Campaign)
        .where(col(Campaign.active).is_(True), col(Campaign.purged_at).is_(None))
        .order_by(col(Campaign.start).desc(), col(Campaign.id).desc())
    )
    return session.exec(query).first()


def past_campaigns(session: Session, *, current: Campaign) -> list[Campaign]:
    """The campaigns before `current` whose data is still there (not purged), newest first:
    readable, never swept."""
    query = (
        select(Campaign)
        .where(
            col(Campaign.id) != current.id,
            col(Campaign.purged_at).is_(None),
            col(Campaign.start) < current.start,
        )
        .order_by(col(Campaign.start).desc())
    )
    return list(session.exec(query))


def all_campaigns(session: Session) -> list[Campaign]:
    """Every campaign kept (purged ones included: their counts stay), newest first."""
    return list(session.exec(select(Campaign).order_by(col(Campaign.start).desc())))


def validated_count(session: Session, *, campaign_id: int | None) -> tuple[int, int]:
    """How many schools the campaign followed, and how many of them validated."""
    query = select(FollowUp.stage, func.count()).where(FollowUp.campaign_id == campaign_id)
    by_stage = {str(stage): count for stage, count in session.exec(query.group_by(FollowUp.stage))}
    return sum(by_stage.values()), by_stage.get(Stage.VALIDATED.value, 0)


class CampaignRefused(ValueError):
    """A new campaign that cannot be opened; the message says why, in French."""


def open_campaign(
    session: Session, *, name: str, calendar: dict[str, Any], now: dt.datetime, actor: str
) -> Campaign:
    """Open the next school year's campaign: it becomes the one followed and every other
    campaign stops being swept (each with an event); their rows stay readable until purged."""
    if get_campaign(session, name=name) is not None:
        raise CampaignRefused(f"la campagne {name} existe déjà")
    current = active_campaign(session)
    if current is not None and calendar["start"] <= current.start:
        raise CampaignRefused(
            f"la campagne {name} doit commencer après la campagne en cours {current.name} "
            f"(début le {current.start:%d/%m/%Y})"
        )
    campaign = _create(session, name=name, calendar=calendar, now=now)
    if campaign is None:
        raise CampaignRefused(f"la campagne {name} vient d'être ouverte par un autre processus")
    _close_others(session, campaign=campaign, now=now, actor=actor)
    return campaign


def _close_others(session: Session, *, campaign: Campaign, now: dt.datetime, actor: str) -> None:
    others = session.exec(
        select(Campaign).where(col(Campaign.active).is_(True), col(Campaign.id) != campaign.id)
    ).all()
    for other in others:
        other.active = False
        session.add(other)
        record_event(
            session,
            at=now,
            kind=EventKind.CAMPAIGN_UPDATED,
            campaign_id=other.id,
            actor=actor,
            message=f"Campagne {other.name} close : la campagne {campaign.name} est ouverte "
            "(relances arrêtées, suivi consultable jusqu'à la purge)",
            data={"fields": ["active"], "old": {"active": True}, "new": {"active": False}},
        )
    session.flush()


def ensure_campaign(
    session: Session, *, now: dt.datetime, name: str, calendar: dict[str, Any]
) -> Campaign:
    """The campaign, created from the configuration's calendar when it does not exist yet.

    An existing campaign is returned as stored: its settings change only through
    `apply_calendar` (when the daemon starts, or `relance config apply`), never because a
    command was run from a shell with another environment.
    """
    campaign = get_campaign(session, name=name)
    if campaign is None:
        created = _create(session, name=name, calendar=calendar, now=now)
        if created is not None:
            return created
        campaign = get_campaign(session, name=name)  # another process created it meanwhile
        assert campaign is not None
    return campaign


def apply_calendar(
    session: Session, *, campaign: Campaign, calendar: dict[str, Any], now: dt.datetime, actor: str
) -> list[str]:
    """Bring the campaign's settings in line with the configuration; one event with the old and
    new value of each changed setting. Returns the names of the changed settings.

    Ladders already running on follow-ups are copies: changing the policy here never
    changes them."""
    changed = [k for k in CALENDAR_FIELDS if k in calendar and getattr(campaign, k) != calendar[k]]
    if not changed:
        return []
    old = {key: _jsonable(getattr(campaign, key)) for key in changed}
    for key in changed:
        setattr(campaign, key, calendar[key])
    record_event(
        session,
        at=now,
        kind=EventKind.CAMPAIGN_UPDATED,
        campaign_id=campaign.id,
        actor=actor,
        message="Réglages de la campagne modifiés : " + ", ".join(changed),
        data={"fields": changed, "old": old, "new": {k: _jsonable(calendar[k]) for k in changed}},
    )
    return changed


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value


def _create(
    session: Session, *, name: str, calendar: dict[str, Any], now: dt.datetime
) -> Campaign | None:
    """The new campaign and its event; None when another process created it first (two
    daemons starting together on PostgreSQL)."""
    campaign = Campaign(name=name, created_at=now, **calendar)
    try:
        with session.begin_nested():
            session.add(campaign)
            session.flush()
    except IntegrityError:
        return None
    observation = calendar["observation_date"]
    record_event(
        session,
        at=now,
        kind=EventKind.CAMPAIGN_CREATED,
        campaign_id=campaign.id,
        message=f"Campagne {name} ouverte (observation le {observation:%d/%m/%Y})",
    )
    return campaign


def get_follow_up(session: Session, *, school_id: int, campaign_id: int) -> FollowUp | None:
    query = select(FollowUp).where(
        FollowUp.school_id == school_id, FollowUp.campaign_id == campaign_id
    )
    return session.exec(query).first()


def follow_up_for(
    session: Session, *, school_id: int, campaign_id: int, now: dt.datetime
) -> FollowUp:
    """The school's follow-up in the campaign, created on first use."""
    follow_up = get_follow_up(session, school_id=school_id, campaign_id=campaign_id)
    if follow_up is None:
        follow_up = FollowUp(
            school_id=school_id, campaign_id=campaign_id, stage_since=now, updated_at=now
        )
        session.add(follow_up)
        session.flush()
    return follow_up


def ensure_follow_ups(session: Session, *, campaign_id: int, now: dt.datetime) -> int:
    """Open a follow-up for every active school that has none yet; returns how many."""
    have = select(FollowUp.school_id).where(FollowUp.campaign_id == campaign_id)
    missing = session.exec(
        select(School.id).where(col(School.active).is_(True), col(School.id).not_in(have))
    ).all()
    for school_id in missing:
        assert school_id is not None
        session.add(
            FollowUp(school_id=school_id, campaign_id=campaign_id, stage_since=now, updated_at=now)
        )
    session.flush()
    return len(missing)
