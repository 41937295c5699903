"""The pieces of one table cell joined into its text, knowing whether the producer cuts words.

A cell wrapped over lines is joined with a space, or without one after a line ending in `-`, or
where the producer cut a word too long for its column (`OUÉDRA` / `OGO`): told by the glyph
widths, when the line before ends past what its column holds.
"""

from __future__ import annotations

import itertools
import math

from daemon.ingest.reports import rows
from daemon.ingest.reports.columns import Columns
from daemon.ingest.reports.cuts import Placed
from daemon.ingest.reports.labels import Labels
from daemon.ingest.reports.lines import Cell, Line
from daemon.ingest.reports.text import key


def cut_value(pieces: list[str], kind: str, labels: Labels) -> bool:
    """A severity or an INE status read whole only without spaces (`Avertisse` / `ment`)."""
    spaced, glued = " ".join(pieces), "".join(pieces)
    if kind == "anomalies":
        return (
            rows.severity_of(spaced, labels) is None
            and key(spaced) != key(glued)
            and (labels.find("severities", key(glued)) is not None)
        )
    if " " not in glued and len(pieces) > 1 and rows.ine_status_of(glued, labels):
        return True
    return labels.find("ine_statuses", key(spaced)) is None and (
        labels.find("ine_statuses", key(glued)) is not None
    )


def limits(placed: list[Placed]) -> dict[int, dict[str, float]]:
    """For each heading row (by id) and column but the last, an x its text is known to reach:
    the end of its widest line, or the next column's start less the least gap seen between a
    column's widest line and the next column (the cell padding). A word cut because it did not
    fit on one line (`OUÉDRA` / `OGO`) ends past it."""
    found: dict[int, tuple[Columns, dict[str, float], dict[str, float]]] = {}
    for line, columns in placed:
        _columns, lefts, ends = found.setdefault(id(columns), (columns, {}, {}))
        for cell in line.cells:
            name = columns.place(cell.x)
            lefts[name] = min(cell.x, lefts.get(name, cell.x))
            if not math.isnan(cell.end):
                ends[name] = max(cell.end, ends.get(name, cell.end))
    limits: dict[int, dict[str, float]] = {}
    for ident, (columns, lefts, ends) in found.items():
        names = [n for n in columns.names if n in lefts]
        pairs = [(a, b) for a, b in itertools.pairwise(names) if a in ends]
        if not pairs:
            continue
        slack = max(0.0, min(lefts[b] - ends[a] for a, b in pairs))
        limits[ident] = {a: max(ends[a], lefts[b] - slack) for a, b in pairs}
    return limits


def cut_word(previous: list[Cell], cell: Cell, limit: float) -> bool:
    """True when the line before ended by cutting a word too long for its column: it holds one
    word, and the first character of this line would have gone past what the column holds."""
    before = " ".join(c.text for c in previous)
    if not before or " " in before or not cell.text or math.isnan(limit):
        return False
    last, first = before[-1], cell.text[0]
    if not (last.isalnum() or last == "'") or not first.isalnum():
        return False
    if last.islower() and first.isupper():  # `Marie` / `Claire`: a new word
        return False
    end, lead = previous[-1].end, cell.lead
    return not math.isnan(end + lead) and end + lead > limit - 0.3 * lead


def cut_words(pieces: list[tuple[Line, Cell, float]]) -> list[str]:
    """The lines of a cell that end by a cut word (see `_cut_word`)."""
    found: list[str] = []
    previous: list[Cell] = []
    previous_line = None
    for line, cell, limit in pieces:
        if line is not previous_line:
            if previous and cut_word(previous, cell, limit):
                found.append(" ".join(c.text for c in previous))
            previous = []
        previous.append(cell)
        previous_line = line
    return found


def join(name: str, pieces: list[tuple[Line, Cell, float]], cutting: bool) -> str:
    if name == "birth_date":
        return "".join("".join(cell.text.split()) for _line, cell, _limit in pieces)
    text = ""
    previous_line = None
    previous: list[Cell] = []
    for line, cell, limit in pieces:
        if not text:
            text = cell.text
        elif line is not previous_line and (
            text.endswith("-") or (cutting and cut_word(previous, cell, limit))
        ):
            text += cell.text
        else:
            text += " " + cell.text
        if line is not previous_line:
            previous = []
        previous.append(cell)
        previous_line = line
    return text
