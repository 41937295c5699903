"""The school table by keyset: every sort, both orders, page after page and back from the end,
gives each school once in the sort's order; each page's query reads an index in order (EXPLAIN
on SQLite and PostgreSQL: no sort of the table, no full scan)."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import and_, event, text
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from db.dashboard import SchoolFilters
from db.models import Campaign, FollowUp, School
from db.school_table import SORTS, Cursor, parse_cursor, table_page
from db.states import STAGE_ORDER, Stage
from tests.conftest import NOW
from tests.factories import campaign_row

NAMES = ("Saint-Joseph", "Sainte-Anne", "Notre-Dame", "Jeanne-d'Arc", "Sacré-Cœur", "Les Tilleuls")
COMMUNES = ("Rennes", "Vitré", "Fougères", "Redon", "Bruz", "Élancourt")


def _uai(number: int) -> str:
    from daemon.codes import uai_check_letter

    digits = f"044{number:04d}"
    return digits + uai_check_letter(digits)


def _district(session: Session, campaign: Campaign, schools: int, seed: int = 3) -> None:
    """`schools` schools with repeated names, communes, stages, times (ties) and empty times;
    a few inactive, a few without a follow-up yet; ids not in UAI order."""
    rng = random.Random(seed)
    numbers = list(range(schools))
    rng.shuffle(numbers)
    for number in numbers:
        school = School(
            uai=_uai(number),
            name=f"École {rng.choice(NAMES)}",
            commune=rng.choice(COMMUNES),
            circonscription=f"Circonscription {rng.randint(1, 4)}",
            active=number % 41 != 7,
            director_email=f"ce.{number}@example.org",
            created_at=NOW,
            updated_at=NOW,
        )
        session.add(school)
        session.flush()
        if number % 37 == 5:
            continue  # no follow-up yet
        assert school.id is not None and campaign.id is not None
        hours = [rng.randint(0, 20), None] if number % 9 else [None]
        session.add(
            FollowUp(
                school_id=school.id,
                campaign_id=campaign.id,
                stage=rng.choice(STAGE_ORDER),
                stage_since=_moment(rng.choice(hours)),
                next_reminder_at=_moment(rng.choice([rng.randint(0, 5), None])),
                updated_at=NOW,
            )
        )
    session.commit()


def _moment(hours: int | None) -> dt.datetime | None:
    return None if hours is None else NOW + dt.timedelta(hours=hours)


def _expected(session: Session, campaign_id: int, sort: str, descending: bool) -> list[str]:
    """The table's order over every row at once: a plain ORDER BY for a school's column (the
    database's collation), computed in Python for a follow-up's."""
    if sort in ("uai", "nom", "commune", "circonscription"):
        column = {"nom": School.name, "commune": School.commune}.get(sort)
        column = School.circonscription if sort == "circonscription" else column
        keys = [c for c in (column, School.uai) if c is not None]
        order = [col(c).desc() if descending else col(c).asc() for c in keys]
        return [s.uai for s, _f in session.exec(_everything(campaign_id).order_by(*order)).all()]
    rows = session.exec(_everything(campaign_id)).all()
    with_follow_up = [r for r in rows if r[1] is not None]
    without = sorted((r for r in rows if r[1] is None), key=lambda r: r[0].id, reverse=descending)
    if sort == "etape":
        rank = {stage: n for n, stage in enumerate(STAGE_ORDER)}
        valued = sorted(
            with_follow_up,
            key=lambda r: (rank[Stage(r[1].stage)], r[1].school_id),
            reverse=descending,
        )
        empty: list[Any] = []
    else:
        name = {"depuis": "stage_since", "relance": "next_reminder_at"}[sort]
        valued = sorted(
            (r for r in with_follow_up if getattr(r[1], name) is not None),
            key=lambda r: (getattr(r[1], name), r[1].school_id),
            reverse=descending,
        )
        empty = sorted(
            (r for r in with_follow_up if getattr(r[1], name) is None),
            key=lambda r: r[1].school_id,
            reverse=descending,
        )
    return [school.uai for school, _f in (*valued, *empty, *without)]


def _everything(campaign_id: int) -> Any:
    joined = and_(col(FollowUp.school_id) == School.id, col(FollowUp.campaign_id) == campaign_id)
    return select(School, FollowUp).outerjoin(FollowUp, joined).where(col(School.active).is_(True))


def _forward(session: Session, campaign_id: int, filters: SchoolFilters, size: int) -> list[str]:
    seen: list[str] = []
    after: Cursor | None = None
    while True:
        page = table_page(
            session, campaign_id=campaign_id, filters=filters, after=after, limit=size
        )
        seen += [school.uai for school, _f in page.rows]
        if len(page.rows) < size:
            return seen
        after = parse_cursor(page.last.token, filters.sort) if page.last else None
        assert after == page.last  # the link's token reads back as the cursor


def _backward(session: Session, campaign_id: int, filters: SchoolFilters, size: int) -> list[str]:
    page = table_page(session, campaign_id=campaign_id, filters=filters, from_end=True, limit=size)
    seen = [school.uai for school, _f in page.rows]
    while page.first is not None:
        page = table_page(
            session, campaign_id=campaign_id, filters=filters, before=page.first, limit=size
        )
        seen = [school.uai for school, _f in page.rows] + seen
    return seen


@pytest.mark.parametrize("sort", SORTS)
def test_every_sort_pages_through_each_school_once_in_its_order_both_ways(
    session: Session, sort: str
) -> None:
    campaign = campaign_row(session)
    assert campaign.id is not None
    _district(session, campaign, 130)
    for descending in (False, True):
        filters = SchoolFilters(sort=sort, descending=descending)
        expected = _expected(session, campaign.id, sort, descending)
        assert len(expected) == 130 - 3  # the inactive schools are not listed
        assert _forward(session, campaign.id, filters, 17) == expected
        assert _backward(session, campaign.id, filters, 17) == expected


def test_filters_apply_to_every_segment(session: Session) -> None:
    campaign = campaign_row(session)
    assert campaign.id is not None
    _district(session, campaign, 90)
    filters = SchoolFilters(sort="relance", stage=Stage.ERRORS, circonscription="Circonscription 2")
    rows = session.exec(_everything(campaign.id)).all()
    wanted = {
        s.uai
        for s, f in rows
        if f is not None and f.stage == Stage.ERRORS and s.circonscription == "Circonscription 2"
    }
    assert wanted and sorted(_forward(session, campaign.id, filters, 4)) == sorted(wanted)


def test_a_cursor_from_another_sort_or_tampered_is_refused() -> None:
    moment = Cursor(0, NOW, 12)
    assert parse_cursor(moment.token, "depuis") == moment
    assert parse_cursor(moment.token, "nom") is None  # a name is not a time
    assert parse_cursor(Cursor(0, "Rennes", "0441234C").token, "commune") is not None
    assert parse_cursor(Cursor(9, None, 3).token, "etape") is None  # no tenth segment
    assert parse_cursor(Cursor(0, None, "x").token, "etape") is None  # a stage's tie is an id
    for garbage in ("", "%%%", "bm90IGpzb24", "WzEsMl0"):
        assert parse_cursor(garbage, "uai") is None


# ---- EXPLAIN ---------------------------------------------------------------------------------
@pytest.fixture
def statements(engine: Engine) -> Iterator[list[tuple[str, Any]]]:
    """The SELECTs the engine runs while the test reads pages."""
    seen: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, params: Any, *_rest: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT") and " LIMIT " in statement.upper():
            seen.append((statement, params))

    event.listen(engine, "before_cursor_execute", record)
    yield seen
    event.remove(engine, "before_cursor_execute", record)


def _plan(session: Session, statement: str, params: Any) -> str:
    connection = session.connection().connection.driver_connection
    assert connection is not None
    cursor = connection.cursor()
    if session.get_bind().dialect.name == "sqlite":
        cursor.execute("EXPLAIN QUERY PLAN " + statement, params)
        return "\n".join(str(row[-1]) for row in cursor.fetchall())
    # on a small table PostgreSQL would rather sort it: with sorts and sequential scans made
    # dear, a plan without a Sort node proves an index gives the order
    cursor.execute("SET LOCAL enable_seqscan = off")
    cursor.execute("SET LOCAL enable_sort = off")
    cursor.execute("EXPLAIN " + statement, params)
    return "\n".join(str(row[0]) for row in cursor.fetchall())


def _reads_an_index_in_order(plan: str, dialect: str) -> bool:
    if dialect == "sqlite":
        scans = [line for line in plan.splitlines() if line.startswith(("SCAN", "SEARCH"))]
        full = [line for line in scans if line.startswith("SCAN") and "INDEX" not in line]
        return "TEMP B-TREE" not in plan and not full and "INDEX" in scans[0]
    return "Sort" not in plan and "Seq Scan" not in plan and "Index" in plan


@pytest.mark.parametrize("sort", SORTS)
def test_each_page_query_reads_an_index_in_order(
    session: Session, engine: Engine, statements: list[tuple[str, Any]], sort: str
) -> None:
    campaign = campaign_row(session)
    assert campaign.id is not None
    _district(session, campaign, 60)
    session.execute(text("ANALYZE"))
    for descending in (False, True):
        filters = SchoolFilters(sort=sort, descending=descending)
        first = table_page(session, campaign_id=campaign.id, filters=filters, limit=5)
        table_page(session, campaign_id=campaign.id, filters=filters, after=first.last, limit=5)
        table_page(session, campaign_id=campaign.id, filters=filters, from_end=True, limit=5)
    assert statements
    dialect = engine.dialect.name
    for statement, params in statements:
        plan = _plan(session, statement, params)
        assert _reads_an_index_in_order(plan, dialect), f"{statement}\n{plan}"
