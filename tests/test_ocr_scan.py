"""Scanned comptes rendus read by tesseract into the text PDFs' reader (real tesseract, real
pdftoppm: `.ci/system-packages.sh` installs them)."""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from daemon.ingest.reports import ReportRefused, parse_report
from daemon.ingest.reports.labels import default_labels
from daemon.ingest.reports.ocr import engine
from daemon.ingest.reports.ocr.pupils import KnownPupil, check_names
from daemon.ingest.reports.ocr.scan import TOO_LONG, read_scan
from daemon.ingest.reports.records import CompteRendu
from tests.fixtures.reports.scans import make_scan

FILES = Path(__file__).parent / "fixtures" / "reports" / "files"


def expected(name: str) -> dict[str, Any]:
    result: dict[str, Any] = json.loads((FILES / f"{name}.expected.json").read_text("utf-8"))
    return result


def scan(name: str, variant: str) -> tuple[bytes, str]:
    return make_scan((FILES / f"{name}.pdf").read_bytes(), variant)


def read(data: bytes, name: str) -> dict[str, Any]:
    result = parse_report(data, name)
    assert isinstance(result, CompteRendu)
    return result.as_json()


def rows(result: dict[str, Any]) -> tuple[list[Any], list[Any]]:
    return result["anomalies"], result["ine"]["pupils"]


@pytest.mark.slow
def test_a_grey_scan_with_a_drawn_grid_is_read_like_its_text_pdf() -> None:
    data, suffix = scan("sj-reportlab", "gris-300")
    result = read(data, f"scan{suffix}")
    want = expected("sj-reportlab")
    assert rows(result) == rows(want)
    for key in ("uai", "school_name", "archive", "submitted_at", "processed_at", "counts"):
        assert result[key] == want[key], key
    assert result["source"] == "ocr" and result["needs_review"] is True
    assert result["review_reasons"] == ["lu par OCR — à vérifier"]


@pytest.mark.slow
def test_a_crooked_noisy_scan_of_a_borderless_table_is_straightened_and_read() -> None:
    data, suffix = scan("sj-reportlab-sans-bordures", "penche-bruit-200")
    result = read(data, f"scan{suffix}")
    assert rows(result) == rows(expected("sj-reportlab-sans-bordures"))


@pytest.mark.slow
def test_a_page_fed_sideways_is_turned_the_right_way_up() -> None:
    data, suffix = scan("sj-chromium-entetes", "de-cote")
    assert suffix == ".pdf"
    result = read(data, "scan.pdf")
    assert rows(result)[1] == rows(expected("sj-chromium-entetes"))[1]


@pytest.mark.slow
def test_a_photocopy_is_mended_by_the_school_pupils() -> None:
    data, suffix = scan("sj-reportlab", "photocopie")
    read = parse_report(data, f"scan{suffix}")
    assert isinstance(read, CompteRendu)
    want = expected("sj-reportlab")
    known = [
        KnownPupil(r["last_name"], r["first_name"], dt.date.fromisoformat(r["birth_date"]))
        for r in [*want["anomalies"], *want["ine"]["pupils"]]
    ]
    result, checks = check_names(read, known)
    assert rows(result.as_json())[0] == rows(want)[0]
    assert checks.all_known


@pytest.mark.slow
def test_a_blank_photo_has_nothing_to_read() -> None:
    rng = np.random.default_rng(1)
    page = np.clip(250 + rng.normal(0, 4, (1100, 850)), 0, 255).astype(np.uint8)
    out = io.BytesIO()
    Image.fromarray(page).save(out, "PNG", dpi=(100, 100))
    with pytest.raises(ReportRefused, match="sans texte lisible"):
        parse_report(out.getvalue(), "photo.png")


def test_a_scan_over_its_time_budget_is_refused() -> None:
    data, _suffix = scan("sj-reportlab", "gris-150")
    with pytest.raises(ReportRefused) as refused:
        read_scan(data, photo=False, labels=default_labels(), max_pages=5, budget=0.5)
    assert refused.value.reason == TOO_LONG


def test_without_tesseract_a_scan_is_refused_saying_ocr_is_not_installed(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    photo, suffix = scan("sj-reportlab", "a-l-envers")
    pdf, _suffix = scan("sj-reportlab", "gris-150")
    monkeypatch.setenv("PATH", str(tmp_path))
    assert engine.missing() == engine.NOT_INSTALLED
    for data, name in ((photo, f"photo{suffix}"), (pdf, "scan.pdf")):
        with pytest.raises(ReportRefused) as refused:
            parse_report(data, name)
        assert "tesseract n'est pas installé" in refused.value.reason


@pytest.mark.slow
def test_a_pdf_printed_without_a_text_layer_is_read_by_ocr() -> None:
    """paps draws its glyphs as outlines: no text to extract, so the page is read by OCR (it was
    refused as a scan before issue 19). Its rows are those of the same text printed by
    enscript."""
    result = read((FILES / "sj-paps.pdf").read_bytes(), "sj-paps.pdf")
    assert result["source"] == "ocr" and result["needs_review"] is True
    want = expected("sj-enscript")
    for key in ("uai", "school_name", "archive", "submitted_at", "processed_at"):
        assert result[key] == want[key], key
    anomalies, pupils = rows(result)
    right = [r for r in anomalies if r in want["anomalies"]]
    right += [r for r in pupils if r in want["ine"]["pupils"]]
    assert len(right) >= 6  # of 8: paps wraps a long row at the page's edge (bench/ocr.py)
