"""What a document counts, stored with it and read back into a record (`Document.counts`)."""

from __future__ import annotations

import datetime as dt
import json

from daemon.ingest.reports.records import (
    AnomalyRow,
    CompteRendu,
    Counts,
    ExtractedPupil,
    Extraction,
    IneRow,
    IneSection,
)
from daemon.school.tracking import DocumentCounts, document_counts

BORN = dt.date(2019, 5, 3)


def row(severity: str) -> AnomalyRow:
    return AnomalyRow("MARTIN", "Léa", BORN, "Adresse", "incomplète", severity, "export")


def test_a_compte_rendu_counts_its_rows_and_keeps_its_counters() -> None:
    cr = CompteRendu(
        counts=Counts(read=10, integrated=8, rejected=2, warnings=5),
        anomalies=(row("rejet"), row("rejet"), row("avertissement")),
        ine=IneSection(pending=7, pupils=(IneRow("A", "B", BORN, "litige", None),)),
    )
    counts = document_counts(cr)
    assert counts == DocumentCounts(
        rejections=2, warnings=1, pending_ine=1, read=10, integrated=8, rejected=2
    )
    assert document_counts(CompteRendu(ine=IneSection(pending=7))).pending_ine == 7
    assert document_counts(CompteRendu(ine=IneSection(pending=0))).pending_ine == 0
    assert document_counts(CompteRendu()).pending_ine is None  # no INE section: says nothing


def test_an_extraction_counts_its_pupils_without_ine_unless_it_has_no_ine_column() -> None:
    pupils = (
        ExtractedPupil("A", "B", BORN, "CP", None, None, None),
        ExtractedPupil("C", "D", BORN, "CP", None, None, "123456789AB"),
    )
    assert document_counts(Extraction(pupils=pupils)) == DocumentCounts(pending_ine=1, pupils=2)
    without = document_counts(Extraction(ine_column=False, pupils=pupils))
    assert without.pending_ine is None and without.pupils == 2


def test_counts_read_back_from_their_json_and_from_older_rows() -> None:
    counts = DocumentCounts(rejections=2, warnings=1, pending_ine=None, read=10, pupils=None)
    assert DocumentCounts.from_json(json.loads(json.dumps(counts.as_json()))) == counts
    older = {"read": 3, "rejections": 1, "warnings": 0, "pending_ine": 2}  # as stored before
    assert DocumentCounts.from_json(older) == DocumentCounts(1, 0, 2, read=3)
    assert DocumentCounts.from_json({}) == DocumentCounts()
