"""The alias table: member and column names as directors' software may write them."""

from __future__ import annotations

from pathlib import Path

import pytest

from daemon.ingest.exports.layout import AliasesError, load_aliases, name_form, read_header


def test_names_are_compared_without_case_accents_or_spaces() -> None:
    assert name_form("\ufeffDate de Naissance") == "date_de_naissance"
    assert name_form("  Prénom ") == "prenom"


def test_members_are_recognised_by_file_name_whatever_their_folder() -> None:
    aliases = load_aliases()
    assert aliases.member_of("ELEVES.CSV") == "eleves"
    assert aliases.member_of("0441234C/Élèves.csv") == "eleves"
    assert aliases.member_of("sante.csv") is None


def test_a_header_gives_known_columns_unknown_ones_and_missing_required_ones() -> None:
    header = read_header(load_aliases(), "eleves", ["ID_ELEVE", "Nom", "religion", "sexe", ""])
    assert header.index == {"id_eleve": 0, "nom": 1, "sexe": 3}
    assert header.unknown == ["religion"]
    assert header.missing == ["prenom", "date_naissance"]
    assert header.getter(["E1", " DUPONT ", "SECRET", "M"]) == {
        "id_eleve": "E1",
        "nom": "DUPONT",
        "sexe": "M",
    }


def test_an_override_file_adds_spellings(tmp_path: Path) -> None:
    extra = tmp_path / "a.toml"
    extra.write_text('[members]\neleves = ["pupils.csv"]\n', encoding="utf-8")
    aliases = load_aliases(str(extra))
    assert aliases.member_of("pupils.csv") == "eleves"
    assert aliases.member_of("eleves.csv") == "eleves"  # the layout's own name always works
    assert aliases.column_of("eleves", "Prénom") == "prenom"  # untouched sections kept


@pytest.mark.parametrize(
    "text", ["[members]\nautre = ['x.csv']\n", "[columns.eleves]\nnom = 'x'\n", "not toml ["]
)
def test_a_broken_override_file_is_refused_clearly(tmp_path: Path, text: str) -> None:
    extra = tmp_path / "bad.toml"
    extra.write_text(text, encoding="utf-8")
    with pytest.raises(AliasesError):
        load_aliases(str(extra))
