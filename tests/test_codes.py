"""UAI, INE, levels and name keys."""

from __future__ import annotations

import csv

import pytest

from daemon.codes import (
    InvalidUAI,
    cycle_of,
    find_uais,
    is_valid_ine,
    name_key,
    normalise_cycle,
    normalise_ine,
    normalise_level,
    parse_uai,
    pupil_key,
    split_levels,
)
from tests.conftest import ANNUAIRE


def test_valid_uai_is_normalised() -> None:
    assert parse_uai(" 0441234c ") == "0441234C"
    assert parse_uai("044 1234 C") == "0441234C"


def test_wrong_check_letter_names_the_expected_letter() -> None:
    with pytest.raises(InvalidUAI, match="est C, pas A"):
        parse_uai("0441234A")


@pytest.mark.parametrize("raw", ["", "044123C", "04412345C", "ABCDEFGH", "0441234", "0441234CC"])
def test_malformed_uai_is_refused(raw: str) -> None:
    with pytest.raises(InvalidUAI, match="7 chiffres"):
        parse_uai(raw)


def test_every_real_uai_of_the_annuaire_validates() -> None:
    with ANNUAIRE.open(encoding="utf-8-sig") as handle:
        codes = [r["Identifiant_de_l_etablissement"] for r in csv.DictReader(handle, delimiter=";")]
    assert len(codes) == 996
    assert all(parse_uai(code) == code for code in codes)


def test_find_uais_in_file_and_folder_names() -> None:
    assert find_uais("0441234C/CSVExtraction.csv") == ["0441234C"]
    assert find_uais("export_0441234c-2026.csv") == ["0441234C"]
    assert find_uais("0441234A.zip") == []  # wrong letter: not a UAI
    assert find_uais("x10441234C") == []  # glued to other characters


@pytest.mark.parametrize(
    "ine",
    ["123456789AB", "1234567890A", "0A1B2C3D4E5", "1234A12345B", "1234D12345B", " 123456789ab "],
)
def test_known_ine_shapes_are_accepted(ine: str) -> None:
    assert is_valid_ine(ine)


@pytest.mark.parametrize("ine", ["", None, "12345", "123456789ABC", "ABCDEFGHIJK", "12345678-AB"])
def test_other_ine_shapes_are_refused(ine: str | None) -> None:
    assert not is_valid_ine(ine)


def test_empty_ine_means_pending() -> None:
    assert normalise_ine("  ") is None


def test_levels_and_cycles() -> None:
    assert normalise_level("ce 1") == "CE1"
    assert normalise_level("C.M.2") == "CM2"
    assert normalise_level("6EME") is None
    assert cycle_of("CP") == "CYCLE II" and cycle_of("TPS") == "CYCLE I"
    assert normalise_cycle(" cycle 3") == "CYCLE III"
    assert normalise_cycle("CYCLE II") == "CYCLE II"
    assert normalise_cycle("C1") == "CYCLE I"
    assert split_levels("CP,CE1") == ["CP", "CE1"]
    assert split_levels("CP-CE1 / CE2") == ["CP", "CE1", "CE2"]


def test_name_keys_ignore_accents_case_spaces_and_apostrophes() -> None:
    assert name_key("N’GUYEN-  LEFÈVRE") == name_key("n'guyen-lefevre")
    assert name_key("  Chloé   Anne ") == "chloe anne"
    assert name_key("Œdipe") == "oedipe"
    assert pupil_key("Martin", "Léa", "2019-05-03") == pupil_key("MARTIN", "LEA", "2019-05-03")
    assert pupil_key("Martin", "Léa", "2019-05-03") != pupil_key("Martin", "Léa", "2019-05-04")
