"""The coordinators' school table one page at a time, by keyset (45,000 schools).

Each sort is a list of segments read one after the other; a segment's rows come in the order
of an index (its key, then a unique tie-breaker), starting just after — or before — the row a
page ended on (`Cursor`), so a deep page costs what the first one does: no OFFSET scan, no
sort of the whole table. The sorts by a school's column read `school` (schools without a
follow-up included); the sorts by a follow-up's column read `follow_up` in index order, the
rows without a value after the others in both orders, and the schools without a follow-up yet
(between a school's arrival and the next sweep) last of all.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, func, or_
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, select

from db.dashboard import SchoolFilters
from db.models import FollowUp, School
from db.states import STAGE_ORDER

Row = tuple[School, FollowUp | None]
Attribute = Any  # a model's column attribute, as sqlmodel's `col()` gives it


@dataclass(frozen=True)
class Segment:
    """Rows matching `where`, ordered by `key` (None: by `tie` alone) then `tie` (unique)."""

    where: ColumnElement[bool] | None
    key: Attribute | None
    tie: Attribute
    trailing: bool = False  # rows without a value: after the others, in both orders

    @property
    def from_follow_up(self) -> bool:
        return self.tie.class_ is FollowUp


@dataclass(frozen=True)
class Cursor:
    """Where a page ended: the segment, the row's key and tie-breaker."""

    segment: int
    key: Any
    tie: Any

    @property
    def token(self) -> str:
        key = self.key.isoformat() if isinstance(self.key, dt.datetime) else self.key
        text = json.dumps([self.segment, key, self.tie], ensure_ascii=False)
        return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


@dataclass(frozen=True)
class Page:
    rows: list[Row]
    first: Cursor | None  # the first row's place (for the previous page)
    last: Cursor | None  # the last row's place (for the next page)


SCHOOL_KEYS: dict[str, Attribute | None] = {
    "uai": None,
    "nom": col(School.name),
    "commune": col(School.commune),
    "circonscription": col(School.circonscription),
}
FOLLOW_UP_KEYS = {"depuis": col(FollowUp.stage_since), "relance": col(FollowUp.next_reminder_at)}
SORTS = (*SCHOOL_KEYS, "etape", *FOLLOW_UP_KEYS)
# schools without a follow-up in the campaign yet, ordered by id
WITHOUT_FOLLOW_UP = Segment(col(FollowUp.id).is_(None), None, col(School.id), trailing=True)


def segments(sort: str) -> list[Segment]:
    """The segments of a sort, in ascending order (the last: schools without a follow-up)."""
    if sort in FOLLOW_UP_KEYS:
        key = FOLLOW_UP_KEYS[sort]
        school_id = col(FollowUp.school_id)
        return [
            Segment(key.is_not(None), key, school_id),
            Segment(key.is_(None), None, school_id, trailing=True),
            WITHOUT_FOLLOW_UP,
        ]
    if sort == "etape":  # in the campaign's order, not the values' alphabetical one
        stage = col(FollowUp.stage)
        by_stage = [Segment(stage == s, None, col(FollowUp.school_id)) for s in STAGE_ORDER]
        return [*by_stage, WITHOUT_FOLLOW_UP]
    return [Segment(None, SCHOOL_KEYS.get(sort), col(School.uai))]


def parse_cursor(token: str, sort: str) -> Cursor | None:
    """A cursor from a page link, or None if it is not one of this sort's."""
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        number, key, tie = json.loads(text)
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        return None
    parts = segments(sort)
    if not isinstance(number, int) or not 0 <= number < len(parts):
        return None
    segment = parts[number]
    if not isinstance(tie, str if segment.tie.key == "uai" else int):
        return None
    if segment.key is None or not isinstance(key, str):
        return Cursor(number, None, tie) if segment.key is None else None
    if segment.key.key not in ("stage_since", "next_reminder_at"):
        return Cursor(number, key, tie)
    try:
        moment = dt.datetime.fromisoformat(key)
    except ValueError:
        return None
    return Cursor(number, moment, tie) if moment.tzinfo is not None else None


def reading_order(sort: str, descending: bool, backward: bool) -> list[tuple[int, Segment, bool]]:
    """(number, segment, read descending) in the order a page reads them."""
    parts = list(enumerate(segments(sort)))
    valued = [p for p in parts if not p[1].trailing]
    trailing = [p for p in parts if p[1].trailing]
    ordered = [*(reversed(valued) if descending else valued), *trailing]
    if backward:
        ordered.reverse()
    return [(number, segment, descending != backward) for number, segment in ordered]


