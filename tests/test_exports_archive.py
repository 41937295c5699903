"""check_archive: refusals, the test de cohérence on built archives, the demo archives, and a
fuzz of mutated zips (always a result or a clear refusal, never an exception)."""

from __future__ import annotations

import datetime as dt
import logging
import random
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from daemon.codes import is_valid_uai
from daemon.demo.generate import archive as demo_archive
from daemon.demo.generate import make_pupils
from daemon.ingest.exports.archive import ArchiveLimits, check_archive
from daemon.ingest.exports.records import ArchiveCheck, ArchivePupil
from tests.archives import (
    SECRETS,
    UAI,
    YEAR_START,
    Layout,
    add_column,
    export_archive,
    layout,
    set_cell,
    to_zip,
)

OTHER = "0350001A"


def check(data: bytes, filename: str = f"{UAI}.zip", **kwargs: Any) -> ArchiveCheck:
    kwargs.setdefault("limits", ArchiveLimits())
    kwargs.setdefault("school_year_start", YEAR_START)
    return check_archive(data, filename, **kwargs)


def findings(members: Layout, **kwargs: Any) -> list[tuple[str | None, str, str, str]]:
    result = check(to_zip(members), **kwargs)
    assert result.accepted, result.refusal
    return [(f.id_eleve, f.member, f.field, f.severity) for f in result.findings]


def test_a_valid_archive_has_its_headcount_and_no_finding() -> None:
    result = check(export_archive(10), known_uais={UAI}, expected_uai=UAI)
    assert result.accepted and result.refusal is None and result.findings == ()
    assert result.members == ("eleves.csv", "responsables.csv", "classes.csv", "scolarites.csv")
    headcount = result.headcount
    assert headcount is not None
    assert headcount.total == 10
    assert headcount.by_level == {
        "PS": 2,
        "MS": 2,
        "GS": 1,
        "CP": 1,
        "CE1": 1,
        "CE2": 1,
        "CM1": 1,
        "CM2": 1,
    }
    assert headcount.by_cycle == {"CYCLE I": 5, "CYCLE II": 3, "CYCLE III": 2}
    assert headcount.by_class["PS Mme Durand"] == {"PS": 2}
    assert result.pupils[0] == ArchivePupil(
        last_name="MARTIN0",
        first_name="Léa",
        birth_date=dt.date(2023, 1, 1),
        level="PS",
        cycle="CYCLE I",
        class_label="PS Mme Durand",
    )


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_demo_archives_pass_with_no_error(seed: int) -> None:
    pupils = make_pupils(UAI, None, random.Random(seed), 2026)
    result = check(demo_archive(UAI, pupils, dt.date(2026, 9, 1)))
    assert result.accepted and result.headcount and result.headcount.total == len(pupils)
    assert [f for f in result.findings if f.severity == "erreur"] == []


@pytest.mark.parametrize(
    ("filename", "kwargs", "expected"),
    [
        ("archive.zip", {}, "UAI"),
        ("0441234A.zip", {}, "0441234C"),
        (f"{UAI}.tar", {}, "<UAI>.zip"),
        (f"{UAI}.zip", {"expected_uai": OTHER}, OTHER),
        (f"{UAI}.zip", {"known_uais": {OTHER}}, "pas suivie"),
    ],
)
def test_names_and_schools_that_do_not_fit_are_refused(
    filename: str, kwargs: dict[str, Any], expected: str
) -> None:
    result = check(export_archive(2), filename, **kwargs)
    assert not result.accepted and expected in result.refusal
    assert result.headcount is None and result.pupils == () and result.findings == ()


def test_a_lowercase_name_is_accepted() -> None:
    assert check(export_archive(2), "0441234c.zip").uai == UAI


def test_limits_come_from_the_settings(settings: Any) -> None:
    limits = ArchiveLimits.from_settings(settings.exports.model_copy(update={"max_members": 3}))
    result = check(export_archive(2), limits=limits)
    assert not result.accepted and "4 fichiers" in result.refusal


def test_missing_identity_birth_place_and_address_are_errors() -> None:
    m = layout(4)
    set_cell(m, "eleves.csv", 1, "prenom", "")
    set_cell(m, "eleves.csv", 2, "commune_naissance", "")
    set_cell(m, "eleves.csv", 3, "adresse", "")
    set_cell(m, "eleves.csv", 4, "sexe", "X")
    assert findings(m) == [
        ("E00001", "eleves.csv", "prenom", "erreur"),
        ("E00002", "eleves.csv", "commune_naissance", "erreur"),
        ("E00003", "eleves.csv", "adresse", "erreur"),
        ("E00004", "eleves.csv", "sexe", "erreur"),
    ]


