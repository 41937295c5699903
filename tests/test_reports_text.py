"""Text as read by a person: ligatures, apostrophes, spaces; dates and times."""

from __future__ import annotations

import pytest

from daemon.ingest.reports.text import (
    clean,
    is_date_start,
    iso_date,
    key,
    parse_moment,
    starts_with_label,
)


def test_clean_undoes_ligatures_apostrophes_and_spacing() -> None:
    assert clean("vériﬁer  la\tﬂeur") == "vérifier la fleur"
    assert clean("N’GUYEN\u2011LEFÈVRE") == "N'GUYEN-LEFÈVRE"
    assert clean("ré\u00adfé\u200brentiel") == "référentiel"


def test_key_ignores_accents_case_and_spaces() -> None:
    assert key("ÉLÈVES  EN ATTENTE D’INE") == key("Eleves en attente d'INE")


def test_starts_with_label_needs_whole_words() -> None:
    assert starts_with_label("rejets : 3", "rejets")
    assert not starts_with_label("rejetsx", "rejets")


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("03/05/2019", "2019-05-03"),
        ("03/05/2 019", "2019-05-03"),
        ("3.5.2019", "2019-05-03"),
        ("2019-05-03", "2019-05-03"),
        ("31/02/2019", None),
        ("03/05/19", None),
        ("", None),
    ],
)
def test_dates(text: str, iso: str | None) -> None:
    assert iso_date(text) == iso


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("14/09/2026 à 17:42", "2026-09-14T17:42:00+02:00"),
        ("14/09/2026 17:42", "2026-09-14T17:42:00+02:00"),
        ("14/09/2026 17h42", "2026-09-14T17:42:00+02:00"),
        ("15/12/2026 à 03:10", "2026-12-15T03:10:00+01:00"),
        ("14/09/2026", "2026-09-14T00:00:00+02:00"),
        ("14/09/2026 à 27:42", None),
        ("demain", None),
    ],
)
def test_moments_are_paris_time_with_offset(text: str, iso: str | None) -> None:
    assert parse_moment(text) == iso


def test_date_start_recognises_cut_dates() -> None:
    assert is_date_start("03/0") and is_date_start("03/05/2") and is_date_start("2019-05")
    assert not is_date_start("/2019") and not is_date_start("19") and not is_date_start("Rejet")
