"""A school's file as its page shows it, read by one db function (the page writes no query)."""

from __future__ import annotations

import ast
from pathlib import Path

from sqlmodel import Session

from daemon.app import App
from daemon.ingest.intake.intake import Intake
from db import ledger
from db.school_file import school_file, stored_original
from db.states import IntakeOutcome, LedgerKind
from tests.conftest import NOW
from tests.factories import OTHER, UAI, cr_text
from tests.web_helpers import school

REPO = Path(__file__).resolve().parents[1]


def test_the_file_holds_this_school_and_campaign_only(app: App, session: Session) -> None:
    joseph, anne = school(session, UAI), school(session, OTHER, "École Sainte-Anne")
    campaign = app.campaign(session, NOW)
    session.commit()
    assert campaign.id is not None and joseph.id is not None and anne.id is not None
    intake = Intake(app)
    for uai in (UAI, OTHER):
        result = intake.take_bytes(cr_text(uai), filename=f"{uai}.txt", channel="cli", now=NOW)
        assert result.outcome is IntakeOutcome.PROCESSED
    for row, name in ((joseph, campaign.name), (anne, campaign.name), (joseph, "2025-2026")):
        key = ledger.ledger_key(LedgerKind.REMINDER, campaign=name, day=NOW.date(), uai=row.uai)
        entry = ledger.Entry(
            kind=LedgerKind.REMINDER,
            key=key,
            recipient="dir@example.org",
            payload={},
            day=NOW.date(),
            due_at=NOW,
            created_at=NOW,
            school_id=row.id,
            campaign_id=campaign.id if name == campaign.name else None,
        )
        ledger.enqueue(session, entry)
    session.commit()
    found = school_file(session, school_id=joseph.id, campaign_id=campaign.id)
    assert found.follow_up is not None and found.follow_up.school_id == joseph.id
    assert [d.filename for d in found.documents] == [f"{UAI}.txt"]
    assert found.open_anomalies and {a.school_id for a in found.open_anomalies} == {joseph.id}
    assert set(found.pupils) == {a.pupil_id for a in found.open_anomalies if a.pupil_id}
    assert {e.school_id for e in found.events} == {joseph.id}
    assert [m.key for m in found.mails] == [f"{UAI}:{campaign.name}:reminder:{NOW.date()}"]
    document = found.documents[0]
    assert document.id is not None
    mine = stored_original(session, school_id=joseph.id, kind="document", file_id=document.id)
    assert mine is not None and mine.id == document.id
    assert stored_original(session, school_id=anne.id, kind="document", file_id=document.id) is None


def test_the_school_page_reads_through_db_functions_and_writes_no_query() -> None:
    source = (REPO / "daemon" / "web" / "coordinator.py").read_text(encoding="utf-8")
    pages = {"school_page", "download"}
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef) and node.name in pages:
            for call in (n for n in ast.walk(node) if isinstance(n, ast.Call)):
                name = ast.unparse(call.func)
                if name in {"select", "session.exec", "session.get", "session.execute"}:
                    found.append(f"{node.name}: {ast.unparse(call)[:60]}")
    assert found == [], found
