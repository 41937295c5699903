"""What every entry point shares: the settings, one engine, the campaign, the clocks, and the
process's name among the daemons sharing the database. Nothing else: what the parts of a running
daemon know of one another goes through the database (`db.health`)."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from daemon.clock import utc_now
from daemon.config import Settings
from db.campaigns import (
    YEAR_FIELDS,
    CampaignRefused,
    active_campaign,
    apply_calendar,
    ensure_campaign,
    ensure_follow_ups,
    get_campaign,
    open_campaign,
)
from db.engine import make_engine, transaction
from db.health import instance_name
from db.migrate import ensure_schema
from db.models import Campaign

log = logging.getLogger(__name__)


def campaign_calendar(settings: Settings) -> dict[str, Any]:
    """The campaign row's calendar, from the configuration."""
    c = settings.campaign
    return {
        "start": c.start,
        "observation_date": c.observation_date,
        "deadline": c.deadline,
        "timezone": c.timezone,
        "holiday_zone": c.holiday_zone,
        "extra_days_off": [d.isoformat() for d in c.extra_days_off],
        "validation_requires_confirmation": c.validation_requires_confirmation,
        "retention_days": c.retention_days,
        "policy": settings.reminders.model_dump(mode="json"),
    }


@dataclass
class App:
    settings: Settings
    clock: Callable[[], dt.datetime] = utc_now  # the campaign's time (simulated in a demo)
    _engine: Engine | None = field(default=None, repr=False)
    wall: Callable[[], dt.datetime] = utc_now  # real time: heartbeats, even under a simulation
    instance: str = field(default_factory=instance_name)  # host:pid

    @cached_property
    def engine(self) -> Engine:
        engine = self._engine or make_engine(self.settings.effective_database_url)
        ensure_schema(engine=engine)
        return engine

    def now(self) -> dt.datetime:
        return self.clock()

    def campaign(self, session: Session, now: dt.datetime, *, follow_ups: bool = True) -> Campaign:
        """The campaign followed (`followed_campaign`), with a follow-up for every active school
        (`follow_ups=False` where follow-ups are made on demand, such as the intake: it skips a
        pass over every school for each file)."""
        campaign = self.followed_campaign(session, now)
        assert campaign.id is not None
        if follow_ups:
            ensure_follow_ups(session, campaign_id=campaign.id, now=now)
        return campaign

    def followed_campaign(self, session: Session, now: dt.datetime) -> Campaign:
        """The newest active campaign (one opened by `relance campaign new` included). The
        configured one is created the first time; a configured name not stored yet while
        another is followed opens that next school year, as `relance campaign new` would.
        With no active campaign at all, the configured one as stored (never swept)."""
        settled = self.settled_campaign(session)
        if settled is not None:
            return settled
        name, current = self.settings.campaign.name, active_campaign(session)
        calendar = campaign_calendar(self.settings)
        if current is None:
            return ensure_campaign(session, now=now, name=name, calendar=calendar)
        try:
            return open_campaign(session, name=name, calendar=calendar, now=now, actor="config")
        except CampaignRefused as exc:
            log.warning("configured campaign %s not opened: %s", name, exc)
            return current

    def settled_campaign(self, session: Session) -> Campaign | None:
        """The campaign followed when finding it writes nothing (reading only: the pages);
        None when the configured campaign is still to be created or opened."""
        current = active_campaign(session)
        name = self.settings.campaign.name
        if current is not None and (
            current.name == name or get_campaign(session, name=name) is not None
        ):
            return current
        return None

    def open_next_campaign(
        self, *, name: str, dates: dict[str, dt.date], now: dt.datetime, actor: str
    ) -> tuple[Campaign, int]:
        """Open the next school year's campaign (`relance campaign new`): `dates` gives its
        start, observation date and deadline, the other settings come from the configuration
        (the days off listed there only when they fall in the new year). It becomes the one
        followed, every school gets a fresh follow-up in it, the previous one is never swept
        again but stays readable until purged. Returns it and how many schools it follows;
        raises `CampaignRefused` (French) when it cannot be opened."""
        calendar = {**campaign_calendar(self.settings), **dates}
        end = dt.date(dates["start"].year + (dates["start"].month >= 9), 8, 31)
        calendar["extra_days_off"] = [
            d for d in calendar["extra_days_off"] if dates["start"].isoformat() <= d <= str(end)
        ]
        with transaction(self.engine) as session:
            campaign = open_campaign(session, name=name, calendar=calendar, now=now, actor=actor)
            assert campaign.id is not None
            count = ensure_follow_ups(session, campaign_id=campaign.id, now=now)
            session.expunge(campaign)
        log.info("campaign %s opened by %s: %d schools", name, actor, count)
        return campaign, count

    def apply_settings(self, now: dt.datetime, *, actor: str) -> list[str]:
        """Bring the followed campaign's settings in line with this configuration (the daemon
        at start, `relance config apply`): the changed settings, each in one event. The dates
        of a campaign other than the configured one (opened by `relance campaign new`) are its
        own: only the settings of every year (zone, policy, retention…) apply to it."""
        with transaction(self.engine) as session:
            campaign = self.campaign(session, now, follow_ups=False)
            calendar = campaign_calendar(self.settings)
            if campaign.name != self.settings.campaign.name:
                calendar = {k: v for k, v in calendar.items() if k not in YEAR_FIELDS}
            return apply_calendar(
                session, campaign=campaign, calendar=calendar, now=now, actor=actor
            )

    def close(self) -> None:
        if "engine" in self.__dict__:
            self.engine.dispose()
