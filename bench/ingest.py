"""Benchmark of the compte-rendu parser against the pypdf text extraction it calls, in one run.

    .venv/bin/python -m bench.ingest [--files 40] [--rounds 4] [--seed 44]

Generates CRs in a temporary folder: 1 to 3 pages laid out by reportlab (tables with wrapped
cells), and the same kind of content as fixed-width text printed in a monospace font by the text
printers (enscript, a2ps, cups-filters' texttopdf; installed by `.ci/system-packages.sh`). The
baseline is the pypdf call the parser makes, on the same bytes: the reader opened, then
`extract_text` on every page with the parser's own visitor (`baseline` below). Each file is
parsed and extracted alternately (A B, then B A the next round, see `bench.report.alternate`),
in CPU time; the figure is the median of the pair ratios with their range (target: parsing
≤ 1.5 × the extraction, on each kind of PDF, each text printer on its own row). Then one
reportlab CR of 100, 500 and 1,500 rows (a whole circonscription's extraction), alternated the
same way: the 1,500-row one ≤ 1.5 × its extraction, and its parse time a row at most 1.5 × the
time a row at 100 rows (linear). Then the full ingestion of each reportlab file through the real
intake on a fresh SQLite installation against the parse alone, alternated in wall time (target
≤ 1.3 ×), and the peak memory of one parse. Exits 0 even when a target is missed,
printing MISSED.
"""

from __future__ import annotations

import argparse
import io
import random
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
import tracemalloc
from pathlib import Path

from pypdf import PdfReader

from bench.report import Pairs, Row, alternate, emit, load_average
from daemon.codes import uai_check_letter
from daemon.ingest.reports import parse_report
from daemon.ingest.reports.fonts import Glyphs, Widths
from daemon.ingest.reports.labels import default_labels
from daemon.ingest.reports.pdf import _Reader
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


def make_text(rng: random.Random, rows: int, uai: str) -> str:
    """The same kind of CR as fixed-width text: a dashed rule under the heading, the messages
    wrapped onto continuation lines in their column."""
    widths = [18, 14, 10, 18, 34, 8]
    lines = ["ONDE Compte rendu d'import", "", f"École : ÉCOLE PRIVÉE SAINT-JOSEPH ({uai})",
             f"Fichier : {uai}.zip", "Déposé le : 14/09/2026 à 17:42",
             "Traité le : 15/09/2026 à 03:10", "", f"Élèves lus        {rows + 100:>5}",
             f"Élèves intégrés   {100:>5}", f"Élèves rejetés    {rows:>5}", "", "Anomalies",
             _fixed(["Nom", "Prénom", "Né(e) le", "Rubrique", "Message", "Gravité"], widths),
             _fixed(["-" * w for w in widths], widths)]  # fmt: skip
    for i in range(rows):
        field, message = FIELDS[rng.randrange(len(FIELDS))]
        born = f"{rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}/{rng.randint(2015, 2022)}"
        cells = [f"{LASTS[i % 6]} {i}", FIRSTS[i % 6], born, field, message, "Rejet"]
        wrapped = [textwrap.wrap(c, w) for c, w in zip(cells, widths, strict=True)]
        for n in range(max(len(w) for w in wrapped)):
            lines.append(_fixed([w[n] if n < len(w) else "" for w in wrapped], widths))
    return "\n".join(lines) + "\n"


def _fixed(cells: list[str], widths: list[int]) -> str:
    return "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()


PRINTERS = {  # a fixed-width text → PDF, by the text printers of a Debian desktop
    "enscript": "enscript -q -X latin1 -f Courier7 -o - | ps2pdf - -",
    "a2ps": "a2ps -q -1 -X latin1 --chars-per-line=132 -o - | ps2pdf - -",
    "texttopdf": "CHARSET=utf-8 /usr/lib/cups/filter/texttopdf 1 bench cr.txt 1 'cpi=17 lpi=8'",
}


