"""Benchmark of the compte-rendu parser against pypdf's own layout extraction, in one run.

    .venv/bin/python bench/ingest.py [--files 200] [--seed 44]

Generates CRs of 1 to 5 pages with reportlab in a temporary folder, then for each file measures
pypdf's `extract_text(extraction_mode="layout")` on every page (the baseline, reader opening
included), `parse_report` on the same bytes, and the full ingestion of the file through the real
intake on a fresh SQLite installation — the three back to back for each file, so that the load
of a noisy machine weighs on each alike. Prints the median per-file times, their ratios
(targets: parsing ≤ 1.5 × pypdf, full ingestion ≤ 1.3 × parsing) and the peak memory of one
parse. Exits 0 even when a target is missed, printing MISSED.
"""

from __future__ import annotations

import argparse
import io
import random
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

from pypdf import PdfReader

from bench.report import Row, emit
from daemon.codes import uai_check_letter
from daemon.ingest.reports import parse_report
from daemon.ingest.reports.records import CompteRendu

TARGET = 1.5
INGEST_TARGET = 1.3
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
LASTS = ["MARTIN", "N'GUYEN-LEFÈVRE", "DE LA FONTAINE", "LE GOFF", "OUÉDRAOGO", "MÜLLER"]
FIRSTS = ["Léa", "Jean-Baptiste", "Marie-Ève", "Noé", "Zoé", "Maël"]
FIELDS = [
    ("Adresse", "Code postal incohérent avec la commune de résidence"),
    ("Lieu de naissance", "Commune de naissance inconnue dans le référentiel INSEE pour l'année"),
    ("Doublon", "Élève déjà scolarisé dans une autre école"),
    ("Responsable", "Aucun responsable légal avec autorité parentale"),
]


def make_cr(rng: random.Random, rows: int, uai: str = "0441234C") -> bytes:
    """One CR: header, counters, an anomaly table of `rows` rows (about 40 rows a page)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Table

    if "DejaVu" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont("DejaVu", FONT))
    body = ParagraphStyle("b", fontName="DejaVu", fontSize=8, leading=10)
    lines = ["ONDE Compte rendu d'import", f"École : ÉCOLE PRIVÉE SAINT-JOSEPH ({uai})",
             f"Fichier : {uai}.zip", "Déposé le : 14/09/2026 à 17:42",
             "Traité le : 15/09/2026 à 03:10", f"Élèves lus : {rows + 100}",
             f"Élèves intégrés : {100}", f"Élèves rejetés : {rows}", "Anomalies"]  # fmt: skip
    story: list = [Paragraph(line, body) for line in lines]
    table = [["Nom", "Prénom", "Né(e) le", "Rubrique", "Message", "Gravité"]]
    for i in range(rows):
        field, message = FIELDS[rng.randrange(len(FIELDS))]
        born = f"{rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}/{rng.randint(2015, 2022)}"
        table.append([f"{LASTS[i % 6]} {i}", FIRSTS[i % 6], born, field, message, "Rejet"])
    cells = [[Paragraph(c, body) for c in row] for row in table]
    story.append(Table(cells, colWidths=[95, 65, 55, 70, 190, 50], repeatRows=1))
    out = io.BytesIO()
    SimpleDocTemplate(out, pagesize=A4).build(story)
    return out.getvalue()


def baseline(data: bytes) -> None:
    reader = PdfReader(io.BytesIO(data))
    for page in reader.pages:
        page.extract_text(extraction_mode="layout")


def timed(function: Callable[[bytes], object], data: bytes) -> float:
    started = time.perf_counter()
    function(data)
    return time.perf_counter() - started


def uai_for(n: int) -> str:
    digits = f"044{n:04d}"
    return digits + uai_check_letter(digits)


class Ingestion:
    """Full ingestion (parse + database write + the file kept) through the real intake, on a
    fresh SQLite installation: each file is the first CR of its own school."""

    def __init__(self, count: int, tmp: str) -> None:
        from daemon.app import App
        from daemon.config import Settings
        from daemon.ingest.intake.intake import Intake
        from db.engine import transaction
        from db.schools import add_school

        self.app = App(Settings.model_validate({"state_dir": str(Path(tmp) / "state")}))
        self.now = self.app.now()
        with transaction(self.app.engine) as session:
            for n in range(count):
                add_school(session, now=self.now, uai=uai_for(n), actor="bench", name=f"École {n}")
            self.app.campaign(session, self.now)
        self.intake = Intake(self.app)

    def __call__(self, path: Path) -> float:
        data = path.read_bytes()
        started = time.perf_counter()
        result = self.intake.take_bytes(data, filename=path.name, channel="cli", now=self.now)
        elapsed = time.perf_counter() - started
        if result.outcome != "processed":
            raise SystemExit(f"{path.name}: {result.outcome} ({result.reason})")
        return elapsed


def main() -> int:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--files", type=int, default=200)
    options.add_argument("--seed", type=int, default=44)
    args = options.parse_args()
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        paths, rows = [], []
        for n in range(args.files):
            path = Path(tmp) / f"cr-{n:03d}.pdf"
            rows.append(rng.randint(5, 110))
            path.write_bytes(make_cr(rng, rows[-1], uai_for(n)))
            paths.append(path)
        pages = [len(PdfReader(p).pages) for p in paths]
        # Each file measured three ways back to back, so that a change of load on a noisy
        # machine weighs on the baseline and on what is compared to it alike.
        ingest = Ingestion(len(paths), tmp)
        base, ours, full, right = [], [], [], 0
        for path, count in zip(paths, rows, strict=True):
            data = path.read_bytes()
            base.append(timed(baseline, data))
            started = time.perf_counter()
            result = parse_report(data, path.name)
            ours.append(time.perf_counter() - started)
            assert isinstance(result, CompteRendu)
            right += len(result.anomalies) == count and not result.needs_review
            full.append(ingest(path))
        ingest.app.close()
        tracemalloc.start()
        biggest = max(paths, key=lambda p: p.stat().st_size)
        parse_report(biggest.read_bytes(), biggest.name)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    report(pages, base, ours, full, peak)
    print(f"files read right (every row, nothing to review): {right}/{len(paths)}")
    return 0


def report(
    pages: list[int], base: list[float], ours: list[float], full: list[float], peak: int
) -> None:
    median_base, median_ours = statistics.median(base), statistics.median(ours)
    median_full = statistics.median(full)
    ratio, ingest_ratio = median_ours / median_base, median_full / median_ours
    print(f"files: {len(pages)}, pages: {min(pages)}–{max(pages)} (total {sum(pages)})")
    emit(
        [
            Row(
                "ingest",
                "CR parse, median per file",
                f"{median_ours * 1000:.1f} ms",
                f"{median_base * 1000:.1f} ms (pypdf layout extraction)",
                ratio,
                f"≤ {TARGET}×",
                ratio <= TARGET,
            ),
            Row(
                "ingest",
                "full ingestion (parse + SQLite write), median per file",
                f"{median_full * 1000:.1f} ms",
                f"{median_ours * 1000:.1f} ms (parse alone)",
                ingest_ratio,
                f"≤ {INGEST_TARGET}×",
                ingest_ratio <= INGEST_TARGET,
            ),
            Row(
                "ingest",
                "peak memory of one parse (largest file)",
                f"{peak / 1e6:.1f} MB",
                "",
                None,
                "reported",
                True,
            ),
        ]
    )


if __name__ == "__main__":
    sys.exit(main())
