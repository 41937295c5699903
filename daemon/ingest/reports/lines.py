"""Lines of a report, whether read from a PDF (with positions) or from plain text (without).

A `Line` is what a reader sees on one row of the page: cells from left to right. A PDF line has
positions (points, y growing downwards in reading order); a text line numbers its cells instead.
"""

from __future__ import annotations

import bisect
import math
import re
from dataclasses import dataclass, field

from daemon.ingest.reports.text import clean, key


@dataclass(slots=True)
class Cell:
    x: float
    text: str
    size: float = 10.0
    end: float = math.nan  # x where the text ends (from the font's glyph widths), NaN if unknown
    lead: float = math.nan  # width of its first character


@dataclass(slots=True)
class Line:
    page: int
    y: float  # reading order within the page: larger is lower
    cells: list[Cell]
    geometric: bool = True
    rule: list[tuple[float, float]] | None = None  # a rule line: layout, these runs (x0, x1)
    _key: str | None = field(default=None, repr=False)
    _text: str | None = field(default=None, repr=False)

    @property
    def text(self) -> str:
        if self._text is None:
            self._text = " ".join(c.text for c in self.cells)
        return self._text

    @property
    def key(self) -> str:
        if self._key is None:
            self._key = key(self.text)
        return self._key

    @property
    def size(self) -> float:
        return max((c.size for c in self.cells), default=10.0)


def text_lines(text: str) -> list[Line]:
    """Plain text copied from the screen: cells split on tabs, else on runs of 2+ spaces."""
    lines: list[Line] = []
    for number, raw in enumerate(text.splitlines()):
        raw = raw.replace("\u00a0", " ")
        parts = raw.split("\t") if "\t" in raw else re.split(r" {2,}", raw.strip())
        cells = [Cell(float(i), clean(p)) for i, p in enumerate(parts) if clean(p)]
        if cells:
            lines.append(Line(0, float(number), cells, geometric=False))
    return lines


def split_at(line: Line, bounds: list[float]) -> Line:
    """The line with each cell that runs over a column's bound (a fixed-width table whose
    columns are one space apart) split at the space before the bound. A word running over it
    stays whole; so does a cell whose end is unknown."""
    cells: list[Cell] = []
    for cell in line.cells:
        cells.extend(_split_cell(cell, bounds))
    if len(cells) == len(line.cells):
        return line
    return Line(line.page, line.y, cells, line.geometric, line.rule)


def _split_cell(cell: Cell, bounds: list[float]) -> list[Cell]:
    text = cell.text
    if math.isnan(cell.end) or len(text) < 2:
        return [cell]
    step = (cell.end - cell.x) / len(text)
    first = bisect.bisect_right(bounds, cell.x + step)
    if first == len(bounds) or bounds[first] >= cell.end - step:
        return [cell]  # within its column: most cells
    for bound in bounds[first:]:
        if bound >= cell.end - step:
            break
        at = (bound - cell.x) / step  # the index of the first character past the bound
        spaces = [i for i, c in enumerate(text) if c == " " and abs(i + 1 - at) <= 1.0]
        if spaces:
            i = spaces[0]
            left = Cell(cell.x, text[:i], cell.size, cell.x + i * step, cell.lead)
            right = Cell(cell.x + (i + 1) * step, text[i + 1 :], cell.size, cell.end, cell.lead)
            return [left, *_split_cell(right, bounds)]
    return [cell]