def monospace_pdf(text: str, printer: str) -> bytes:
    encoded = text.encode("utf-8" if printer == "texttopdf" else "latin-1")
    command = ["sh", "-c", PRINTERS[printer]]
    return subprocess.run(command, input=encoded, capture_output=True, check=True).stdout


def printers_missing() -> list[str]:
    tools = ["enscript", "a2ps", "ps2pdf", "/usr/lib/cups/filter/texttopdf"]
    return [tool for tool in tools if shutil.which(tool) is None]


def baseline(data: bytes) -> None:
    """The pypdf call the parser makes, with the same visitor: the reader opened, then
    `extract_text` on every page handing each piece of text and each operator to the parser's
    own visitor (`daemon.ingest.reports.pdf._Reader`), which keeps the pieces and drawn lines
    of the page. Everything the parser does after that (words, lines, columns, rows, checks)
    is what the ratio weighs."""
    reader = PdfReader(io.BytesIO(data), strict=False)
    visitor = _Reader(Widths(), Glyphs())
    for page in reader.pages:
        visitor.fragments, visitor.segments, visitor.path = [], [], []
        page.extract_text(visitor_text=visitor.text, visitor_operand_before=visitor.operator)


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

    def __call__(self, data: bytes) -> None:
        result = self.intake.take_bytes(data, filename="cr.pdf", channel="cli", now=self.now)
        if result.outcome != "processed":
            raise SystemExit(f"{result.outcome} ({result.reason})")


