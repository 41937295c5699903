"""Reading what is open for a school — anomalies not resolved, pupils without INE — and the same
across the district or one circonscription, for the coordinators' exports."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import and_
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from db.models import Anomaly, Pupil, School

ATTRIBUTED = "attribue"


OPEN_ORDER: tuple[Any, ...] = (
    col(Anomaly.severity).desc(),  # rejet before avertissement
    col(Anomaly.first_seen_at),
    col(Anomaly.id),
)
PENDING_ORDER: tuple[Any, ...] = (col(Pupil.last_name), col(Pupil.first_name), col(Pupil.id))


def open_anomalies(session: Session, *, school_id: int, campaign_id: int) -> list[Anomaly]:
    """Unresolved anomalies, rejections first, oldest first."""
    query = (
        select(Anomaly)
        .where(
            Anomaly.school_id == school_id,
            Anomaly.campaign_id == campaign_id,
            col(Anomaly.resolved_at).is_(None),
        )
        .order_by(*OPEN_ORDER)
    )
    return list(session.exec(query))


ANOMALY_COLUMNS: tuple[Any, ...] = (
    Anomaly.school_id,
    Anomaly.field,
    Anomaly.message,
    Anomaly.severity,
    Anomaly.category,
    Anomaly.first_seen_at,
    Pupil.last_name,
    Pupil.first_name,
    Pupil.birth_date,
)
PENDING_COLUMNS: tuple[Any, ...] = (
    Pupil.school_id,
    Pupil.last_name,
    Pupil.first_name,
    Pupil.birth_date,
    Pupil.ine_status,
    Pupil.level,
    Pupil.class_label,
)


def schools_open_anomalies(
    session: Session, *, school_ids: Sequence[int], campaign_id: int
) -> dict[int, list[Any]]:
    """`open_anomalies` of several schools in one query, each with its pupil's name and birth
    date (None when the anomaly names no known pupil): rows of `ANOMALY_COLUMNS`."""
    query = (
        sa_select(*ANOMALY_COLUMNS)
        .outerjoin(Pupil, col(Pupil.id) == Anomaly.pupil_id)
        .where(
            col(Anomaly.school_id).in_(school_ids),
            col(Anomaly.campaign_id) == campaign_id,
            col(Anomaly.resolved_at).is_(None),
        )
        .order_by(*OPEN_ORDER)
    )
    found: dict[int, list[Any]] = {school_id: [] for school_id in school_ids}
    for row in session.connection().execute(query):
        found[row.school_id].append(row)
    return found


def schools_pupils_without_ine(
    session: Session, *, school_ids: Sequence[int], campaign_id: int
) -> dict[int, list[Any]]:
    """`pupils_without_ine` of several schools in one query: rows of `PENDING_COLUMNS`."""
    query = (
        sa_select(*PENDING_COLUMNS)
        .where(
            col(Pupil.school_id).in_(school_ids),
            col(Pupil.campaign_id) == campaign_id,
            *_without_ine(),
        )
        .order_by(*PENDING_ORDER)
    )
    found: dict[int, list[Any]] = {school_id: [] for school_id in school_ids}
    for row in session.connection().execute(query):
        found[row.school_id].append(row)
    return found


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


def _without_ine() -> list[Any]:
    """Pupils whose last known INE status is not `attribue` (and who are known at all)."""
    return [col(Pupil.ine_status) != ATTRIBUTED, col(Pupil.ine_status) != "inconnu"]


def pupils_without_ine(session: Session, *, school_id: int, campaign_id: int) -> list[Pupil]:
    """Pupils whose last known INE status is not `attribue` (and who are known at all)."""
    query = (
        select(Pupil)
        .where(Pupil.school_id == school_id, Pupil.campaign_id == campaign_id, *_without_ine())
        .order_by(*PENDING_ORDER)
    )
    return list(session.exec(query))


def _in_district(circonscription: str | None) -> list[Any]:
    """Active schools of the campaign, of one circonscription when it is given."""
    where: list[Any] = [col(School.active).is_(True)]
    if circonscription is not None:
        where.append(col(School.circonscription) == circonscription)
    return where


def district_pupils_without_ine(
    session: Session, *, campaign_id: int, circonscription: str | None = None
) -> Iterator[tuple[School, Pupil]]:
    """Every pupil without INE of the active schools (of one circonscription), by
    circonscription, school and name; read in batches, for an export of any size."""
    query = (
        select(School, Pupil)
        .join(Pupil, and_(col(Pupil.school_id) == School.id, col(Pupil.campaign_id) == campaign_id))
        .where(*_in_district(circonscription), *_without_ine())
        .order_by(School.circonscription, School.uai, Pupil.last_name, Pupil.first_name)
        .execution_options(yield_per=1000)
    )
    yield from session.exec(query)


def district_open_anomalies(
    session: Session, *, campaign_id: int, circonscription: str | None = None
) -> Iterator[tuple[School, Anomaly, Pupil | None]]:
    """Every open anomaly of the active schools (of one circonscription) with its pupil, by
    circonscription, school, rejections first, oldest first."""
    query = (
        select(School, Anomaly, Pupil)
        .join(
            Anomaly,
            and_(
                col(Anomaly.school_id) == School.id,
                col(Anomaly.campaign_id) == campaign_id,
                col(Anomaly.resolved_at).is_(None),
            ),
        )
        .outerjoin(Pupil, col(Pupil.id) == Anomaly.pupil_id)
        .where(*_in_district(circonscription))
        .order_by(
            School.circonscription,
            School.uai,
            col(Anomaly.severity).desc(),
            col(Anomaly.first_seen_at),
            col(Anomaly.id),
        )
        .execution_options(yield_per=1000)
    )
    yield from session.exec(query)


def pupils_by_id(session: Session, *, ids: list[int]) -> dict[int, Pupil]:
    if not ids:
        return {}
    rows = session.exec(select(Pupil).where(col(Pupil.id).in_(ids))).all()
    return {p.id: p for p in rows if p.id is not None}
