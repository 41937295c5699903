"""What the routers share: the relance App of a request, its intake, the campaign followed."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from fastapi import Request
from sqlalchemy.engine import Engine
from sqlmodel import Session

from daemon.app import App
from daemon.ingest.intake.intake import Intake
from daemon.ingest.intake.staging import Staging
from db.campaigns import past_campaigns
from db.engine import reading as db_reading
from db.engine import transaction
from db.models import Campaign


def relance_app(request: Request) -> App:
    app: App = request.app.state.app
    return app


def intake_for(request: Request) -> Intake:
    """One Intake per server (labels and limits are read once)."""
    state = request.app.state
    intake: Intake | None = getattr(state, "intake", None)
    if intake is None:
        intake = Intake(relance_app(request))
        state.intake = intake
    return intake


def staging_for(request: Request) -> Staging:
    """Where files dropped on a school's page wait for their confirmation (quotas)."""
    web = relance_app(request).settings.web
    return Staging(
        relance_app(request).settings.state_path,
        per_school_mb=web.staged_max_mb_per_school,
        total_mb=web.staged_max_mb_total,
    )


def current_campaign(app: App, session: Session) -> Campaign:
    """The campaign followed (`App.followed_campaign`: the newest active one; the configured one
    created, with its follow-ups, the first time it is asked for)."""
    campaign = app.settled_campaign(session)
    if campaign is None:
        with transaction(app.engine) as writer:
            campaign = app.campaign(writer, app.now())
    return campaign


@dataclass(frozen=True)
class CampaignView:
    """The campaign a coordinator's page shows: the one followed, or a past one still kept
    (`?campagne=NAME`), read only."""

    campaign: Campaign
    current: Campaign
    choices: tuple[str, ...]  # the campaign followed first, then the past ones kept

    @property
    def past(self) -> bool:
        return self.campaign.id != self.current.id


def viewed_campaign(app: App, session: Session, name: str) -> CampaignView:
    """The campaign asked for by `?campagne=` among the followed one and the past ones not
    purged; the followed one when the name is empty or unknown."""
    current = current_campaign(app, session)
    past = past_campaigns(session, current=current)
    chosen = next((c for c in past if c.name == name), current)
    return CampaignView(chosen, current, (current.name, *(c.name for c in past)))


@contextmanager
def reading(engine: Engine) -> Iterator[Session]:
    """`db.engine.reading`, its rows detached so they stay readable after it ends (for the
    templates)."""
    with db_reading(engine) as session:
        try:
            yield session
        finally:
            session.expunge_all()
