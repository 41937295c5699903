"""What the routers share: the relance App of a request, its intake, the campaign followed."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from fastapi import Request
from sqlalchemy.engine import Engine
from sqlmodel import Session

from daemon.app import App
from daemon.ingest.intake.intake import Intake
from daemon.ingest.intake.staging import Staging
from db.campaigns import get_campaign
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
    """The configured campaign (created, with its follow-ups, the first time it is asked for)."""
    campaign = get_campaign(session, name=app.settings.campaign.name)
    if campaign is None:
        with transaction(app.engine) as writer:
            campaign = app.campaign(writer, app.now())
    return campaign


@contextmanager
def reading(engine: Engine) -> Iterator[Session]:
    """`db.engine.reading`, its rows detached so they stay readable after it ends (for the
    templates)."""
    with db_reading(engine) as session:
        try:
            yield session
        finally:
            session.expunge_all()
