"""Pages of positioned words → the lines of the document, without what printers add.

Independent of where the words come from (a PDF's text layer, a fixed-width text, OCR): the
browser's headers and footers, page numbers, print dates and URLs are removed here, knowing the
page and the document (a line repeated in the margin of several pages is the printer's).
"""

from __future__ import annotations

import functools
import math
import re
from collections import Counter
from collections.abc import Callable

from daemon.codes import fold
from daemon.ingest.reports.columns import (
    ANOMALY_COLUMNS,
    INE_COLUMNS,
    heading_columns,
    heading_piece,
)
from daemon.ingest.reports.labels import Labels
from daemon.ingest.reports.lines import Cell, Line
from daemon.ingest.reports.text import clean
from daemon.ingest.reports.words import Page, page_lines

MARGIN = 0.07  # top and bottom share of the page where printers put headers and footers


def document_lines(
    pages: list[Page], labels: Labels, title: str | Callable[[], str] = ""
) -> list[Line]:
    """The lines of every page in reading order, printers' marks removed; `title` is the
    document's title from its metadata (browsers print it in the page header), or how to
    read it when a margin line asks for it."""
    read = [(page_lines(page), page.top, page.bottom) for page in pages]
    noise = _Noise(labels, title)
    noise.learn(read)
    lines: list[Line] = []
    for page_of_lines, top, bottom in read:
        lines.extend(noise.clean_page(page_of_lines, top, bottom))
    return lines


class _Noise:
    """Decides which lines and cells a printer added, knowing the page and the document."""

    def __init__(self, labels: Labels, title: str | Callable[[], str]) -> None:
        self.labels = labels
        self.given = title
        self.repeated: set[tuple[str, int]] = set()

    @functools.cached_property
    def title(self) -> str:
        title = self.given() if callable(self.given) else self.given
        return fold(clean(title)).casefold() if title else ""

    @staticmethod
    def shape(text: str, y: float) -> tuple[str, int]:
        return re.sub(r"\d+", "#", fold(text).casefold()), round(y / 3)

    def learn(self, pages: list[tuple[list[Line], float, float]]) -> None:
        seen: Counter[tuple[str, int]] = Counter()
        for lines, top, bottom in pages:
            shapes = {self.shape(ln.text, ln.y) for ln in lines if self.in_margin(ln, top, bottom)}
            seen.update(shapes)
        self.repeated = {shape for shape, count in seen.items() if count > 1}

    @staticmethod
    def in_margin(line: Line, top: float, bottom: float) -> bool:
        height = bottom - top
        return height > 0 and (line.y < top + MARGIN * height or line.y > bottom - MARGIN * height)

    def matches(self, text: str, patterns: tuple[re.Pattern[str], ...]) -> bool:
        folded = fold(text)
        return any(p.fullmatch(folded) for p in patterns)

    def clean_page(self, lines: list[Line], top: float, bottom: float) -> list[Line]:
        """Lines without the printer's: noise anywhere (URLs, `Page 2 sur 3`), and at the top and
        bottom of the page, outside the content, margin noise (print dates, `1/3`, repeated
        lines). A cut date (`17/04`) low on the page but above a table row is kept. Rule lines
        are kept between the first and last lines kept."""
        rules = [ln for ln in lines if ln.rule is not None]
        lines = [
            ln for ln in lines if ln.rule is None and not self.matches(ln.text, self.labels.noise)
        ]
        first = 0
        while first < len(lines) and self._margin_noise(lines[first], top, bottom):
            first += 1
        if 0 < first < len(lines) and not self._apart(lines[first - 1], lines[first]):
            first = 0
        last = len(lines)
        while last > first and self._margin_noise(lines[last - 1], top, bottom):
            last -= 1
        if first < last < len(lines) and not self._apart(lines[last], lines[last - 1]):
            last = len(lines)
        kept = lines[first:last]
        if rules and kept:
            inside = [r for r in rules if kept[0].y < r.y < kept[-1].y]
            kept = sorted(kept + inside, key=lambda ln: ln.y)
        return kept

    def _apart(self, noise: Line, content: Line) -> bool:
        """A printer's line stands apart from the content; a table's last cut cell does not."""
        if self.shape(noise.text, noise.y) in self.repeated:
            return True
        if not 0.8 < noise.size / content.size < 1.25:  # another font: a text printer's header
            return True
        return abs(noise.y - content.y) > 1.2 * max(noise.size, content.size)

    def _margin_noise(self, line: Line, top: float, bottom: float) -> bool:
        if not self.in_margin(line, top, bottom) or self._table_heading(line):
            return False
        if self.shape(line.text, line.y) in self.repeated:
            return True
        # All of it noise: a footer with a URL and `1/3`, a header with a date and the title.
        clusters = _clusters(line.cells)
        return all(map(self._noise_cell, clusters)) or self._noise_cell(line.cells)

    def _table_heading(self, line: Line) -> bool:
        """A table heading (or a line of it: `Né(e)` over `le`) repeated at the top of each
        page is content: the cell below it (the end of a date cut by the page break) too."""
        return any(
            heading_columns(line, self.labels, wanted) is not None
            or heading_piece(line, self.labels, wanted) is not None
            for wanted in (ANOMALY_COLUMNS, INE_COLUMNS)
        )

    def _noise_cell(self, group: list[Cell]) -> bool:
        """All of it noise, the parts of a header printed as one piece too (`cr.txt Mon Dec 07
        18:40:38 2026 1`: a file name, a date, a page number)."""
        words = " ".join(c.text for c in group).split()
        ends = {len(words)}  # word indexes from which the rest of the text is all noise
        for start in range(len(words) - 1, -1, -1):
            if any(self._noise_text(" ".join(words[start:end])) for end in ends if end > start):
                ends.add(start)
        return 0 in ends

    def _noise_text(self, text: str) -> bool:
        if self.title and fold(text).casefold() == self.title:
            return True
        return self.matches(text, self.labels.noise + self.labels.margin_noise)


def _clusters(cells: list[Cell]) -> list[list[Cell]]:
    """Cells close to each other (`1`, `/`, `3`), apart from the others on a margin line."""
    groups: list[list[Cell]] = []
    end = -math.inf
    for cell in cells:
        if not groups or cell.x - end > 1.5 * cell.size:
            groups.append([])
        groups[-1].append(cell)
        end = max(end, cell.x + 0.5 * cell.size * len(cell.text))
    return groups
