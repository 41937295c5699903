"""What a CR says about itself, checked: the UAI, counters against the rows."""

from __future__ import annotations

import datetime as dt

from daemon.ingest.reports.checks import consistency_warnings, school_fields
from daemon.ingest.reports.records import AnomalyRow, Counts, IneRow, IneSection


def anomaly(last: str, severity: str) -> AnomalyRow:
    return AnomalyRow(last, "A", dt.date(2020, 1, 1), "Adresse", "?", severity, "export")


def ine_row(status: str) -> IneRow:
    return IneRow("B", "C", dt.date(2020, 1, 1), status, None)


def test_school_fields() -> None:
    assert school_fields({"school": "ÉCOLE X (0441234C)"}) == ("0441234C", "ÉCOLE X", [])
    assert school_fields({"school": "ÉCOLE X - 0441234C"})[:2] == ("0441234C", "ÉCOLE X")
    uai, _name, warnings = school_fields({"school": "ÉCOLE X (0441234A)"})
    assert uai is None and "lettre de contrôle" in warnings[0]
    _, _, warnings = school_fields({"school": "ÉCOLE X (0441234C)", "uai": "0441235D"})
    assert warnings == ["UAI différents : 0441234C (école) et 0441235D (UAI)"]


def test_counters_agree_by_rows_or_by_pupils() -> None:
    rows = [anomaly("A", "rejet"), anomaly("A", "rejet"), anomaly("B", "avertissement")]
    ine = IneSection()
    counts = Counts(read=10, integrated=9, rejected=1, warnings=1)
    assert consistency_warnings(counts, rows, ine) == []  # one pupil, two rejection rows
    counts = Counts(read=10, integrated=9, rejected=2, warnings=1)
    assert consistency_warnings(counts, rows, ine) == [
        "Élèves lus : 10 annoncés, mais intégrés (9) + rejetés (2) = 11"
    ]


def test_ine_counters() -> None:
    pupils = (ine_row("en_attente"), ine_row("litige"), ine_row("attribue"))
    ine = IneSection(attributed=5, pending=3, pupils=pupils)
    counts = Counts()
    assert consistency_warnings(counts, [], ine) == [
        "Élèves en attente d'INE : 3 annoncés, 2 élèves sans INE dans le tableau INE",
        "Élèves immatriculés : 5 annoncés, 1 élève avec INE dans le tableau INE",
    ]
