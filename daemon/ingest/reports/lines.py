"""Lines of a report, whether read from a PDF (with positions) or from plain text (without).

A `Line` is what a reader sees on one row of the page: cells from left to right. A PDF line has
positions (points, y growing downwards in reading order); a text line numbers its cells instead.
"""

from __future__ import annotations

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

    @property
    def text(self) -> str:
        return " ".join(c.text for c in self.cells)

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
