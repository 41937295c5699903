"""OCR of scanned comptes rendus: rows read exactly right, rows invented, CPU of a two-page scan.

    .venv/bin/python bench/ocr.py [--quick] [--show]

Scans are made by `tests/fixtures/reports/scans.py` from the text comptes rendus of every
producer (reportlab, chromium, wkhtmltopdf, LibreOffice from HTML and from .docx, fpdf2, tables
with and without drawn borders), in every variant (300 dpi grey, 200 dpi crooked and noisy,
150 dpi, bitonal photocopy, JPEG at quality 60, upside down, sideways). Each is read by
`parse_report` knowing no pupils, then its names are checked against the school's pupils (the
pupils of the compte rendu among 120 others, as an archive gives them). A row is right when every
field equals the expected one.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.report import Row, emit  # noqa: E402
from daemon.ingest.reports import parse_report  # noqa: E402
from daemon.ingest.reports.labels import default_labels  # noqa: E402
from daemon.ingest.reports.ocr import engine  # noqa: E402
from daemon.ingest.reports.ocr.pupils import KnownPupil, check_names  # noqa: E402
from daemon.ingest.reports.ocr.scan import read_scan  # noqa: E402
from daemon.ingest.reports.records import CompteRendu  # noqa: E402
from tests.fixtures.reports.scans import VARIANTS, make_scan  # noqa: E402

FILES = REPO / "tests" / "fixtures" / "reports" / "files"
SOURCES = (
    "sj-reportlab",
    "sj-reportlab-sans-bordures",
    "sj-chromium-entetes",
    "sj-chromium-sans-bordures",
    "sj-wkhtmltopdf",
    "sj-libreoffice",
    "sj-libreoffice-docx",
    "sj-fpdf2-etroit",
    "variantes-libreoffice",
)
TWO_PAGES = "variantes-libreoffice"
FIELDS = {
    "anomaly": ("last_name", "first_name", "birth_date", "field", "message", "severity"),
    "ine": ("last_name", "first_name", "birth_date", "status", "ine"),
}


def _rows(result: dict[str, Any]) -> list[tuple[str, ...]]:  # the spec's JSON
    anomalies = [("a", *(str(r.get(f)) for f in FIELDS["anomaly"])) for r in result["anomalies"]]
    pupils = [("i", *(str(r.get(f)) for f in FIELDS["ine"])) for r in result["ine"]["pupils"]]
    return anomalies + pupils


def score(result: dict[str, Any], expected: dict[str, Any]) -> tuple[float, float]:
    """(share of the expected rows read exactly right, share of the rows read that are not)."""
    want, got = _rows(expected), _rows(result)
    pool = list(got)
    right = 0
    for row in want:
        if row in pool:
            pool.remove(row)
            right += 1
    return right / max(len(want), 1), len(pool) / max(len(got), 1)


def school_pupils(expected: dict[str, Any]) -> list[KnownPupil]:
    """The compte rendu's pupils among others of the same school (an archive's pupils)."""
    rows = [*expected["anomalies"], *expected["ine"]["pupils"]]
    known = {
        KnownPupil(r["last_name"], r["first_name"], dt.date.fromisoformat(r["birth_date"]))
        for r in rows
    }
    lasts = ["MARTIN", "BERNARD", "THOMAS", "PETIT", "ROBERT", "RICHARD", "DURAND", "DUBOIS"]
    firsts = ["Louise", "Gabriel", "Jade", "Léo", "Emma", "Raphaël", "Alice", "Louis", "Lina"]
    for i in range(120):
        born = dt.date(2017 + i % 5, 1 + i % 12, 1 + i % 28)
        known.add(KnownPupil(lasts[i % len(lasts)], firsts[i % len(firsts)], born))
    return sorted(known, key=lambda p: (p.last_name, p.first_name, p.birth_date))


def run_all(quick: bool, show: bool) -> list[dict[str, Any]]:
    outcomes = []
    sources = SOURCES[:2] if quick else SOURCES
    for source in sources:
        expected = json.loads((FILES / f"{source}.expected.json").read_text("utf-8"))
        pdf = (FILES / f"{source}.pdf").read_bytes()
        for variant in VARIANTS:
            data, suffix = make_scan(pdf, variant)
            read = parse_report(data, f"{source}-{variant}{suffix}")
            assert isinstance(read, CompteRendu)
            alone = score(read.as_json(), expected)
            checked, _checks = check_names(read, school_pupils(expected))
            result = checked.as_json()
            known = score(result, expected)
            outcomes.append(
                {
                    "scan": f"{source}/{variant}",
                    "right": alone[0],
                    "invented": alone[1],
                    "right_known": known[0],
                    "invented_known": known[1],
                    "review": result["needs_review"] and result.get("source") == "ocr",
                }
            )
            line = outcomes[-1]
            print(
                f"  {line['scan']:<45} right {line['right']:.0%} invented "
                f"{line['invented']:.0%} | pupils known: right {line['right_known']:.0%} "
                f"invented {line['invented_known']:.0%}",
                flush=True,
            )
            if show and known[0] < 1:
                print(json.dumps(result, ensure_ascii=False, indent=1))
    return outcomes


def two_page_cpu(runs: int = 3) -> tuple[float, float]:
    """Median CPU seconds (this process and its children) to read a two-page scan, and the
    median share of it spent in tesseract."""
    pdf = (FILES / f"{TWO_PAGES}.pdf").read_bytes()
    data, _suffix = make_scan(pdf, "gris-300")
    totals, shares = [], []
    for _ in range(runs):
        timing = engine.Timing()
        before = os.times()
        read_scan(
            data, photo=False, labels=default_labels(), max_pages=10, budget=120, timing=timing
        )
        after = os.times()
        total = sum(after[:4]) - sum(before[:4])
        totals.append(total)
        shares.append(timing.seconds / total)
    return statistics.median(totals), statistics.median(shares)


def main() -> None:
    quick, show = "--quick" in sys.argv, "--show" in sys.argv
    started = time.perf_counter()
    outcomes = run_all(quick, show)
    worst_right = min(o["right"] for o in outcomes)
    worst_invented = max(o["invented"] for o in outcomes)
    worst_known = min(o["right_known"] for o in outcomes)
    cpu, share = two_page_cpu()
    count = len(outcomes)
    rows = [
        Row("ocr", f"rows right, no pupils known (worst of {count} scans)",
            f"{worst_right:.0%}", "", None, "≥ 90 %", worst_right >= 0.9),
        Row("ocr", f"rows invented, no pupils known (worst of {count} scans)",
            f"{worst_invented:.0%}", "", None, "≤ 10 %", worst_invented <= 0.1),
        Row("ocr", f"rows right, the school's pupils known (worst of {count} scans)",
            f"{worst_known:.0%}", "", None, "≥ 98 %", worst_known >= 0.98),
        Row("ocr", "scans flagged needs_review", f"{sum(o['review'] for o in outcomes)}/{count}",
            "", None, "all", all(o["review"] for o in outcomes)),
        Row("ocr", f"CPU to read a two-page scan (median of 3; {share:.0%} in tesseract)",
            f"{cpu:.1f} s", "", None, "< 15 s", cpu < 15),
    ]  # fmt: skip
    emit(rows)
    print(f"({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
