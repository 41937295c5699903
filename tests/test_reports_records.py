"""The readers' records: their JSON is the spec's, and reads back into the same record."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from daemon.ingest.reports import ReportRefused, parse_report
from daemon.ingest.reports.records import (
    AnomalyRow,
    CompteRendu,
    Counts,
    ExtractedPupil,
    Extraction,
    IneRow,
    IneSection,
    report_from_json,
)
from tests.report_files import FILES, by_speed

PARIS = ZoneInfo("Europe/Paris")
LEA = AnomalyRow(
    "MARTIN", "Léa", dt.date(2019, 5, 3), "Lieu de naissance", "Commune inconnue", "rejet", "export"
)
NOE = IneRow("DURAND", "Noé", dt.date(2021, 2, 1), "en_attente", None)
CR = CompteRendu(
    uai="0441234C",
    school_name="ÉCOLE PRIVÉE SAINT-JOSEPH",
    archive="0441234C.zip",
    submitted_at=dt.datetime(2026, 9, 14, 17, 42, tzinfo=PARIS),
    processed_at=None,
    counts=Counts(read=142, integrated=138, rejected=4, warnings=None),
    anomalies=(LEA,),
    ine=IneSection(attributed=120, pending=18, pupils=(NOE,)),
    unclassified=("une ligne",),
    warnings=("un compteur",),
    needs_review=True,
    review_reasons=("1 ligne(s) non classée(s)", "un compteur"),
)


def test_a_compte_rendu_is_the_spec_json_key_for_key() -> None:
    assert CR.as_json() == {
        "kind": "compte_rendu",
        "uai": "0441234C",
        "school_name": "ÉCOLE PRIVÉE SAINT-JOSEPH",
        "archive": "0441234C.zip",
        "submitted_at": "2026-09-14T17:42:00+02:00",
        "processed_at": None,
        "counts": {"read": 142, "integrated": 138, "rejected": 4, "warnings": None},
        "anomalies": [
            {
                "last_name": "MARTIN",
                "first_name": "Léa",
                "birth_date": "2019-05-03",
                "field": "Lieu de naissance",
                "message": "Commune inconnue",
                "severity": "rejet",
                "category": "export",
            }
        ],
        "ine": {
            "attributed": 120,
            "pending": 18,
            "pupils": [
                {
                    "last_name": "DURAND",
                    "first_name": "Noé",
                    "birth_date": "2021-02-01",
                    "status": "en_attente",
                    "ine": None,
                }
            ],
        },
        "unclassified": ["une ligne"],
        "warnings": ["un compteur"],
        "source": "text",
        "needs_review": True,
        "review_reasons": ["1 ligne(s) non classée(s)", "un compteur"],
    }
    assert list(CR.as_json())[-3:] == ["source", "needs_review", "review_reasons"]


@pytest.mark.parametrize(
    "record",
    [
        LEA,
        NOE,
        Counts(read=1),
        IneSection(attributed=None, pending=2, pupils=(NOE,)),
        ExtractedPupil("MARTIN", "Léa", None, "CP", "CYCLE II", "CP A", "123456789AB"),
    ],
    ids=lambda r: type(r).__name__,
)
def test_each_nested_record_reads_back_from_its_json(record: object) -> None:
    data = record.as_json()  # type: ignore[attr-defined]
    assert type(record).from_json(json.loads(json.dumps(data))) == record  # type: ignore[attr-defined]


def test_whole_results_read_back_from_their_json() -> None:
    ocr = CompteRendu(source="ocr", needs_review=True)
    extraction = Extraction(
        ine_column=False,
        pupils=(ExtractedPupil("A", "B", dt.date(2020, 1, 2), None, None, None, None),),
        warnings=("sans colonne INE",),
    )
    for record in (CR, ocr, extraction):
        data = json.loads(json.dumps(record.as_json()))
        assert report_from_json(data) == record
        assert report_from_json(data).as_json() == data


@pytest.mark.parametrize(
    "path",
    [
        by_speed(p, p.name)
        for p in sorted(FILES.iterdir())
        if p.suffix in {".pdf", ".txt", ".csv", ".html"}
    ],
)
def test_every_fixture_result_reads_back_from_its_json(path: Path) -> None:
    try:
        result = parse_report(path.read_bytes(), path.name)
    except ReportRefused:
        return
    data = json.loads(json.dumps(result.as_json(), ensure_ascii=False))
    assert report_from_json(data) == result


def test_a_result_stored_before_source_existed_reads_as_text() -> None:
    data = CR.as_json()
    del data["source"]
    assert report_from_json(data).source == "text"  # type: ignore[union-attr]


def test_another_kind_is_not_a_parse_result() -> None:
    with pytest.raises(ValueError):  # pydantic's ValidationError
        report_from_json({"kind": "export"})
    with pytest.raises(ValueError):
        report_from_json({"kind": "compte_rendu", "anomalies": "none"})


def test_ine_section_says_who_waits() -> None:
    got = IneRow("X", "Y", None, "attribue", "123456789AB")
    assert IneSection(pupils=(NOE, got)).waiting == (NOE,)


def test_the_projects_format_doc_shows_the_result_as_it_is() -> None:
    doc = (Path(__file__).parents[1] / "docs" / "formats" / "compte-rendu.md").read_text("utf-8")
    result = doc.split("## Result", 1)[1]
    example = json.loads(result.split("```json", 1)[1].split("```", 1)[0])
    assert list(example) == list(CR.as_json())
    assert list(example["anomalies"][0]) == list(LEA.as_json())
    assert list(example["ine"]["pupils"][0]) == list(NOE.as_json())
    for key in CR.as_json():
        assert f"| `{key}`" in result or f", `{key}`" in result, key
