"""The history: one row per change, shown on the school's timeline."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import insert, or_
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
        **event_values(
            at=at,
            kind=kind,
            message=message,
            school_id=school_id,
            campaign_id=campaign_id,
            data=data,
            actor=actor,
            stage=stage,
        )
    )
    session.add(event)
    return event


def event_values(
    *,
    at: dt.datetime,
    kind: EventKind,
    message: str,
    school_id: int | None = None,
    campaign_id: int | None = None,
    data: dict[str, Any] | None = None,
    actor: str = "system",
    stage: Stage | None = None,
) -> dict[str, Any]:
    """The columns of one event (as `record_event` takes them), for `record_events`."""
    return {
        "at": at,
        "kind": kind,
        "message": message[:1000],
        "school_id": school_id,
        "campaign_id": campaign_id,
        "data": data or {},
        "actor": actor,
        "stage": stage,
    }


def record_events(session: Session, events: Sequence[dict[str, Any]]) -> None:
    """Many events at once, in order (a sweep's batch): each built by `event_values`."""
    if events:
        session.execute(insert(Event.__table__), list(events))  # type: ignore[attr-defined]


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
