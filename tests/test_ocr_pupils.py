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


def test_a_birth_date_misread_by_look_alike_digits_is_the_known_pupils() -> None:
    # 2019-09-09 printed with a slashed zero and read 2819-89-09... mended to a valid day but
    # wrong: 08/09/2019 (the 9 read as 8), and Chloé's 17/04/2018 read 17/04/2016.
    read = _result(("PETIT", "Inès", "2019-09-08"), ("ROUSSEAU", "Chioé", "2016-04-17"))
    result, checks = check_names(read, KNOWN)
    assert [(p.last_name, p.first_name, p.birth_date) for p in result.ine.pupils] == [
        ("PETIT", "Inès", day("2019-09-09")),
        ("ROUSSEAU", "Chloé", day("2018-04-17")),
    ]
    assert checks.ine == ("corrected", "corrected")


def test_a_date_that_no_look_alike_explains_or_two_pupils_it_may_be_stay_unknown() -> None:
    # 17/04/2012: 2 is no look-alike of 8; MARTIN Léa or Léo born 01/02/2020 read 01/02/2028.
    read = _result(("ROUSSEAU", "Chloé", "2012-04-17"), ("MARTIN", "Lée", "2028-02-01"))
    result, checks = check_names(read, KNOWN)
    assert names(result) == names(read) and checks.ine == ("unknown", "unknown")
    assert [p.birth_date for p in result.ine.pupils] == [day("2012-04-17"), day("2028-02-01")]


def test_a_date_not_read_takes_the_known_pupils_of_exactly_that_name() -> None:
    pupils = (
        IneRow("PETIT", "Inès", None, "bloque", None),
        IneRow("MARTIN", "Lé", None, "bloque", None),  # Léa or Léo: nobody can tell
    )
    read = CompteRendu(ine=IneSection(pupils=pupils), source="ocr")
    result, checks = check_names(read, KNOWN)
    assert result.ine.pupils[0].birth_date == day("2019-09-09")
    assert result.ine.pupils[1].birth_date is None
    assert checks.ine == ("corrected", "unknown")
