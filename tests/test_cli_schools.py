"""`relance schools add|edit|list|show|deactivate` and `relance school show`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from daemon.cli import cli
from tests.conftest import ANNUAIRE


@pytest.fixture
def run(tmp_path: Path, database_url: str):
    env = {"RELANCE_DATABASE_URL": database_url, "RELANCE_STATE_DIR": str(tmp_path)}

    def invoke(*args: str) -> Result:
        return CliRunner().invoke(cli, list(args), env=env)

    return invoke


def test_add_then_show_a_school(run) -> None:
    result = run(
        "schools", "add", "0441234c", "--name", "École Saint-Joseph", "--email", "dir@example.org"
    )
    assert result.exit_code == 0, result.output
    shown = run("school", "show", "0441234C")
    assert shown.exit_code == 0, shown.output
    assert "École Saint-Joseph" in shown.output and "Export attendu" in shown.output
    data = json.loads(run("schools", "show", "0441234C", "--json").output)
    assert data["director_email"] == "dir@example.org" and data["stage"] == "awaiting_export"
    assert data["anomalies"] == [] and data["pupils_without_ine"] == []


def test_show_speaks_french_not_stored_values(run, tmp_path: Path) -> None:
    from tests.factories import cr_text

    run("schools", "add", "0441234C", "--name", "École Saint-Joseph")
    report = tmp_path / "0441234C-cr.txt"
    report.write_bytes(cr_text(errors=2, pending=1))
    assert run("ingest", str(report)).exit_code == 0
    shown = run("school", "show", "0441234C")
    assert shown.exit_code == 0, shown.output
    assert "1 élève sans INE" in shown.output and "2 anomalies ouvertes" in shown.output
    assert "en attente d'INE" in shown.output and "en_attente" not in shown.output
    assert "(s)" not in shown.output


def test_a_wrong_uai_names_the_expected_letter(run) -> None:
    result = run("schools", "add", "0441234A", "--name", "X")
    assert result.exit_code != 0 and "attendu 0441234C" in result.output


def test_adding_twice_is_refused(run) -> None:
    run("schools", "add", "0441234C", "--name", "A")
    result = run("schools", "add", "0441234C", "--name", "A")
    assert result.exit_code == 1 and "existe déjà" in result.output


def test_a_hand_edited_address_survives_a_reimport(run) -> None:
    annuaire = str(ANNUAIRE)
    run("schools", "import", annuaire, "--statut", "prive")
    assert run("schools", "edit", "0351056H", "--email", "direction@example.org").exit_code == 0
    run("schools", "import", annuaire, "--statut", "prive")
    data = json.loads(run("schools", "show", "0351056H", "--json").output)
    assert data["director_email"] == "direction@example.org"


def test_list_filters_and_json(run) -> None:
    annuaire = str(ANNUAIRE)
    run("schools", "import", annuaire, "--statut", "prive", "--contrat", "association")
    everything = json.loads(run("schools", "list", "--json").output)
    assert len(everything) == 254
    assert {"uai", "name", "stage", "circonscription", "director_email"} <= set(everything[0])
    fougeres = json.loads(run("schools", "list", "--circonscription", "FOUGERES", "--json").output)
    assert 0 < len(fougeres) < 254
    assert all("Fougères" in s["circonscription"] for s in fougeres)
    waiting = json.loads(run("schools", "list", "--stage", "awaiting_export", "--json").output)
    assert len(waiting) == 254
    assert json.loads(run("schools", "list", "--stage", "validated", "--json").output) == []
    found = json.loads(run("schools", "list", "--search", "saint malo", "--json").output)
    assert found and all("Malo" in s["commune"] for s in found)
    table = run("schools", "list", "--circonscription", "fougeres")
    assert table.exit_code == 0 and "0351062P" in table.output


def test_deactivated_schools_leave_the_list(run) -> None:
    run("schools", "add", "0441234C", "--name", "A")
    assert run("schools", "deactivate", "0441234C").exit_code == 0
    assert json.loads(run("schools", "list", "--json").output) == []
    assert len(json.loads(run("schools", "list", "--all", "--json").output)) == 1
    assert run("schools", "activate", "0441234C").exit_code == 0
    assert len(json.loads(run("schools", "list", "--json").output)) == 1


def test_unknown_school(run) -> None:
    result = run("school", "show", "0441234C")
    assert result.exit_code == 1 and "inconnue" in result.output


def test_hand_typed_fields_are_checked_before_anything_is_written(run) -> None:
    bad_email = run("schools", "add", "0441234C", "--name", "A", "--email", "pas une adresse")
    assert bad_email.exit_code == 2 and "adresse e-mail invalide" in bad_email.output
    empty_name = run("schools", "add", "0441234C", "--name", "  ")
    assert empty_name.exit_code == 2 and "nom de l'école est vide" in empty_name.output
    long_name = run("schools", "add", "0441234C", "--name", "x" * 201)
    assert long_name.exit_code == 2 and "200 au plus" in long_name.output
    assert json.loads(run("schools", "list", "--all", "--json").output) == []
    assert (
        run("schools", "add", "0441234C", "--name", " A ", "--email", " d@example.org ").exit_code
        == 0
    )
    edit = run("schools", "edit", "0441234C", "--email", "d@example")
    assert edit.exit_code == 2 and "adresse e-mail invalide" in edit.output
    data = json.loads(run("schools", "show", "0441234C", "--json").output)
    assert (data["name"], data["director_email"]) == ("A", "d@example.org")
    assert run("schools", "edit", "0441234C", "--email", "").exit_code == 0  # cleared on purpose


@pytest.mark.slow
def test_a_wrong_departement_filter_is_refused(run) -> None:
    result = run("schools", "import", str(ANNUAIRE), "--departement", "3500")
    assert result.exit_code == 2 and "« 3500 » invalide" in result.output
    assert (
        json.loads(run("schools", "import", str(ANNUAIRE), "--departement", "35", "--json").output)[
            "added"
        ]
        == 685
    )


@pytest.mark.slow
def test_a_reimport_keeps_a_hand_deactivation_and_says_so(run) -> None:
    annuaire = str(ANNUAIRE)
    run("schools", "import", annuaire, "--statut", "prive")
    assert run("schools", "deactivate", "0351056H").exit_code == 0
    again = run("schools", "import", annuaire, "--statut", "prive")
    assert again.exit_code == 0 and "0351056H" in again.output
    assert "1 école désactivée à la main le reste" in again.output
    data = json.loads(run("schools", "show", "0351056H", "--json").output)
    assert data["active"] is False


def test_brackets_in_a_name_are_printed_as_written(run) -> None:
    name = "École [/nope] [bold]Saint-Jean"
    assert run("schools", "add", "0441234C", "--name", name, "--commune", "[red]").exit_code == 0
    listed = run("schools", "list")
    assert listed.exit_code == 0, listed.output
    assert "[/nope]" in listed.output and "[red]" in listed.output
    shown = run("schools", "show", "0441234C")
    assert shown.exit_code == 0, shown.output
    assert name in shown.output and "[red]" in shown.output
