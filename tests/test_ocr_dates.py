"""Dates read by OCR checked by their own rules, and mended by look-alike digits when they break
them."""

from __future__ import annotations

import datetime as dt

from daemon.ingest.reports.ocr.dates import birth_years, mend_birth_date, mend_date

YEARS = birth_years(dt.date(2026, 9, 14))


def test_a_slashed_zero_read_as_eight_or_six_is_mended_where_the_rules_tell() -> None:
    assert mend_date("83/85/2819") == "03/05/2019"
    assert mend_date("17/64/2818") == "17/04/2018"
    assert mend_date("36/01/2621") == "30/01/2021"


def test_separators_and_letters_read_for_digits_are_mended() -> None:
    assert mend_date("09;09/2919") == "09/09/2019"
    assert mend_date("17:G4/2018") == "17/04/2018"
    assert mend_date("O1/O2/2O2O") == "01/02/2020"


def test_a_date_that_keeps_its_rules_is_left_as_read() -> None:
    assert mend_date("18/07/2020") == "18/07/2020"
    assert mend_date("14/09/2026") == "14/09/2026"


def test_what_is_no_date_is_left_as_read() -> None:
    for text in ("AC401/2021", "17:42", "0441234C", "Niveau", "e1/C2/2"):
        assert mend_date(text) == text


def test_two_cheapest_readings_mend_nothing() -> None:
    # No 31 June: the 6 may be a 5 or an 8 (31/05, 31/08), nobody can tell which.
    assert mend_date("31/06/2019") == "31/06/2019"
    # No day 88: one reading as 0 (08) is cheaper than any other.
    assert mend_date("88/01/2019") == "08/01/2019"


def test_a_birth_year_after_the_compte_rendu_is_mended_to_a_pupils_year() -> None:
    assert mend_birth_date(dt.date(2026, 2, 1), YEARS) == dt.date(2020, 2, 1)
    assert mend_birth_date(dt.date(2028, 7, 14), YEARS) == dt.date(2020, 7, 14)
    assert mend_birth_date(dt.date(2019, 9, 9), YEARS) == dt.date(2019, 9, 9)
    assert mend_birth_date(None, YEARS) is None


def test_without_the_compte_rendus_date_any_year_of_a_compte_rendu_is_kept() -> None:
    assert mend_birth_date(dt.date(2026, 2, 1), birth_years(None)) == dt.date(2026, 2, 1)
    assert 1990 in birth_years(None) and 2030 in birth_years(None)
    assert (YEARS.start, YEARS.stop) == (2012, 2026)  # born 2012 to 2025
