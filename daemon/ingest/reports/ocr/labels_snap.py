"""Labels read by OCR snapped to the closed list of ONDE's labels, before the reader sees them.

OCR misreads a letter or two of a label (`Traité te`, `Néte) le`, `!eLoqué`); the reader compares
labels exactly. A line that begins within a letter or two of a header, counter or section label
is given the label; in a table heading row, each heading; in a table row, the severity or the
INE status. A counter's value read as letters (`l` for `1`, `O` for `0`) is read as digits.
"""

from __future__ import annotations

import re

from rapidfuzz import fuzz

from daemon.ingest.reports.labels import Labels
from daemon.ingest.reports.lines import Cell, Line
from daemon.ingest.reports.text import key

LINE_SCORE = 85.0  # rapidfuzz ratio a line's first words need to be taken for a label
CELL_SCORE = 75.0  # for a heading, a severity or a status, alone in its cell
SHORTEST = 5  # a heading, severity or status shorter than this is never guessed
LINE_SHORTEST = 8  # nor a line's label (`Élève 02` is not `Élèves`)
_NUMBERISH = re.compile(r"^[0-9OoIl|!]{1,4}$")
_AS_DIGIT = str.maketrans("OoIl|!", "001111")
_DATE = re.compile(r"\d{1,2}/\d{1,2}")


def _line_labels(labels: Labels) -> list[str]:
    found = [*labels.titles]
    for table in ("header", "counters", "sections"):
        found += [label for spellings in labels[table].values() for label in spellings]
    return sorted({f for f in found if len(f) >= LINE_SHORTEST}, key=len, reverse=True)


def _snap_start(line: Line, candidates: list[str]) -> None:
    first = line.cells[0]
    words = first.text.split()
    for label in candidates:
        size = len(label.split())
        if len(words) < size:
            continue
        start = key(" ".join(words[:size]))
        if start == label:
            return
        if fuzz.ratio(start, label) >= LINE_SCORE:
            first.text = " ".join([label, *words[size:]])
            line._key = line._text = None
            return


def _best(text: str, spellings: list[str]) -> str | None:
    text_key = key(text)
    if len(text_key) < SHORTEST or text_key in spellings:
        return None
    if any(s.startswith(text_key) for s in spellings):  # a word cut by a narrow column
        return None
    if any(text_key in s.split() for s in spellings):  # a word of a label (`ATTENTE`)
        return None
    scored = [(fuzz.ratio(text_key, known), known) for known in spellings if len(known) >= SHORTEST]
    score, label = max(scored, default=(0.0, ""))
    return label if score >= CELL_SCORE else None


def _snap_cells(line: Line, spellings: list[str], start: int = 0) -> None:
    for cell in line.cells[start:]:
        found = _best(cell.text, spellings)
        if found is not None:
            cell.text = found
            line._key = line._text = None


def _merge_headings(line: Line, headings: list[str]) -> None:
    """Cells of a heading row that together spell one heading (`Né(e)` `le`, `Statut` `INE`:
    OCR reads the words of a heading apart) made one cell."""
    merged: list[Cell] = []
    for cell in line.cells:
        if merged:
            joined = f"{merged[-1].text} {cell.text}"
            if key(joined) in headings or any(h.startswith(key(joined) + " ") for h in headings):
                last = merged[-1]
                merged[-1] = Cell(last.x, joined, last.size, cell.end, last.lead)
                continue
        merged.append(cell)
    if len(merged) != len(line.cells):
        line.cells = merged
        line._key = line._text = None


def _counter_value(line: Line) -> None:
    last = line.cells[-1]
    if len(line.cells) > 1 and _NUMBERISH.match(last.text) and not last.text.isdigit():
        line.cells[-1] = Cell(
            last.x, last.text.translate(_AS_DIGIT), last.size, last.end, last.lead
        )
        line._key = line._text = None


def snap_lines(lines: list[Line], labels: Labels) -> None:
    """Mend the labels of the lines in place."""
    starts = _line_labels(labels)
    headings = sorted({s for names in labels["columns"].values() for s in names})
    values = sorted(
        {
            s
            for table in ("severities", "ine_statuses")
            for names in labels[table].values()
            for s in names
        }
    )
    for line in lines:
        if not line.cells:  # a rule line
            continue
        _snap_start(line, starts)
        _counter_value(line)
        heading_like = sum(key(c.text) in headings for c in line.cells)
        if heading_like >= 2:
            _snap_cells(line, headings)
            _merge_headings(line, headings)
        else:  # in a table row, only right of the birth date: names stay as read
            dates = [i for i, c in enumerate(line.cells) if _DATE.search(c.text)]
            if dates:
                _snap_cells(line, values, dates[0] + 1)
