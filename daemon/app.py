"""What every entry point shares: the settings, one engine, the campaign, the clocks, and the
process's name among the daemons sharing the database. Nothing else: what the parts of a running
daemon know of one another goes through the database (`db.health`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from daemon.clock import utc_now
from daemon.config import Settings
from db.campaigns import apply_calendar, ensure_campaign, ensure_follow_ups
from db.engine import make_engine, transaction
from db.health import instance_name
from db.migrate import ensure_schema
from db.models import Campaign


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
        """The configured campaign, created or updated from the settings, with a follow-up for
        every active school (`follow_ups=False` where follow-ups are made on demand, such as
        the intake: it skips a pass over every school for each file)."""
        campaign = ensure_campaign(
            session,
            now=now,
            name=self.settings.campaign.name,
            calendar=campaign_calendar(self.settings),
        )
        assert campaign.id is not None
        if follow_ups:
            ensure_follow_ups(session, campaign_id=campaign.id, now=now)
        return campaign

    def apply_settings(self, now: dt.datetime, *, actor: str) -> list[str]:
        """Bring the stored campaign's settings in line with this configuration (the daemon at
        start, `relance config apply`): the changed settings, each in one event."""
        with transaction(self.engine) as session:
            campaign = self.campaign(session, now, follow_ups=False)
            return apply_calendar(
                session,
                campaign=campaign,
                calendar=campaign_calendar(self.settings),
                now=now,
                actor=actor,
            )

    def close(self) -> None:
        if "engine" in self.__dict__:
            self.engine.dispose()