def test_born_abroad_needs_no_commune_and_abroad_needs_no_postcode() -> None:
    m = layout(2)
    set_cell(m, "eleves.csv", 1, "commune_naissance", "")
    set_cell(m, "eleves.csv", 1, "departement_naissance", "")
    set_cell(m, "eleves.csv", 1, "pays_naissance", "Sénégal")
    set_cell(m, "eleves.csv", 2, "code_postal", "")
    set_cell(m, "eleves.csv", 2, "pays", "Belgique")
    assert findings(m) == []


def test_schooling_class_level_cycle_school_and_start_are_checked() -> None:
    m = layout(6)
    set_cell(m, "scolarites.csv", 1, "id_classe", "C-NONE")
    set_cell(m, "scolarites.csv", 2, "niveau", "CP")  # class "MS" does not hold CP
    set_cell(m, "scolarites.csv", 3, "cycle", "CYCLE III")
    set_cell(m, "scolarites.csv", 4, "code_ecole", OTHER)
    set_cell(m, "scolarites.csv", 5, "date_debut", "01/09/2025")
    m["scolarites.csv"].append(list(m["scolarites.csv"][6]))  # E00006 twice
    found = findings(m)
    assert ("E00001", "scolarites.csv", "id_classe", "erreur") in found
    assert ("E00002", "scolarites.csv", "niveau", "erreur") in found
    assert ("E00003", "scolarites.csv", "cycle", "erreur") in found
    assert ("E00004", "scolarites.csv", "code_ecole", "erreur") in found
    assert ("E00005", "scolarites.csv", "date_debut", "erreur") in found
    assert ("E00006", "scolarites.csv", "id_eleve", "erreur") in found


def test_a_pupil_without_schooling_and_a_schooling_without_pupil_are_errors() -> None:
    m = layout(2)
    m["scolarites.csv"][1][0] = "E99999"
    assert findings(m) == [
        ("E00001", "scolarites.csv", "id_eleve", "erreur"),
        ("E99999", "scolarites.csv", "id_eleve", "erreur"),
    ]


@pytest.mark.parametrize(("shift", "severity"), [(0, None), (1, "avertissement"), (2, "erreur")])
def test_the_age_must_fit_the_level(shift: int, severity: str | None) -> None:
    m = layout(4)  # row 4 is a CP pupil born in 2020
    set_cell(m, "eleves.csv", 4, "date_naissance", f"04/04/{2020 - shift}")
    expected = [("E00004", "eleves.csv", "date_naissance", severity)] if severity else []
    assert findings(m) == expected


def test_a_pupil_needs_a_responsable_with_parental_authority() -> None:
    m = layout(3)
    set_cell(m, "responsables.csv", 1, "autorite_parentale", "Non")
    del m["responsables.csv"][2]
    assert findings(m) == [
        ("E00001", "responsables.csv", "autorite_parentale", "erreur"),
        ("E00002", "responsables.csv", "id_eleve", "erreur"),
    ]


def test_unlisted_members_and_columns_are_reported_and_never_read() -> None:
    m = layout(2)
    add_column(m, "eleves.csv", "religion", "SECRET-RELIGION")
    result = check(to_zip(m, raw={"sante.csv": b"id_eleve;allergie\nE00001;SECRET-SANTE\n"}))
    assert [(f.member, f.field, f.severity) for f in result.findings] == [
        ("sante.csv", "sante.csv", "donnee_non_autorisee"),
        ("eleves.csv", "religion", "donnee_non_autorisee"),
    ]
    assert "SECRET" not in repr(result) + repr(result.as_json())


def test_columns_are_matched_through_the_aliases() -> None:
    m = layout(2)
    m["eleves.csv"][0][1:3] = ["Nom de famille", "Prénom"]
    m["scolarites.csv"][0][2] = "UAI"
    assert findings(m) == []


def test_aliases_can_be_overridden_by_a_file(tmp_path: Any) -> None:
    extra = tmp_path / "alias.toml"
    extra.write_text('[columns.eleves]\nprenom = ["firstname"]\n', encoding="utf-8")
    m = layout(2)
    m["eleves.csv"][0][2] = "firstname"
    assert findings(m, limits=ArchiveLimits(aliases_file=str(extra))) == []
    assert ("eleves.csv", "firstname", "donnee_non_autorisee") in [
        (f[1], f[2], f[3]) for f in findings(m)
    ]


