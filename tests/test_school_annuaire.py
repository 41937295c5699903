"""Reading the Annuaire de l'éducation and importing schools (`relance schools import`)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from daemon.cli import cli
from daemon.school.annuaire import (
    AnnuaireError,
    Filters,
    ImportReport,
    contract_kind,
    import_directory,
    read_directory,
)
from db.models import Event, School
from tests.conftest import ANNUAIRE, NOW

HEADER_OLD = (
    "Identifiant_de_l_etablissement;Nom_etablissement;Type_etablissement;Statut_public_prive;"
    "Code postal;Nom_commune;Code_departement;Mail;Type_contrat_prive;nom_circonscription;etat"
)
HEADER_NEW = HEADER_OLD.replace("Code postal", "Code_postal") + ";code_circonscription"


def run_import(engine: Engine, data: bytes, **filters: str) -> ImportReport:
    with Session(engine) as session:
        report = import_directory(
            session,
            data=data,
            filters=Filters(**filters),
            now=NOW,
            actor="test",  # type: ignore[arg-type]
        )
        session.commit()
    return report


@pytest.mark.slow
def test_the_real_file_imports_685_schools(engine: Engine) -> None:
    report = run_import(engine, ANNUAIRE.read_bytes())
    assert report.counts["added"] == 685
    assert report.skipped == {"pas une école": 311}
    assert report.problems == []


def test_private_schools_under_contrat_d_association(engine: Engine) -> None:
    report = run_import(engine, ANNUAIRE.read_bytes(), statut="prive", contrat="association")
    assert report.counts["added"] == 254
    with Session(engine) as session:
        schools = session.exec(select(School)).all()
    assert {s.sector for s in schools} == {"prive"} and {s.contract for s in schools} == {
        "association"
    }
    school = next(s for s in schools if s.uai == "0351056H")
    assert school.commune == "Iffendic" and school.departement == "035"
    assert school.director_email == "ec.0351056H@ac-rennes.fr"


def test_import_is_idempotent_and_reports_updates(engine: Engine) -> None:
    run_import(engine, ANNUAIRE.read_bytes())
    again = run_import(engine, ANNUAIRE.read_bytes())
    assert again.counts == {"unchanged": 685}
    changed = ANNUAIRE.read_bytes().replace(
        b"Ecole primaire publique les Lucioles", b"Les Lucioles"
    )
    third = run_import(engine, changed)
    assert third.counts["updated"] == 1 and third.counts["unchanged"] == 684
    with Session(engine) as session:
        assert len(session.exec(select(School)).all()) == 685
        kinds = [e.kind for e in session.exec(select(Event).where(Event.kind == "school_updated"))]
    assert kinds == ["school_updated"]


@pytest.mark.slow
def test_filters_by_departement_circonscription_and_type(engine: Engine) -> None:
    assert run_import(engine, ANNUAIRE.read_bytes(), departement="44").counts["added"] == 0
    report = run_import(engine, ANNUAIRE.read_bytes(), circonscription="fougeres")
    assert report.counts["added"] == 60
    everything = run_import(engine, ANNUAIRE.read_bytes(), type="all")
    assert everything.counts == {"added": 933, "unchanged": 60}
    assert everything.skipped == {"UAI déjà lu plus haut (multi-lignes)": 3}


def test_newer_column_generation_is_read(engine: Engine) -> None:
    data = (
        HEADER_NEW + "\n"
        "0441234C;École Saint-Joseph;Ecole;Privé;44000;Nantes;044;ce.0441234C@ac-nantes.fr;"
        "CONTRAT D'ASSOCIATION TOUTES CLASSES;Nantes 1;OUVERT;0440001\n"
    ).encode()
    report = run_import(engine, data)
    assert report.counts["added"] == 1
    with Session(engine) as session:
        school = session.exec(select(School)).one()
    assert (school.postal_code, school.departement, school.contract) == (
        "44000",
        "044",
        "association",
    )


def test_bad_rows_are_reported_with_their_line_and_good_rows_imported(engine: Engine) -> None:
    data = (
        HEADER_OLD + "\n"
        "0441234C;A;Ecole;Privé;44000;Nantes;044;;HORS CONTRAT;;OUVERT\n"
        "0441234A;B;Ecole;Privé;44000;Nantes;044;;HORS CONTRAT;;OUVERT\n"
        "0441235E;C;Ecole;Privé\n"
        "0441235D;D;Ecole;Public;44000;Nantes;044;;SANS OBJET;;OUVERT\n"
    ).encode()
    report = run_import(engine, data)
    assert report.counts["added"] == 2
    lines = dict(report.problems)
    assert set(lines) == {3, 4}
    assert "attendu 0441234C" in lines[3]
    assert "colonnes" in lines[4]


def test_non_utf8_lines_are_reported_and_still_read(engine: Engine) -> None:
    data = (HEADER_OLD + "\n").encode() + (
        "0441234C;École Sainte-Thérèse;Ecole;Privé;44000;Nantes;044;;HORS CONTRAT;;OUVERT\n"
    ).encode("cp1252")
    report = run_import(engine, data)
    assert report.counts["added"] == 1
    assert report.problems[0][0] == 2 and "UTF-8" in report.problems[0][1]
    with Session(engine) as session:
        assert session.exec(select(School)).one().name == "École Sainte-Thérèse"


def test_missing_uai_column_is_fatal_and_nothing_is_written(engine: Engine) -> None:
    data = b"Nom_etablissement;Type_etablissement\nA;Ecole\n"
    with pytest.raises(AnnuaireError, match="Identifiant_de_l_etablissement"):
        run_import(engine, data)


def test_comma_separated_file_is_read_with_a_warning() -> None:
    report = ImportReport()
    data = HEADER_OLD.replace(";", ",") + "\n0441234C,A,Ecole,Privé,44000,Nantes,044,,,,OUVERT\n"
    rows = read_directory(data.encode(), report)
    assert [r.uai for r in rows] == ["0441234C"] and report.warnings


def test_contract_wording_with_a_zero_for_an_o() -> None:
    assert contract_kind("C0NTRAT SIMPLE POUR PARTIE DES CLASSES") == "simple"
    assert contract_kind("CONTRAT D'ASSOCIATION TOUTES CLASSES") == "association"
    assert contract_kind("SANS OBJET") == "sans_objet"


def test_cli_import_prints_counts_and_is_all_or_nothing(tmp_path: Path, database_url: str) -> None:
    env = {"RELANCE_DATABASE_URL": database_url, "RELANCE_STATE_DIR": str(tmp_path)}
    runner = CliRunner()
    args = [
        "schools",
        "import",
        str(ANNUAIRE),
        "--statut",
        "prive",
        "--contrat",
        "association",
        "--json",
    ]
    result = runner.invoke(cli, args, env=env)
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["added"] == 254
    bad = tmp_path / "bad.csv"
    bad.write_text("nothing useful here\n")
    result = runner.invoke(cli, ["schools", "import", str(bad)], env=env)
    assert result.exit_code == 1 and "rien n'a été importé" in result.output


def test_a_utf16_file_is_read_with_a_warning(engine: Engine) -> None:
    data = (
        HEADER_OLD + "\r\n"
        "0441234C;École Sainte-Thérèse;Ecole;Privé;44000;Nantes;044;;HORS CONTRAT;;OUVERT\r\n"
    ).encode("utf-16")
    report = run_import(engine, data)
    assert report.counts["added"] == 1 and report.problems == []
    assert any("UTF-16" in w for w in report.warnings)
    with Session(engine) as session:
        assert session.exec(select(School)).one().name == "École Sainte-Thérèse"


def test_a_row_without_uai_or_with_a_bad_departement_is_reported(engine: Engine) -> None:
    data = (
        HEADER_OLD + "\n"
        ";A;Ecole;Privé;44000;Nantes;044;;HORS CONTRAT;;OUVERT\n"
        "0441234C;B;Ecole;Privé;44000;Nantes;04400;;HORS CONTRAT;;OUVERT\n"
        "0441235D;C;Ecole;Privé;44000;Nantes;44;;HORS CONTRAT;;OUVERT\n"
        "6200001G;D;Ecole;Privé;20000;Ajaccio;2a;;HORS CONTRAT;;OUVERT\n"
    ).encode()
    report = run_import(engine, data)  # on PostgreSQL the long code once failed the import
    lines = dict(report.problems)
    assert set(lines) == {2, 3}
    assert lines[2].startswith("UAI absent")
    assert "« 04400 » invalide" in lines[3]
    assert report.counts["added"] == 2
    with Session(engine) as session:
        codes = {s.uai: s.departement for s in session.exec(select(School))}
    assert codes == {"0441235D": "044", "6200001G": "02A"}
    assert run_import(engine, data, departement="2A").counts == {"unchanged": 1}


def test_a_school_deactivated_by_hand_stays_inactive_after_a_reimport(engine: Engine) -> None:
    from db.schools import get_school, set_active

    run_import(engine, ANNUAIRE.read_bytes(), statut="prive")
    with Session(engine) as session:
        school = get_school(session, uai="0351056H")
        assert school is not None
        set_active(session, now=NOW, school=school, active=False, actor="test")
        session.commit()
    again = run_import(engine, ANNUAIRE.read_bytes(), statut="prive")
    assert again.counts == {"unchanged": 264}
    assert again.kept_inactive == ["0351056H"]
    with Session(engine) as session:
        school = get_school(session, uai="0351056H")
        assert school is not None and not school.active


def test_control_characters_in_a_cell_are_dropped(engine: Engine) -> None:
    data = (
        HEADER_OLD + "\n"
        "0441234C;École\x00 Saint\x07-Joseph;Ecole;Privé;44000;Nantes;044;;HORS CONTRAT;;OUVERT\n"
        "0441235D;D;Ecole;Public;44000;Nantes;044;;SANS OBJET;;OUVERT\n"
    ).encode()
    report = run_import(engine, data)  # on PostgreSQL a NUL byte once failed the whole import
    assert report.counts["added"] == 2 and report.problems == []
    with Session(engine) as session:
        names = {s.uai: s.name for s in session.exec(select(School))}
    assert names["0441234C"] == "École Saint-Joseph"


def test_a_binary_file_is_refused_without_echoing_control_characters(engine: Engine) -> None:
    data = b"\x1b[31m\x00\x01garbage;more\x1b]0;title\x07\n1;2\n"
    with pytest.raises(AnnuaireError) as info:
        run_import(engine, data)
    assert "\x1b" not in str(info.value) and "\x00" not in str(info.value)


@pytest.mark.parametrize(
    "address",
    [
        "direction@ecole.fr, compta@ecole.fr",
        "direction@ecole.fr\nBcc: tout@ailleurs.fr",
        "direction@ecole.fr secretariat@ecole.fr",
        "Direction <direction@ecole.fr>",
        "direction@ecole.fr,",
    ],
)
def test_a_director_address_that_is_not_one_address_is_refused(
    engine: Engine, address: str
) -> None:
    row = f'0441234C;A;Ecole;Privé;44000;Nantes;044;"{address}";HORS CONTRAT;;OUVERT\n'
    good = "0441235D;B;Ecole;Privé;44000;Nantes;044;ok@ecole.fr;HORS CONTRAT;;OUVERT\n"
    report = run_import(engine, (HEADER_OLD + "\n" + row + good).encode())
    assert report.counts["added"] == 2  # the school is followed, without that address
    ((line, problem),) = report.problems
    assert line == 2 + address.count("\n") and "adresse du directeur refusée" in problem
    assert "\n" not in problem
    with Session(engine) as session:
        emails = {s.uai: s.director_email for s in session.exec(select(School))}
    assert emails == {"0441234C": "", "0441235D": "ok@ecole.fr"}


def test_a_refused_address_leaves_the_known_one_in_place(engine: Engine) -> None:
    first = "0441234C;A;Ecole;Privé;44000;Nantes;044;direction@ecole.fr;HORS CONTRAT;;OUVERT\n"
    run_import(engine, (HEADER_OLD + "\n" + first).encode())
    listed = first.replace("direction@ecole.fr", '"direction@ecole.fr, autre@ailleurs.fr"')
    report = run_import(engine, (HEADER_OLD + "\n" + listed).encode())
    assert report.problems and report.counts["unchanged"] == 1
    with Session(engine) as session:
        assert session.exec(select(School)).one().director_email == "direction@ecole.fr"
