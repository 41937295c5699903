"""ONDE CSVExtraction.csv: encodings, header spaces, date formats, bad rows, not an extraction."""

from __future__ import annotations

import datetime as dt

import pytest

from daemon.ingest.reports.extraction import read_extraction
from daemon.ingest.reports.labels import default_labels
from daemon.ingest.reports.records import ExtractedPupil
from daemon.ingest.reports.refusal import ReportRefused
from tests.fixtures.reports.extractions import HEADER

LABELS = default_labels()
ROW = "MARTIN;;Léa;{born};F;{ine};1 rue X;44000;NANTES;FRANCE;;;;; CYCLE I;PS;PS A;C1;Oui;Non;Oui;"


def csv(*rows: str, header: str = HEADER, encoding: str = "cp1252") -> bytes:
    return "\n".join([header, *rows]).encode(encoding)


def test_pupils_with_and_without_ine() -> None:
    result = read_extraction(
        csv(
            ROW.format(born="01/02/2020", ine=""), ROW.format(born="2020-02-01", ine="123456789ab")
        ),
        LABELS,
    )
    first, second = result.pupils
    assert first == ExtractedPupil(
        last_name="MARTIN",
        first_name="Léa",
        birth_date=dt.date(2020, 2, 1),
        level="PS",
        cycle="CYCLE I",
        class_label="PS A",
        ine=None,
    )
    assert second.ine == "123456789AB" and second.birth_date == dt.date(2020, 2, 1)
    assert result.ine_column is True and result.warnings == ()


def test_bad_rows_are_said_without_their_content() -> None:
    result = read_extraction(
        csv("MARTIN;;Léa;01/02/2020", ROW.format(born="31/02/2020", ine="XYZ")), LABELS
    )
    assert result.unclassified == ("ligne 2 : 4 champs au lieu de 22",)
    assert result.warnings == (
        "ligne 3 : date de naissance illisible « 31/02/2020 »",
        "ligne 3 : INE de forme inconnue « XYZ »",
    )
    assert "1 rue X" not in str(result) and "1 rue X" not in str(result.as_json())


def test_header_with_stray_spaces_and_utf8() -> None:
    header = HEADER.replace("Nom élève", " Nom élève ").replace("Niveau", "Niveau ")
    result = read_extraction(csv(ROW.format(born="01/02/2020", ine=""), header=header,
                                 encoding="utf-8"), LABELS)  # fmt: skip
    assert result.pupils[0].level == "PS"


@pytest.mark.parametrize(
    "data",
    [b"Nom;Pr\xe9nom;Classe\nMARTIN;L\xe9a;CP\n", b"a;b;c\n1;2;3\n", b"\n\n"],
)
def test_not_an_extraction(data: bytes) -> None:
    with pytest.raises(ReportRefused, match="pas une extraction ONDE"):
        read_extraction(data, LABELS)