def main() -> int:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--files", type=int, default=40, help="files of each kind")
    options.add_argument("--rounds", type=int, default=4)
    options.add_argument("--seed", type=int, default=44)
    args = options.parse_args()
    rng = random.Random(args.seed)
    missing = printers_missing()
    if missing:
        print(f"text printers missing ({', '.join(missing)}): run .ci/system-packages.sh")
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        kinds = generate(rng, args.files, Path(tmp))
        measured = {kind: measure(files, args.rounds) for kind, files in kinds.items()}
        everything = [item for files in kinds.values() for item in files]
        full = ingestion(kinds["reportlab"], tmp, args.rounds)
        tracemalloc.start()
        biggest = max((p for p, _rows in everything), key=lambda p: p.stat().st_size)
        parse_report(biggest.read_bytes(), biggest.name, labels=LABELS)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        long = long_reports(rng, Path(tmp), max(2, args.rounds // 2))
    report(measured, full, peak, long)
    return 0


def generate(rng: random.Random, files: int, folder: Path) -> dict[str, list[tuple[Path, int]]]:
    """`files` reportlab CRs and as many printed by the text printers (a third each)."""
    kinds: dict[str, list[tuple[Path, int]]] = {"reportlab": [], **{p: [] for p in PRINTERS}}
    names = list(PRINTERS)
    for n in range(files * 2):
        rows = rng.randint(5, 60)
        uai = uai_for(n)
        kind = "reportlab" if n % 2 == 0 else names[n // 2 % len(names)]
        data = (
            make_cr(rng, rows, uai)
            if kind == "reportlab"
            else monospace_pdf(make_text(rng, rows, uai), kind)
        )
        path = folder / f"cr-{n:03d}-{kind}.pdf"
        path.write_bytes(data)
        kinds[kind].append((path, rows))
    return kinds


def long_reports(rng: random.Random, folder: Path, rounds: int) -> dict[int, Pairs]:
    """Parse against extraction of one reportlab CR of each of `LONG` rows (a whole
    circonscription's extraction at the end): the time must grow in proportion to the rows."""
    found = {}
    for rows in LONG:
        path = folder / f"long-{rows}.pdf"
        path.write_bytes(make_cr(rng, rows, uai_for(9000 + rows)))
        found[rows] = measure([(path, rows)], rounds)[0]
    return found


LONG = (100, 500, 1500)
LINEAR_TARGET = 1.5  # parse time a row at 1,500 rows ≤ 1.5 × the time a row at 100 rows


LABELS = default_labels()  # read once, as the daemon does


def parse(item: tuple[bytes, int]) -> None:
    parse_report(item[0], "cr.pdf", labels=LABELS)


def extract(item: tuple[bytes, int]) -> None:
    baseline(item[0])


def measure(files: list[tuple[Path, int]], rounds: int) -> tuple[Pairs, int, int]:
    """Pairs of the parse and the extraction (CPU time), and how many files were read right."""
    inputs = [(path.read_bytes(), rows) for path, rows in files]
    right = 0
    for data, rows in inputs:
        result = parse_report(data, "cr.pdf", labels=LABELS)
        assert isinstance(result, CompteRendu)
        right += len(result.anomalies) == rows and not result.needs_review
    pairs = alternate(parse, extract, inputs, rounds=rounds, clock=time.process_time)
    return pairs, right, len(inputs)


def ingestion(files: list[tuple[Path, int]], tmp: str, rounds: int) -> Pairs:
    """The full ingestion of each file against its parse alone, alternated (wall time). Each
    ingestion takes the file with a trailer of its own after `%%EOF` (readers ignore it), so
    that every round is a new compte rendu for its school, never a duplicate."""
    ingest = Ingestion(len(files) * 2, tmp)  # the reportlab files are every other one
    taken = iter(range(10**9))

    def full(item: tuple[bytes, int]) -> None:
        ingest(item[0] + f"\n% round {next(taken)}\n".encode())

    inputs = [(path.read_bytes(), n) for n, (path, _rows) in enumerate(files)]
    pairs = alternate(full, parse, inputs, rounds=rounds)
    ingest.app.close()
    return pairs


def report(
    measured: dict[str, tuple[Pairs, int, int]],
    full: Pairs,
    peak: int,
    long: dict[int, Pairs],
) -> None:
    rows = []
    for kind, (pairs, right, count) in measured.items():
        print(f"{kind}: {count} files, read right (every row, nothing to review): {right}")
        rows.append(parse_row(f"CR parse ({kind} PDFs, {count} files of 5 to 60 rows)", pairs))
    most = max(long)
    rows.append(parse_row(f"CR parse of a {most:,}-row compte rendu", long[most]))
    per_row = {n: pairs.subject_median / n for n, pairs in long.items()}
    growth = per_row[most] / per_row[min(long)]
    rows += [
        Row(
            "ingest",
            f"parse time a row at {most:,} rows against at {min(long)} rows (linear: 1×)",
            f"{per_row[most] * 1000:.2f} ms a row",
            f"{per_row[min(long)] * 1000:.2f} ms a row ({min(long)} rows)",
            growth,
            f"≤ {LINEAR_TARGET}×",
            growth <= LINEAR_TARGET,
        ),
        Row(
            "ingest",
            "full ingestion (parse + SQLite write), median per file",
            f"{full.subject_median * 1000:.1f} ms",
            f"{full.baseline_median * 1000:.1f} ms (parse alone)",
            full.ratio,
            f"≤ {INGEST_TARGET}×",
            full.ratio <= INGEST_TARGET,
            full.spread,
        ),
        Row("ingest", "peak memory of one parse (largest file)", f"{peak / 1e6:.1f} MB", "",
            None, "reported", True),
    ]  # fmt: skip
    emit(rows)
    print(load_average())


def parse_row(figure: str, pairs: Pairs) -> Row:
    return Row(
        "ingest",
        f"{figure}, median per file",
        f"{pairs.subject_median * 1000:.1f} ms CPU",
        f"{pairs.baseline_median * 1000:.1f} ms CPU (pypdf extract_text, relance's visitor)",
        pairs.ratio,
        f"≤ {TARGET}×",
        pairs.ratio <= TARGET,
        pairs.spread,
    )


if __name__ == "__main__":
    sys.exit(main())
