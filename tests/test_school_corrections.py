"""A row corrected by a coordinator: the values typed in a form, checked."""

from __future__ import annotations

import datetime as dt

import pytest

from daemon.ingest.reports.records import AnomalyRow, IneRow
from daemon.school.corrections import corrected_row

BORN = dt.date(2019, 5, 3)
ANOMALY = AnomalyRow("MARTIM", "Léa", BORN, "Adresse", "Code postal", "rejet", "export")


def test_values_typed_replace_those_read_and_the_rest_is_kept() -> None:
    row = corrected_row(ANOMALY, {"last_name": "  MARTIN ", "birth_date": "04/05/2019"})
    assert row == AnomalyRow(
        "MARTIN", "Léa", dt.date(2019, 5, 4), "Adresse", "Code postal", "rejet", "export"
    )
    assert corrected_row(ANOMALY, {"birth_date": "2019-05-03"}) == ANOMALY


def test_a_new_rubrique_gets_its_category() -> None:
    row = corrected_row(ANOMALY, {"field": "Doublon", "message": "Élève déjà scolarisé"})
    assert row.category == "onde"


def test_wrong_values_are_refused_in_french() -> None:
    with pytest.raises(ValueError, match="date de naissance illisible"):
        corrected_row(ANOMALY, {"birth_date": "le 3 mai"})
    with pytest.raises(ValueError, match="valeur inconnue"):
        corrected_row(ANOMALY, {"severity": "Rejet"})
    pupil = IneRow("DURAND", "Noé", BORN, "en_attente", None)
    with pytest.raises(ValueError, match="11 caractères"):
        corrected_row(pupil, {"status": "attribue", "ine": "12345"})


def test_an_ine_is_kept_only_when_attributed() -> None:
    pupil = IneRow("DURAND", "Noé", BORN, "attribue", "123456789AB")
    assert corrected_row(pupil, {"status": "litige"}).ine is None
    mended = corrected_row(pupil, {"ine": " 123456789ac "})
    assert (mended.status, mended.ine) == ("attribue", "123456789AC")
