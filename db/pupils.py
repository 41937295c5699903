"""Reading what is open for a school: anomalies not resolved, pupils without INE."""

from __future__ import annotations

from sqlmodel import Session, col, select

from db.models import Anomaly, Pupil

ATTRIBUTED = "attribue"


def open_anomalies(session: Session, *, school_id: int, campaign_id: int) -> list[Anomaly]:
    """Unresolved anomalies, rejections first, oldest first."""
    query = (
        select(Anomaly)
        .where(
            Anomaly.school_id == school_id,
            Anomaly.campaign_id == campaign_id,
            col(Anomaly.resolved_at).is_(None),
        )
        .order_by(
            col(Anomaly.severity).desc(),  # rejet before avertissement
            col(Anomaly.first_seen_at),
            col(Anomaly.id),
        )
    )
    return list(session.exec(query))


def resolved_anomalies(session: Session, *, school_id: int, campaign_id: int) -> list[Anomaly]:
    query = (
        select(Anomaly)
        .where(
            Anomaly.school_id == school_id,
            Anomaly.campaign_id == campaign_id,
            col(Anomaly.resolved_at).is_not(None),
        )
        .order_by(col(Anomaly.resolved_at).desc())
    )
    return list(session.exec(query))


def pupils_without_ine(session: Session, *, school_id: int, campaign_id: int) -> list[Pupil]:
    """Pupils whose last known INE status is not `attribue` (and who are known at all)."""
    query = (
        select(Pupil)
        .where(
            Pupil.school_id == school_id,
            Pupil.campaign_id == campaign_id,
            Pupil.ine_status != ATTRIBUTED,
            Pupil.ine_status != "inconnu",
        )
        .order_by(Pupil.last_name, Pupil.first_name)
    )
    return list(session.exec(query))


def pupils_by_id(session: Session, *, ids: list[int]) -> dict[int, Pupil]:
    if not ids:
        return {}
    rows = session.exec(select(Pupil).where(col(Pupil.id).in_(ids))).all()
    return {p.id: p for p in rows if p.id is not None}
