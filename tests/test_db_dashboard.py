"""The dashboard's queries read state columns: never a French label, never JSON as text."""

from __future__ import annotations

import ast
import datetime as dt
from pathlib import Path

from sqlmodel import Session

from db.attention import Attention, needing_attention
from db.dashboard import progress_by_day
from db.events import record_event
from db.models import Campaign, FollowUp, School
from db.states import EventKind, Stage
from tests.conftest import NOW
from tests.factories import campaign_row

REPO = Path(__file__).resolve().parents[1]


def _school(session: Session, campaign: Campaign, uai: str, **follow_up: object) -> School:
    school = School(
        uai=uai,
        name=f"École {uai}",
        director_email=f"ce.{uai.lower()}@example.org",
        created_at=NOW,
        updated_at=NOW,
    )
    session.add(school)
    session.flush()
    assert school.id is not None and campaign.id is not None
    row = FollowUp(school_id=school.id, campaign_id=campaign.id, updated_at=NOW)
    for name, value in follow_up.items():
        setattr(row, name, value)
    session.add(row)
    session.flush()
    return school


def test_errors_per_day_count_the_stage_entered_whatever_the_message_says(
    session: Session,
) -> None:
    campaign = campaign_row(session)
    school = _school(session, campaign, "0441234C")
    day = dt.datetime(2026, 9, 10, 9, tzinfo=dt.UTC)
    for stage, message in (
        (Stage.ERRORS, "Export reçu → erreurs : 3 rejets"),  # worded otherwise
        (Stage.AWAITING_INE, "Erreurs à corriger → INE en attente : → Erreurs à corriger :"),
    ):
        record_event(
            session,
            at=day,
            kind=EventKind.STAGE_CHANGED,
            message=message,
            school_id=school.id,
            campaign_id=campaign.id,
            stage=stage,
        )
    session.commit()
    assert campaign.id is not None
    days = progress_by_day(
        session, campaign_id=campaign.id, start=dt.date(2026, 9, 9), end=dt.date(2026, 9, 11)
    )
    assert [(d.day.day, d.errors) for d in days] == [(9, 0), (10, 1), (11, 0)]


def test_a_school_is_escalated_by_its_column_not_by_the_text_of_its_steps(
    session: Session,
) -> None:
    campaign = campaign_row(session)
    taken = ["coordinator@3", "support@5"]
    _school(session, campaign, "0441234C", escalated=True, escalations_done=taken)
    _school(session, campaign, "0441235D", escalated=False, escalations_done=[])
    session.commit()
    assert campaign.id is not None
    rows = needing_attention(session, campaign_id=campaign.id, now=NOW)
    escalated = [r for r in rows if r.why is Attention.ESCALATED]
    assert [(r.school.uai, r.detail) for r in escalated] == [
        ("0441234C", "coordination, assistance")
    ]
    assert {r.school.uai: r.why for r in rows}["0441235D"] is Attention.IDLE


def _db_sources() -> list[Path]:
    return [p for p in REPO.glob("db/*.py") if p.name != "states.py"]


def test_db_compares_no_french_text_and_no_json_as_text() -> None:
    """`db/` holds the labels (db/states.py) but never branches on them: no `.label`, no
    accented text in a comparison or a LIKE, no CAST of a column to text."""
    found = []
    for path in _db_sources():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            where = f"{path.name}:{getattr(node, 'lineno', 0)}"
            if isinstance(node, ast.Attribute) and node.attr in {"label", "STAGE_LABELS"}:
                found.append(f"{where} .{node.attr}")
            if isinstance(node, ast.Compare | ast.Call):
                texts = [
                    n.value
                    for n in ast.walk(node)
                    if isinstance(n, ast.Constant) and isinstance(n.value, str)
                ]
                compared = isinstance(node, ast.Compare) or (
                    isinstance(node.func, ast.Attribute)
                    and node.func.attr in {"contains", "like", "ilike", "startswith", "endswith"}
                )
                if compared and any(not t.isascii() for t in texts):
                    found.append(f"{where} {ast.unparse(node)[:80]}")
            is_cast = isinstance(node, ast.Call) and getattr(node.func, "id", "") == "cast"
            if is_cast and "String" in ast.unparse(node):
                found.append(f"{where} {ast.unparse(node)[:80]}")
    assert found == [], found


def test_stage_counts_per_circonscription_count_schools_without_a_follow_up_as_awaiting_export(
    session: Session,
) -> None:
    from db.dashboard import stage_counts

    campaign = campaign_row(session)
    assert campaign.id is not None
    deadline_end = dt.datetime(2026, 10, 1, tzinfo=dt.UTC)
    for uai, circonscription, stage, declared in (
        ("0441234C", "Nantes", Stage.VALIDATED, dt.datetime(2026, 9, 20, tzinfo=dt.UTC)),
        ("0441235D", "Nantes", Stage.VALIDATED, dt.datetime(2026, 10, 2, tzinfo=dt.UTC)),
        ("0441236E", "Nantes", Stage.ERRORS, None),
        ("0441237F", "", Stage.EXPORTED, None),
    ):
        school = _school(session, campaign, uai, stage=stage, declared_validated_at=declared)
        school.circonscription = circonscription
    for uai, active in (("0441238G", True), ("0441239H", False)):  # no follow-up yet
        session.add(
            School(uai=uai, name=uai, circonscription="Nantes", active=active, created_at=NOW,
                   updated_at=NOW)
        )  # fmt: skip
    session.commit()
    district, per = stage_counts(session, campaign_id=campaign.id, deadline_end=deadline_end)
    assert district.total == 5 and district.validated == 2 and district.validated_on_time == 1
    assert district.by_stage == {
        "validated": 2,
        "errors": 1,
        "exported": 1,
        "awaiting_export": 1,
    }
    assert [(c.name, c.total, c.by_stage) for c in per] == [
        ("(sans circonscription)", 1, {"exported": 1}),
        ("Nantes", 4, {"validated": 2, "errors": 1, "awaiting_export": 1}),
    ]