def _beyond(segment: Segment, cursor: Cursor, descending: bool) -> ColumnElement[bool]:
    """The rows after the cursor in the segment's reading order (index-friendly: a range on
    the key, then the tie-breaker among equal keys)."""
    tie: ColumnElement[bool] = segment.tie < cursor.tie if descending else segment.tie > cursor.tie
    if segment.key is None:
        return tie
    key = segment.key
    if descending:
        return and_(key <= cursor.key, or_(key < cursor.key, tie))
    return and_(key >= cursor.key, or_(key > cursor.key, tie))


def segment_query(
    campaign_id: int,
    filters: SchoolFilters,
    segment: Segment,
    descending: bool,
    cursor: Cursor | None,
) -> Any:
    """One segment's rows in reading order: from the follow-ups (inner join) or the schools."""
    joined = col(FollowUp.school_id) == School.id
    if segment.from_follow_up:
        query = select(School, FollowUp).select_from(FollowUp).join(School, joined)
        query = query.where(col(FollowUp.campaign_id) == campaign_id)
    else:
        on = and_(joined, col(FollowUp.campaign_id) == campaign_id)
        query = select(School, FollowUp).outerjoin(FollowUp, on)
    query = query.where(*filters.conditions())
    if segment.where is not None:
        query = query.where(segment.where)
    if cursor is not None:
        query = query.where(_beyond(segment, cursor, descending))
    order = [c for c in (segment.key, segment.tie) if c is not None]
    return query.order_by(*(c.desc() if descending else c.asc() for c in order))


def _value(row: Row, attribute: Attribute | None) -> Any:
    if attribute is None:
        return None
    school, follow_up = row
    return getattr(school if attribute.class_ is School else follow_up, attribute.key)


def cursor_of(number: int, segment: Segment, row: Row) -> Cursor:
    return Cursor(number, _value(row, segment.key), _value(row, segment.tie))


def _read(
    session: Session,
    campaign_id: int,
    filters: SchoolFilters,
    walk: list[tuple[int, Segment, bool]],
    cursor: Cursor | None,
    limit: int,
) -> Iterator[tuple[Cursor, Row]]:
    """Up to `limit` rows, segment after segment, from the cursor's place."""
    numbers = [number for number, _segment, _descending in walk]
    start = numbers.index(cursor.segment) if cursor is not None else 0
    for number, segment, descending in walk[start:]:
        if segment is WITHOUT_FOLLOW_UP and not follow_ups_missing(
            session, campaign_id=campaign_id
        ):
            continue  # asked only when a page reaches it (two counts of every follow-up)
        after = cursor if cursor is not None and cursor.segment == number else None
        query = segment_query(campaign_id, filters, segment, descending, after).limit(limit)
        for school, follow_up in session.exec(query).all():
            row = (school, follow_up)
            yield cursor_of(number, segment, row), row
            limit -= 1
        if limit <= 0:
            return


def table_page(
    session: Session,
    *,
    campaign_id: int,
    filters: SchoolFilters,
    after: Cursor | None = None,
    before: Cursor | None = None,
    from_end: bool = False,
    limit: int = 50,
) -> Page:
    """`limit` rows of the table: the first ones, those after `after`, those just before
    `before`, or (`from_end`) the last ones."""
    backward = before is not None or from_end
    walk = reading_order(filters.sort, filters.descending, backward)
    cursor = before if backward else after
    found = list(_read(session, campaign_id, filters, walk, cursor, limit))
    if backward:
        found.reverse()
    if not found:
        return Page([], None, None)
    return Page([row for _c, row in found], found[0][0], found[-1][0])


def follow_ups_missing(session: Session, *, campaign_id: int) -> bool:
    """Whether an active school has no follow-up in the campaign yet, from three index-only
    counts (never a pass joining every school)."""
    schools = select(func.count()).select_from(School).where(col(School.active).is_(True))
    follow_ups = (
        select(func.count()).select_from(FollowUp).where(col(FollowUp.campaign_id) == campaign_id)
    )
    has_one = (
        select(FollowUp.id)
        .where(col(FollowUp.school_id) == School.id, col(FollowUp.campaign_id) == campaign_id)
        .exists()
    )
    of_inactive = (  # from the few inactive schools, never from every follow-up
        select(func.count()).select_from(School).where(col(School.active).is_(False), has_one)
    )
    counted = [int(session.exec(q).one()) for q in (schools, follow_ups, of_inactive)]
    return counted[0] > counted[1] - counted[2]


def school_total(session: Session, *, campaign_id: int, filters: SchoolFilters) -> int:
    """How many rows the table has: from the schools alone unless a filter reads the
    follow-up (every school has at most one in a campaign)."""
    query = select(func.count()).select_from(School)
    if filters.stage or filters.awaiting_confirmation:
        joined = and_(
            col(FollowUp.school_id) == School.id, col(FollowUp.campaign_id) == campaign_id
        )
        query = query.join(FollowUp, joined)
    return int(session.exec(query.where(*filters.conditions())).one())
