"""Queries behind the coordinator pages and the JSON API, aggregated in SQL (45,000 schools)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Date, and_, case, cast, func, literal
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, select

from db.models import Event, ExportSubmission, FollowUp, IntakeFile, School
from db.schools import search_form
from db.states import EventKind, IntakeOutcome, Stage

VALIDATED = Stage.VALIDATED
SORTS: dict[str, Any] = {
    "uai": col(School.uai),
    "nom": col(School.name),
    "commune": col(School.commune),
    "circonscription": col(School.circonscription),
    "etape": col(FollowUp.stage),
    "depuis": col(FollowUp.stage_since),
    "relance": col(FollowUp.next_reminder_at),
}


@dataclass(frozen=True)
class SchoolFilters:
    stage: str = ""
    circonscription: str = ""
    contract: str = ""
    search: str = ""
    sort: str = "uai"
    descending: bool = False
    uai: str = ""  # only this school (a school's API token)
    awaiting_confirmation: bool = False  # constat declared validated, not confirmed yet

    def conditions(self) -> list[ColumnElement[bool]]:
        where: list[ColumnElement[bool]] = [col(School.active).is_(True)]
        if self.stage:
            where.append(col(FollowUp.stage) == self.stage)
        if self.circonscription:
            where.append(col(School.circonscription) == self.circonscription)
        if self.contract:
            where.append(col(School.contract) == self.contract)
        if self.uai:
            where.append(col(School.uai) == self.uai)
        if self.awaiting_confirmation:
            where.append(_awaiting_confirmation())
        if self.search.strip():
            where.append(col(School.search_key).contains(search_form(self.search)))
        return where


def _awaiting_confirmation() -> ColumnElement[bool]:
    return and_(
        col(FollowUp.declared_validated_at).is_not(None),
        col(FollowUp.validation_confirmed_at).is_(None),
        col(FollowUp.stage) != VALIDATED,
    )


def few_follow_ups(campaign_id: int, condition: ColumnElement[bool]) -> ColumnElement[bool]:
    """A condition few follow-ups meet, found through its own index first (not by walking
    every follow-up or every school and testing it)."""
    found = select(FollowUp.id).where(col(FollowUp.campaign_id) == campaign_id, condition)
    return col(FollowUp.id).in_(found)


def awaiting_confirmation_count(session: Session, *, campaign_id: int) -> int:
    """Active schools whose declared constat waits for a coordinator's confirmation."""
    query = (
        select(func.count())
        .select_from(FollowUp)
        .join(School, col(FollowUp.school_id) == School.id)
        .where(
            few_follow_ups(campaign_id, _awaiting_confirmation()),
            col(School.active).is_(True),
        )
    )
    return int(session.exec(query).one())


def _school_follow_up(campaign_id: int) -> Any:
    return select(School, FollowUp).outerjoin(
        FollowUp,
        and_(col(FollowUp.school_id) == School.id, col(FollowUp.campaign_id) == campaign_id),
    )


def school_rows(
    session: Session,
    *,
    campaign_id: int,
    filters: SchoolFilters,
    offset: int = 0,
    limit: int | None = 50,
) -> list[tuple[School, FollowUp | None]]:
    """One page of the school table (limit None: every row, for the CSV export)."""
    order = SORTS.get(filters.sort, SORTS["uai"])
    order_by = [order.desc().nulls_last() if filters.descending else order.asc().nulls_last()]
    query = _school_follow_up(campaign_id).where(*filters.conditions())
    query = query.order_by(*order_by, col(School.uai)).offset(offset)
    if limit is not None:
        query = query.limit(limit)
    return [(school, follow_up) for school, follow_up in session.exec(query).all()]


def school_count(session: Session, *, campaign_id: int, filters: SchoolFilters) -> int:
    query = (
        select(func.count())
        .select_from(School)
        .outerjoin(
            FollowUp,
            and_(col(FollowUp.school_id) == School.id, col(FollowUp.campaign_id) == campaign_id),
        )
        .where(*filters.conditions())
    )
    return int(session.exec(query).one())


def circonscriptions(session: Session) -> list[str]:
    query = (
        select(School.circonscription)
        .where(col(School.active).is_(True), School.circonscription != "")
        .distinct()
        .order_by(School.circonscription)
    )
    return list(session.exec(query).all())


def contracts(session: Session) -> list[str]:
    query = (
        select(School.contract)
        .where(col(School.active).is_(True), School.contract != "")
        .distinct()
        .order_by(School.contract)
    )
    return list(session.exec(query).all())


@dataclass
class StageCounts:
    """How many schools are in each stage, for the district or one circonscription."""

    name: str
    by_stage: dict[str, int] = field(default_factory=dict)
    total: int = 0
    validated_on_time: int = 0

    @property
    def validated(self) -> int:
        return self.by_stage.get(VALIDATED, 0)

    def add(self, counts: dict[str, int], on_time: int) -> None:
        for value, count in counts.items():
            if count:
                self.by_stage[value] = self.by_stage.get(value, 0) + count
                self.total += count
        self.validated_on_time += on_time


