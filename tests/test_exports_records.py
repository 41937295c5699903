"""The archive check as a record: its JSON is the spec's, and reads back into the same record."""

from __future__ import annotations

import datetime as dt
import json

from daemon.ingest.exports.archive import ArchiveLimits, check_archive
from daemon.ingest.exports.records import (
    ArchiveCheck,
    ArchivePupil,
    Finding,
    HeadcountTable,
    PupilIdentity,
)
from tests.archives import UAI, YEAR_START, layout, set_cell, to_zip

FIELDS = ("uai", "accepted", "refusal", "members", "headcount", "findings")
LEA = PupilIdentity("MARTIN", "Léa", dt.date(2019, 5, 3))
CHECK = ArchiveCheck(
    UAI,
    True,
    None,
    ("eleves.csv", "responsables.csv", "classes.csv", "scolarites.csv"),
    HeadcountTable(142, {"PS": 20, "CP": 24}, {"CP-CE1 Mme Durand": {"CP": 12}}, {"CYCLE I": 60}),
    (
        Finding("E0042", LEA, "eleves.csv", "commune_naissance", "Lieu de naissance absent"),
        Finding(None, None, "sante.csv", "sante.csv", "non lu", "donnee_non_autorisee"),
    ),
    (ArchivePupil("MARTIN", "Léa", dt.date(2019, 5, 3), "CP", "CYCLE II", "CP-CE1 Mme Durand"),),
)


def test_the_check_is_the_spec_json_without_the_pupils() -> None:
    assert CHECK.as_json() == {
        "uai": UAI,
        "accepted": True,
        "refusal": None,
        "members": ["eleves.csv", "responsables.csv", "classes.csv", "scolarites.csv"],
        "headcount": {
            "total": 142,
            "by_level": {"PS": 20, "CP": 24},
            "by_class": {"CP-CE1 Mme Durand": {"CP": 12}},
            "by_cycle": {"CYCLE I": 60},
        },
        "findings": [
            {
                "id_eleve": "E0042",
                "pupil": {"last_name": "MARTIN", "first_name": "Léa", "birth_date": "2019-05-03"},
                "member": "eleves.csv",
                "field": "commune_naissance",
                "message": "Lieu de naissance absent",
                "severity": "erreur",
            },
            {
                "id_eleve": None,
                "pupil": None,
                "member": "sante.csv",
                "field": "sante.csv",
                "message": "non lu",
                "severity": "donnee_non_autorisee",
            },
        ],
    }


def test_the_check_reads_back_from_its_json_but_the_pupils() -> None:
    data = json.loads(json.dumps(CHECK.as_json()))
    again = ArchiveCheck.from_json(data)
    assert again.pupils == () and again == ArchiveCheck(*[getattr(CHECK, f) for f in FIELDS])
    assert again.as_json() == data


def test_a_real_check_and_a_refusal_read_back_from_their_json() -> None:
    m = layout(8)
    set_cell(m, "eleves.csv", 2, "sexe", "X")
    set_cell(m, "scolarites.csv", 3, "niveau", "ZZ")
    limits = ArchiveLimits()
    for data, name in ((to_zip(m), f"{UAI}.zip"), (b"PK\x03\x04garbage", f"{UAI}.zip")):
        check = check_archive(data, name, limits=limits, school_year_start=YEAR_START)
        data_json = json.loads(json.dumps(check.as_json(), ensure_ascii=False))
        assert ArchiveCheck.from_json(data_json).as_json() == data_json
        assert ArchiveCheck.from_json(data_json).findings == check.findings
        assert ArchiveCheck.from_json(data_json).headcount == check.headcount


def test_a_refusal_has_no_headcount_and_no_finding() -> None:
    refused = ArchiveCheck.refused(None, "le nom n'est pas de la forme <UAI>.zip")
    assert refused.as_json() == {
        "uai": None,
        "accepted": False,
        "refusal": "le nom n'est pas de la forme <UAI>.zip",
        "members": [],
        "headcount": None,
        "findings": [],
    }


def test_findings_are_counted_by_severity() -> None:
    assert (CHECK.count("erreur"), CHECK.count("avertissement")) == (1, 0)
