"""A school's row and its follow-up as light read-only records, read set-wise.

The sweep reads thousands of schools at once: `school_rows` and `follow_up_rows` select only the
columns its mails, the stage rules and the ladder read (Core selects, no ORM object and its
bookkeeping per row). `SchoolFacts` and `FollowUpFacts` are what the functions shared with the
pages read: an ORM row (`db.models.School`, `FollowUp`) or one of these records.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import Any, Protocol

from sqlalchemy import select
from sqlmodel import Session

from db.models import FollowUp, School


class SchoolFacts(Protocol):
    """The columns of a school that its mails read."""

    @property
    def id(self) -> int | None: ...
    @property
    def uai(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def commune(self) -> str: ...
    @property
    def director_name(self) -> str: ...
    @property
    def director_email(self) -> str: ...
    @property
    def link_version(self) -> int: ...


class FollowUpFacts(Protocol):
    """The columns of a follow-up that the stage rules and the reported problem read."""

    @property
    def school_id(self) -> int: ...
    @property
    def stage_since(self) -> dt.datetime | None: ...
    @property
    def snoozed_until(self) -> dt.datetime | None: ...
    @property
    def declared_validated_at(self) -> dt.datetime | None: ...
    @property
    def validation_confirmed_at(self) -> dt.datetime | None: ...
    @property
    def problem_category(self) -> str: ...
    @property
    def problem_detail(self) -> str: ...
    @property
    def problem_reported_at(self) -> dt.datetime | None: ...
    @property
    def problem_answered_at(self) -> dt.datetime | None: ...


@dataclass(frozen=True, slots=True)
class SchoolRow:
    """`SchoolFacts`, and whether mails can reach the director."""

    id: int
    uai: str
    name: str
    commune: str
    director_name: str
    director_email: str
    email_failing_since: dt.datetime | None
    link_version: int


@dataclass(frozen=True, slots=True)
class FollowUpRow:
    """`FollowUpFacts`, and the ladder's columns the sweep reads."""

    id: int
    school_id: int
    campaign_id: int
    stage_since: dt.datetime | None
    snoozed_until: dt.datetime | None
    declared_validated_at: dt.datetime | None
    validation_confirmed_at: dt.datetime | None
    problem_category: str
    problem_detail: str
    problem_reported_at: dt.datetime | None
    problem_answered_at: dt.datetime | None
    ladder: list[dict[str, Any]]
    escalations_done: list[str]
    last_reminder_at: dt.datetime | None
    last_progress_at: dt.datetime | None


SCHOOL: Any = School.__table__  # type: ignore[attr-defined]
FOLLOW_UP: Any = FollowUp.__table__  # type: ignore[attr-defined]


def school_rows(session: Session, ids: Sequence[int]) -> dict[int, SchoolRow]:
    """The schools of these ids (one query), by id."""
    query = select(*(SCHOOL.c[f.name] for f in fields(SchoolRow))).where(SCHOOL.c.id.in_(ids))
    return {row.id: SchoolRow(*row) for row in session.connection().execute(query)}


def follow_up_rows(session: Session, ids: Sequence[int]) -> dict[int, FollowUpRow]:
    """The follow-ups of these ids (one query), by id."""
    columns = (FOLLOW_UP.c[f.name] for f in fields(FollowUpRow))
    query = select(*columns).where(FOLLOW_UP.c.id.in_(ids))
    return {row.id: FollowUpRow(*row) for row in session.connection().execute(query)}