def stage_counts(
    session: Session, *, campaign_id: int, deadline_end: dt.datetime
) -> tuple[StageCounts, list[StageCounts]]:
    """The district's counts and each circonscription's, in one grouped query: one row a
    circonscription (its stages counted side by side), grouped in the order of the school
    index it reads, so no sort and few rows to read back.

    `deadline_end`: the end of the deadline day; a school validated before it is on time."""
    stage = col(FollowUp.stage)
    validated = stage == VALIDATED
    on_time = and_(validated, col(FollowUp.declared_validated_at) < deadline_end)
    counted = [func.count(case((stage == s, 1))) for s in Stage if s != Stage.AWAITING_EXPORT]
    query = (
        select(School.circonscription, func.count(), func.count(case((on_time, 1))), *counted)
        .select_from(School)
        .outerjoin(
            FollowUp,
            and_(col(FollowUp.school_id) == School.id, col(FollowUp.campaign_id) == campaign_id),
        )
        .where(col(School.active).is_(True))
        .group_by(School.circonscription)
    )
    others = [s.value for s in Stage if s != Stage.AWAITING_EXPORT]
    district = StageCounts("Tout le district")
    per: dict[str, StageCounts] = {}
    for row in session.exec(query).all():
        name = row[0] or "(sans circonscription)"
        by_stage = [int(row[n]) for n in range(3, len(row))]
        counts = dict(zip(others, by_stage, strict=True))
        # a school without a follow-up yet awaits its export
        counts[Stage.AWAITING_EXPORT.value] = int(row[1]) - sum(by_stage)
        for target in (district, per.setdefault(name, StageCounts(name))):
            target.add(counts, int(row[2]))
    return district, [per[k] for k in sorted(per)]


def stage_totals(session: Session, *, campaign_id: int) -> dict[str, int]:
    """Schools per stage in the whole district (active schools)."""
    stage = func.coalesce(col(FollowUp.stage), literal(Stage.AWAITING_EXPORT.value))
    query = (
        select(stage, func.count())
        .select_from(School)
        .outerjoin(
            FollowUp,
            and_(col(FollowUp.school_id) == School.id, col(FollowUp.campaign_id) == campaign_id),
        )
        .where(col(School.active).is_(True))
        .group_by(stage)
    )
    return {value: int(count) for value, count in session.exec(query).all()}


@dataclass(frozen=True)
class DayProgress:
    day: dt.date
    validated: int = 0
    exported: int = 0
    errors: int = 0


def progress_by_day(
    session: Session, *, campaign_id: int, start: dt.date, end: dt.date
) -> list[DayProgress]:
    """Per day of the campaign: constats validated, archives received, CRs with rejections.

    Days are UTC days (the chart's resolution); each count is one grouped query."""

    def per_day(column: Any, *where: Any) -> dict[dt.date, int]:
        sqlite = session.get_bind().dialect.name == "sqlite"
        day = func.date(column) if sqlite else cast(func.timezone("UTC", column), Date)
        query = select(day, func.count()).where(*where).group_by(day)
        result: dict[dt.date, int] = {}
        for value, count in session.exec(query).all():
            key = value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])
            result[key] = result.get(key, 0) + int(count)
        return result

    validated = per_day(
        col(FollowUp.declared_validated_at),
        FollowUp.campaign_id == campaign_id,
        col(FollowUp.declared_validated_at).is_not(None),
    )
    exported = per_day(
        col(ExportSubmission.received_at),
        ExportSubmission.campaign_id == campaign_id,
        col(ExportSubmission.accepted).is_(True),
        col(ExportSubmission.duplicate_of_id).is_(None),
    )
    errors = per_day(
        col(Event.at),
        Event.campaign_id == campaign_id,
        Event.kind == EventKind.STAGE_CHANGED,
        Event.stage == Stage.ERRORS,
    )
    days = []
    day = start
    while day <= end:
        days.append(
            DayProgress(day, validated.get(day, 0), exported.get(day, 0), errors.get(day, 0))
        )
        day += dt.timedelta(days=1)
    return days


def quarantined(session: Session, *, limit: int = 500) -> list[tuple[IntakeFile, School | None]]:
    query = (
        select(IntakeFile, School)
        .outerjoin(School, col(School.id) == IntakeFile.school_id)
        .where(IntakeFile.outcome == IntakeOutcome.QUARANTINED)
        .order_by(col(IntakeFile.received_at).desc())
        .limit(limit)
    )
    return [(intake, school) for intake, school in session.exec(query).all()]


def nothing_scheduled(
    session: Session, *, campaign_id: int, limit: int = 50
) -> tuple[int, list[tuple[School, FollowUp]]]:
    """Active schools not validated and with no reminder planned: how many, and the first ones.

    Both queries start from the follow-ups without a next reminder (indexed, few once the
    campaign runs) rather than walking every school in UAI order."""
    unscheduled = select(FollowUp.id).where(
        col(FollowUp.campaign_id) == campaign_id,
        col(FollowUp.next_reminder_at).is_(None),
        col(FollowUp.stage) != VALIDATED,
    )
    where = (col(School.active).is_(True), col(FollowUp.id).in_(unscheduled))
    joined = col(FollowUp.school_id) == School.id
    count = session.exec(
        select(func.count()).select_from(FollowUp).join(School, joined).where(*where)
    ).one()
    query = (
        select(School, FollowUp)
        .join(FollowUp, joined)
        .where(*where)
        .order_by(col(School.uai))
        .limit(limit)
    )
    return int(count), [(s, f) for s, f in session.exec(query).all()]
