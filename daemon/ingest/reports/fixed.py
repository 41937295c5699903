"""A compte rendu copied as fixed-width text: its characters as words on a grid.

A table laid out with spaces (a heading, a rule of dashes, cells padded to their column, long
cells wrapped onto continuation lines) is read like a PDF table: each character stands at its
column, so the rows and columns are rebuilt from positions. The text is fixed-width when it
holds a rule line (`----  -----`, `====`, `+----+`), `|` borders, or a table heading whose
cells begin where the next line's cells begin.
"""

from __future__ import annotations

from daemon.ingest.reports.columns import ANOMALY_COLUMNS, INE_COLUMNS, heading_columns
from daemon.ingest.reports.labels import Labels
from daemon.ingest.reports.lines import Line
from daemon.ingest.reports.words import Page, Word, page_lines, pieces, rule_spans

CHAR, LINE, SIZE = 6.0, 12.0, 10.0  # a character's width, a line's height, the font size


def _words(raw: str, number: int) -> list[Word]:
    top = number * LINE
    return [Word(raw[a:b], a * CHAR, top, b * CHAR, top + SIZE, CHAR) for a, b in pieces(raw)]


def _aligned(raw_lines: list[str], labels: Labels) -> bool:
    """A table heading whose next line has 3 cells or more beginning under heading cells."""
    for number, raw in enumerate(raw_lines):
        words = _words(raw, 0)
        if len(words) < 3:
            continue
        line = page_lines(Page(0, 0, 0, words))[0]
        if not any(heading_columns(line, labels, w) for w in (ANOMALY_COLUMNS, INE_COLUMNS)):
            continue
        starts = {w.x0 for w in words}
        following = [r for r in raw_lines[number + 1 : number + 3] if r.strip()]
        if following and sum(w.x0 in starts for w in _words(following[0], 0)) >= 3:
            return True
    return False


def fixed_width_lines(text: str, labels: Labels) -> list[Line] | None:
    """The lines of a fixed-width text, with positions; None when the text is not laid out."""
    raw_lines = [raw.replace("\u00a0", " ") for raw in text.splitlines()]
    ruled = any(
        "|" in raw or rule_spans(_words(raw, 0)) is not None for raw in raw_lines if raw.strip()
    )
    tabs = any("\t" in raw for raw in raw_lines)  # cells split by tabs: read in order
    if not ruled and (tabs or not _aligned(raw_lines, labels)):
        return None
    raw_lines = [raw.expandtabs(8) for raw in raw_lines]
    words = [word for number, raw in enumerate(raw_lines) for word in _words(raw, number)]
    return page_lines(Page(0, 0, len(raw_lines) * LINE, words))
