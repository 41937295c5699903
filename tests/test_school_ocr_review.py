"""The review state of a compte rendu read by OCR: rows, name checks, what a click sets."""

from __future__ import annotations

import datetime as dt

import pytest

from daemon.ingest.reports.ocr.pupils import NameChecks
from daemon.ingest.reports.records import AnomalyRow, CompteRendu, IneRow, IneSection
from daemon.school.ocr_review import (
    all_confirmed,
    effective_names,
    review_rows,
    row_message,
    set_row,
)
from db.models import Document
from tests.conftest import NOW

BORN = dt.date(2019, 5, 3)
RESULT = CompteRendu(
    source="ocr",
    anomalies=(AnomalyRow("MARTIN", "Léa", BORN, "Niveau", "x", "rejet", "export"),),
    ine=IneSection(pupils=(IneRow("DURAND", "Noé", BORN, "litige", None),)),
)


def document() -> Document:
    names = NameChecks(("corrected",), ("unknown",))
    return Document(
        campaign_id=1,
        kind="compte_rendu",
        filename="scan.pdf",
        size=1,
        sha256="0",
        received_at=NOW,
        channel="page",
        processed_at=dt.datetime(2026, 9, 15, 1, 10, tzinfo=dt.UTC),
        review={"names": names.as_json(), "rows": {}},
    )


def test_rows_carry_their_name_check_and_state() -> None:
    doc = document()
    rows = review_rows(doc, RESULT)
    assert [(r.table, r.index, r.name_check, r.state) for r in rows] == [
        ("anomalies", 0, "corrected", ""),
        ("ine", 0, "unknown", ""),
    ]
    assert not effective_names(doc, RESULT).all_known and not all_confirmed(doc, RESULT)


def test_a_confirmed_row_counts_as_a_known_name() -> None:
    doc = document()
    result, state = set_row(doc, RESULT, table="ine", index=0, values=None, actor="c", now=NOW)
    assert (result, state) == (RESULT, "confirmed")
    assert effective_names(doc, RESULT).all_known and not all_confirmed(doc, RESULT)
    set_row(doc, RESULT, table="anomalies", index=0, values={}, actor="c", now=NOW)
    assert all_confirmed(doc, RESULT)
    assert doc.review["rows"]["ine:0"] == {"state": "confirmed", "by": "c", "at": NOW.isoformat()}


def test_a_correction_changes_the_row_and_says_so() -> None:
    doc = document()
    values = {"first_name": "Noa"}
    result, state = set_row(doc, RESULT, table="ine", index=0, values=values, actor="c", now=NOW)
    assert state == "corrected" and result.ine.pupils[0].first_name == "Noa"
    assert row_message(doc, "ine", 0, state) == (
        "Compte rendu lu par OCR du 15/09/2026 : ligne 1 du tableau des INE corrigée par la "
        "coordination"
    )
    with pytest.raises(ValueError, match="ligne introuvable"):
        set_row(doc, RESULT, table="pupils", index=0, values=None, actor="c", now=NOW)
