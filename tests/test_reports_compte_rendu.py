"""A CR from its lines: header, counters on the same or next line, sections, refusal."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from daemon.ingest.reports.compte_rendu import read_compte_rendu
from daemon.ingest.reports.labels import default_labels
from daemon.ingest.reports.lines import text_lines
from daemon.ingest.reports.records import CompteRendu, Counts
from daemon.ingest.reports.refusal import ReportRefused

LABELS = default_labels()
PARIS = ZoneInfo("Europe/Paris")


def read(text: str) -> CompteRendu:
    return read_compte_rendu(text_lines(text), LABELS, "Ce texte")


def test_header_counters_and_none() -> None:
    result = read(
        "ONDE - Compte rendu d'intégration\n"
        "ETABLISSEMENT : ECOLE SAINT-PAUL\nCode école : 0441234c\n"
        "Date de dépôt : 14/09/2026 17h42\n"
        "ÉLÈVES LUS\n12\nEleves integres 12\nRejets : 0\nAucune anomalie\n"
    )
    assert (result.uai, result.school_name) == ("0441234C", "ECOLE SAINT-PAUL")
    assert result.submitted_at == dt.datetime(2026, 9, 14, 17, 42, tzinfo=PARIS)
    assert result.as_json()["submitted_at"] == "2026-09-14T17:42:00+02:00"
    assert result.processed_at is None
    assert result.counts == Counts(read=12, integrated=12, rejected=0, warnings=None)
    assert result.anomalies == () and result.warnings == ()
    assert result.source == "text" and not result.needs_review


def test_untitled_text_with_enough_structure_is_a_cr() -> None:
    result = read("École : X (0441234C)\nÉlèves lus : 3\nAnomalies\nAucune anomalie\n")
    assert result.counts.read == 3


def test_counter_without_number_and_bad_date_are_warnings() -> None:
    result = read("Compte rendu d'import\nÉlèves lus\nTraité le : hier\n")
    assert "Compteur « read » sans nombre" in result.warnings
    assert "Date illisible : « hier »" in result.warnings
    assert "UAI absent du compte rendu" in result.warnings


def test_not_a_cr() -> None:
    with pytest.raises(ReportRefused, match="n'est pas un compte rendu"):
        read("Liste des fournitures\nCahiers : 3\n")