def test_a_missing_member_or_column_is_an_error_not_a_refusal() -> None:
    m = layout(2)
    del m["responsables.csv"]
    m["classes.csv"][0][2] = "autre"
    result = check(to_zip(m))
    assert result.accepted
    fields = {(f.member, f.field) for f in result.findings if f.id_eleve is None}
    assert ("responsables.csv", "responsables.csv") in fields
    assert ("classes.csv", "niveaux") in fields


def test_an_archive_in_cp1252_is_read() -> None:
    m = layout(4)
    result = check(to_zip(m, encoding="cp1252"))
    assert result.findings == () and result.pupils[3].first_name == "Zoé"


def test_nothing_of_addresses_and_responsables_leaves_the_checker(
    caplog: pytest.LogCaptureFixture,
) -> None:
    m = layout(5)
    set_cell(m, "responsables.csv", 1, "autorite_parentale", "Non")
    set_cell(m, "eleves.csv", 2, "code_postal", "")
    caplog.set_level(logging.DEBUG)
    result = check(to_zip(m))
    assert len(result.findings) == 2
    text = repr(result) + repr(result.as_json()) + caplog.text
    for secret in SECRETS:
        assert secret not in text


# ---- fuzz ------------------------------------------------------------------------------------

SEED = to_zip(layout(6))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(st.integers(0, len(SEED) - 1), st.integers(0, 255)), min_size=1, max_size=12
    ),
    st.integers(0, len(SEED)),
)
def test_mutated_archives_give_a_result_or_a_clear_refusal(
    edits: list[tuple[int, int]], cut: int
) -> None:
    data = bytearray(SEED)
    for at, value in edits:
        data[at] = value
    result = check(bytes(data[: max(cut, 30)]))
    keys = ["uai", "accepted", "refusal", "members", "headcount", "findings"]
    assert list(result.as_json()) == keys
    if result.accepted:
        assert result.refusal is None and result.headcount is not None
    else:
        assert isinstance(result.refusal, str) and result.refusal
    assert result.uai is None or is_valid_uai(result.uai)


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=2000))
def test_random_bytes_are_refused_clearly(data: bytes) -> None:
    result = check(b"PK\x03\x04" + data)
    assert not result.accepted and result.refusal


@settings(max_examples=150, deadline=None)
@given(
    st.sampled_from(["eleves.csv", "responsables.csv", "classes.csv", "scolarites.csv"]),
    st.integers(0, 6),
    st.integers(0, 14),
    st.text(max_size=30),
    st.binary(max_size=200),
)
def test_archives_with_odd_cells_and_bytes_are_checked_without_exception(
    member: str, row: int, column: int, value: str, tail: bytes
) -> None:
    m = layout(6)
    rows = m[member]
    if column < len(rows[row]):
        rows[row][column] = value
    else:
        rows[row].append(value)
    result = check(to_zip(m, raw={"scolarites.csv.bak": tail}))
    assert result.accepted and result.headcount is not None


def test_an_archive_whose_schoolings_name_another_school_is_refused() -> None:
    every = layout(6)
    for row in range(1, 7):
        set_cell(every, "scolarites.csv", row, "code_ecole", OTHER)
    result = check(to_zip(every))
    assert not result.accepted and result.headcount is None
    assert result.refusal == f"archive d'une autre école ({OTHER})"
    nearly = layout(12)
    written = OTHER.lower().replace("0350", "0350 ")  # still B's code
    for row in range(1, 12):  # 11 of 12: nearly every one
        set_cell(nearly, "scolarites.csv", row, "code_ecole", written)
    assert check(to_zip(nearly)).refusal == f"archive d'une autre école ({OTHER})"


def test_a_few_schoolings_of_another_school_stay_per_pupil_errors() -> None:
    m = layout(6)
    set_cell(m, "scolarites.csv", 1, "code_ecole", OTHER)
    set_cell(m, "scolarites.csv", 2, "code_ecole", OTHER)
    result = check(to_zip(m))
    assert result.accepted
    assert [f.id_eleve for f in result.findings if f.field == "code_ecole"] == ["E00001", "E00002"]
    garbled = layout(3)
    for row in range(1, 4):  # no valid UAI: not another school, an error on each pupil
        set_cell(garbled, "scolarites.csv", row, "code_ecole", "ECOLE")
    assert check(to_zip(garbled)).accepted
