"""Names read by OCR checked against the school's known pupils (rapidfuzz)."""

from __future__ import annotations

import datetime as dt

from daemon.ingest.reports.ocr.pupils import KnownPupil, NameChecks, check_names
from daemon.ingest.reports.records import AnomalyRow, CompteRendu, IneRow, IneSection


def day(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


KNOWN = [
    KnownPupil("PETIT", "Inès", day("2019-09-09")),
    KnownPupil("ROUSSEAU", "Chloé", day("2018-04-17")),
    KnownPupil("MARTIN", "Léa", day("2020-02-01")),
    KnownPupil("MARTIN", "Léo", day("2020-02-01")),
]


def _result(*rows: tuple[str, str, str]) -> CompteRendu:
    pupils = tuple(IneRow(a, b, day(c), "bloque", None) for a, b, c in rows)
    return CompteRendu(ine=IneSection(pupils=pupils), source="ocr")


def names(result: CompteRendu) -> list[tuple[str | None, str | None]]:
    return [(p.last_name, p.first_name) for p in result.ine.pupils]


def test_one_or_two_characters_from_one_known_pupil_born_that_day_is_corrected() -> None:
    read = _result(("PETIF", "inès", "2019-09-09"), ("ROUSSEAU", "Chlogë", "2018-04-17"))
    result, checks = check_names(read, KNOWN)
    assert names(result) == [("PETIT", "Inès"), ("ROUSSEAU", "Chloé")]
    assert checks == NameChecks((), ("corrected", "corrected"))
    assert checks.all_known and checks.unknown == 0
    assert result.warnings == ()


def test_an_exact_name_is_marked_exact() -> None:
    _read, checks = check_names(_result(("PETIT", "Inès", "2019-09-09")), KNOWN)
    assert checks.ine == ("exact",)


def test_a_name_matching_nobody_is_kept_as_read_and_flagged() -> None:
    read = _result(("PETIT", "Inès", "2019-09-10"), ("DUBOIS", "Jules", "2019-09-09"))
    result, checks = check_names(read, KNOWN)
    assert names(result) == names(read)
    assert checks.ine == ("unknown", "unknown") and not checks.all_known
    warning = "2 noms lus par OCR sans élève connu correspondant : à vérifier"
    assert result.warnings == (warning,) and warning in result.review_reasons
    assert result.needs_review


def test_one_name_matching_nobody_is_said_in_the_singular() -> None:
    result, _checks = check_names(_result(("DUBOIS", "Jules", "2019-09-09")), KNOWN)
    assert result.warnings == ("1 nom lu par OCR sans élève connu correspondant : à vérifier",)


def test_a_name_close_to_two_known_pupils_is_not_guessed() -> None:
    result, checks = check_names(_result(("MARTIN", "Lé0", "2020-02-01")), KNOWN)
    assert names(result) == [("MARTIN", "Lé0")] and checks.unknown == 1


def test_three_characters_off_is_too_far() -> None:
    _read, checks = check_names(_result(("PATTIF", "ines", "2019-09-09")), KNOWN)
    assert checks.unknown == 1


def test_anomaly_rows_are_checked_too() -> None:
    row = AnomalyRow("ROUSEAU", "Chloé", day("2018-04-17"), "Adresse", "x", "rejet", "export")
    result, checks = check_names(CompteRendu(anomalies=(row,), source="ocr"), KNOWN)
    assert result.anomalies[0].last_name == "ROUSSEAU" and checks.anomalies == ("corrected",)


def test_nothing_is_checked_when_no_pupil_is_known() -> None:
    read = _result(("PETIF", "inès", "2019-09-09"))
    result, checks = check_names(read, [])
    assert result == read
    assert checks.ine == ("unchecked",) and not checks.all_known and checks.unknown == 0
