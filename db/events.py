"""The history: one row per change, shown on the school's timeline."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import or_
from sqlmodel import Session, col, select

from db.models import Event
from db.states import EventKind, Stage


def record_event(
    session: Session,
    *,
    at: dt.datetime,
    kind: EventKind,
    message: str,
    school_id: int | None = None,
    campaign_id: int | None = None,
    data: dict[str, Any] | None = None,
    actor: str = "system",
    stage: Stage | None = None,
) -> Event:
    """Add one event (French message, never a pupil's name) to the session; `kind` is one of
    the registry's (`db.states.EventKind`); `stage`: the stage a `stage_changed` entered."""
    event = Event(
        at=at,
        kind=kind,
        message=message[:1000],
        school_id=school_id,
        campaign_id=campaign_id,
        data=data or {},
        actor=actor,
        stage=stage,
    )
    session.add(event)
    return event


def school_events(
    session: Session, *, school_id: int, campaign_id: int | None = None, limit: int = 500
) -> list[Event]:
    """A school's history, newest first."""
    query = select(Event).where(Event.school_id == school_id)
    if campaign_id is not None:
        query = query.where(
            or_(col(Event.campaign_id) == campaign_id, col(Event.campaign_id).is_(None))
        )
    query = query.order_by(col(Event.at).desc(), col(Event.id).desc()).limit(limit)
    return list(session.exec(query))
