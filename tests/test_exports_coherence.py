"""The per-pupil checks of the test de cohérence, on their own."""

from __future__ import annotations

import datetime as dt

import pytest

from daemon.ingest.exports.coherence import (
    PUPIL_COLUMNS,
    PupilCheck,
    SchoolClass,
    Schooling,
    SchoolingMemo,
    check_pupil,
    is_yes,
    parse_date,
)
from daemon.ingest.exports.records import ArchivePupil

YEAR = dt.date(2026, 9, 1)
ROW = {
    "nom": "MARTIN",
    "prenom": "Léa",
    "sexe": "F",
    "date_naissance": "03/05/2020",
    "commune_naissance": "Nantes",
    "departement_naissance": "44",
    "pays_naissance": "France",
    "adresse": "1 rue X",
    "code_postal": "44000",
    "commune": "Nantes",
    "pays": "France",
}
CLASSES = {"C1": SchoolClass("CP-CE1 Mme Durand", frozenset({"CP", "CE1"}))}


def run(row: dict[str, str] | None = None, **schooling: str) -> tuple[list[str], ArchivePupil]:
    values = {"id_classe": "C1", "code_ecole": "0441234C", "niveau": "CP", "cycle": "CYCLE II"}
    values |= {"date_debut": "01/09/2026", **schooling}
    check = PupilCheck(
        "E1", row or ROW, [Schooling(**values)], CLASSES, True, True, "0441234C", YEAR
    )
    found, kept = check.run()
    return [f"{f.field}:{f.severity}" for f in found], kept


def test_a_coherent_pupil_has_no_finding_and_keeps_identity_level_class() -> None:
    found, kept = run()
    assert found == []
    assert kept == ArchivePupil(
        last_name="MARTIN",
        first_name="Léa",
        birth_date=dt.date(2020, 5, 3),
        level="CP",
        cycle="CYCLE II",
        class_label="CP-CE1 Mme Durand",
    )


@pytest.mark.parametrize(
    ("schooling", "expected"),
    [
        ({"niveau": "CM2"}, ["niveau:erreur", "cycle:erreur", "date_naissance:erreur"]),
        ({"niveau": "XX"}, ["niveau:erreur"]),
        ({"cycle": "cycle 3"}, ["cycle:erreur"]),
        ({"cycle": "C2"}, []),
        ({"code_ecole": "0350001A"}, ["code_ecole:erreur"]),
        ({"date_debut": "2027-09-01"}, ["date_debut:erreur"]),
        ({"date_debut": "2027-08-31"}, []),
        ({"date_debut": ""}, ["date_debut:erreur"]),
        ({"id_classe": "C9"}, ["id_classe:erreur"]),
        ({"niveau": "CE1"}, ["date_naissance:avertissement"]),
    ],
)
def test_schooling_checks(schooling: dict[str, str], expected: list[str]) -> None:
    assert run(**schooling)[0] == expected


def test_an_unreadable_birth_date_is_an_error_and_not_kept() -> None:
    found, kept = run({**ROW, "date_naissance": "31/02/2020"})
    assert found == ["date_naissance:erreur"] and kept.birth_date is None


def test_dates_and_yes() -> None:
    assert parse_date("3/5/2019") == dt.date(2019, 5, 3)
    assert parse_date("2019-05-03") == dt.date(2019, 5, 3)
    assert parse_date("2019-5-3") is None
    assert is_yes(" OUI ") and is_yes("o") and not is_yes("Non")


def test_a_memo_shared_by_the_pupils_of_an_archive_changes_no_finding() -> None:
    schooling = Schooling("C1", "0441234C", "CP", "CYCLE II", "01/09/2026")
    other = Schooling("C9", "0441234C", "CP", "CYCLE II", "2027-09-01")
    pupils = [
        ({**ROW, "date_naissance": "03/05/2020"}, [schooling]),  # on time
        ({**ROW, "date_naissance": "03/05/2018"}, [schooling]),  # same scolarité, 2 years late
        ({**ROW, "date_naissance": "31/02/2020"}, [schooling]),  # unreadable birth date
        ({**ROW, "date_naissance": "03/05/2020"}, [other, schooling]),
        ({**ROW, "date_naissance": "03/05/2020"}, [other]),
        ({**ROW, "date_naissance": "03/05/2020"}, [schooling]),
    ]
    memo: SchoolingMemo = {}
    for row, schoolings in pupils:
        values = [row.get(column, "") for column in PUPIL_COLUMNS]
        args = ("E1", values, schoolings, CLASSES, True, True, "0441234C", YEAR)
        assert check_pupil(*args, memo) == check_pupil(*args)
    assert len(memo) == 4  # (scolarité, birth year) seen: C1/2020, C1/2018, C1/none, C9/2020
    found, _kept = check_pupil(
        "E1",
        [{**ROW, "date_naissance": "03/05/2018"}.get(c, "") for c in PUPIL_COLUMNS],
        [schooling],
        CLASSES,
        True,
        True,
        "0441234C",
        YEAR,
        memo,
    )
    assert [f.field for f in found] == ["date_naissance"]
