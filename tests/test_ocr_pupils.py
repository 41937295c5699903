"""Names read by OCR checked against the school's known pupils (rapidfuzz)."""

from __future__ import annotations

from typing import Any

from daemon.ingest.reports.ocr.pupils import KnownPupil, check_names

KNOWN = [
    KnownPupil("PETIT", "Inès", "2019-09-09"),
    KnownPupil("ROUSSEAU", "Chloé", "2018-04-17"),
    KnownPupil("MARTIN", "Léa", "2020-02-01"),
    KnownPupil("MARTIN", "Léo", "2020-02-01"),
]


def _result(*rows: tuple[str, str, str]) -> dict[str, Any]:
    pupils = [
        {"last_name": a, "first_name": b, "birth_date": c, "status": "bloque", "ine": None}
        for a, b, c in rows
    ]
    return {"anomalies": [], "ine": {"pupils": pupils}, "warnings": []}


def test_one_or_two_characters_from_one_known_pupil_born_that_day_is_corrected() -> None:
    result = _result(("PETIF", "inès", "2019-09-09"), ("ROUSSEAU", "Chlogë", "2018-04-17"))
    assert check_names(result, KNOWN) == 0
    pupils = result["ine"]["pupils"]
    assert [(p["last_name"], p["first_name"], p["name_check"]) for p in pupils] == [
        ("PETIT", "Inès", "corrected"),
        ("ROUSSEAU", "Chloé", "corrected"),
    ]
    assert result["warnings"] == []


def test_an_exact_name_is_marked_exact() -> None:
    result = _result(("PETIT", "Inès", "2019-09-09"))
    check_names(result, KNOWN)
    assert result["ine"]["pupils"][0]["name_check"] == "exact"


def test_a_name_matching_nobody_is_kept_as_read_and_flagged() -> None:
    result = _result(("PETIT", "Inès", "2019-09-10"), ("DUBOIS", "Jules", "2019-09-09"))
    assert check_names(result, KNOWN) == 2
    assert [p["last_name"] for p in result["ine"]["pupils"]] == ["PETIT", "DUBOIS"]
    assert {p["name_check"] for p in result["ine"]["pupils"]} == {"unknown"}
    assert result["warnings"] == ["2 noms lus par OCR sans élève connu correspondant : à vérifier"]


def test_a_name_close_to_two_known_pupils_is_not_guessed() -> None:
    result = _result(("MARTIN", "Lé0", "2020-02-01"))
    assert check_names(result, KNOWN) == 1
    assert result["ine"]["pupils"][0]["first_name"] == "Lé0"


def test_three_characters_off_is_too_far() -> None:
    result = _result(("PATTIF", "ines", "2019-09-09"))
    assert check_names(result, KNOWN) == 1


def test_nothing_is_checked_when_no_pupil_is_known() -> None:
    result = _result(("PETIF", "inès", "2019-09-09"))
    assert check_names(result, []) == 0
    assert "name_check" not in result["ine"]["pupils"][0]
