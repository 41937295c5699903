"""Words read by OCR as the positioned lines the table reader takes from a text PDF.

Positions are turned from pixels into points (1/72 inch) like a PDF's, y downwards. Words are
put on one line when their middles are level; inside a line, words closer than about two spaces,
with no table rule between them, are one cell, as a PDF's text runs are. Tokens OCR predictably
breaks are mended first: a date's year wrapped under its day and month loses its slash
(`01/02` over `12021`), a dashed INE gains one.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Callable
from dataclasses import replace

from daemon.codes import is_valid_ine
from daemon.ingest.reports.lines import Cell, Line
from daemon.ingest.reports.ocr.engine import Word
from daemon.ingest.reports.text import clean

POINTS = 72.0
CELL_GAP = 0.6  # in font sizes (about two spaces): a wider gap starts another cell
HEIGHT_TO_SIZE = 0.85  # a line's taller words are this share of the font size
# Whether a vertical rule stands in a gap (left, right, top, bottom in pixels): it ends a cell.
Walled = Callable[[int, int, int, int], bool]
_BRACES = str.maketrans("{}", "()")
_INITIAL_DIAERESIS = re.compile(r"(?<![^\s'-])Ë")  # no French word begins with Ë: it is È
_CUT_YEAR = re.compile(r"^[\[|1lI!/](19\d\d|20\d\d)$")
_DAY_MONTH = re.compile(r"\d{1,2}/\d{1,2}/?$")


def _open(left: int, right: int, top: int, bottom: int) -> bool:
    return False


def _useful(word: Word) -> bool:
    """Leftovers of a rule or a speck (`|`, `_`, a lone dot) are not words; a label's colon is."""
    text = word.text.strip()
    return text == ":" or any(c.isalnum() for c in text)


def _mend_year(word: Word, words: list[Word]) -> Word:
    """`12021` under `01/02`: the year of a date wrapped in a narrow column, its `/` misread."""
    match = _CUT_YEAR.match(word.text)
    if match is None:
        return word
    height = word.bottom - word.top
    above = any(
        _DAY_MONTH.search(other.text)
        and abs(other.left - word.left) <= 2 * height
        and 0 < word.top - other.top <= 3 * height
        for other in words
    )
    return replace(word, text="/" + match.group(1)) if above else word


def _mend_ine(word: Word) -> Word:
    """`123456/789AB`: a stray mark inside an INE."""
    compact = "".join(c for c in word.text if c.isalnum())
    if compact != word.text and len(compact) == 11 and is_valid_ine(compact.upper()):
        return replace(word, text=compact.upper())
    return word


def mend(words: list[Word]) -> list[Word]:
    words = [
        replace(w, text=_INITIAL_DIAERESIS.sub("È", w.text.translate(_BRACES)))
        for w in words
        if _useful(w)
    ]
    return [_mend_ine(_mend_year(w, words)) for w in words]


def _rows(words: list[Word]) -> list[list[Word]]:
    """Words grouped into lines: a word joins the line whose middle is level with its own."""
    lines: list[list[Word]] = []
    middles: list[float] = []
    for word in sorted(words, key=lambda w: (w.top + w.bottom) / 2):
        middle, height = (word.top + word.bottom) / 2, word.bottom - word.top
        for index in range(len(lines) - 1, max(len(lines) - 4, -1), -1):
            if abs(middles[index] - middle) <= 0.45 * height:
                lines[index].append(word)
                middles[index] = statistics.median((w.top + w.bottom) / 2 for w in lines[index])
                break
        else:
            lines.append([word])
            middles.append(middle)
    return lines


def _runs(words: list[Word], gap: float, walled: Walled) -> list[list[Word]]:
    """A line's words cut into runs at wide gaps and at table rules."""
    runs: list[list[Word]] = []
    top, bottom = min(w.top for w in words), max(w.bottom for w in words)
    for word in sorted(words, key=lambda w: w.left):
        last = runs[-1][-1] if runs else None
        if (
            last is None
            or word.left - last.right > gap
            or walled(last.right, word.left, top, bottom)
        ):
            runs.append([word])
        else:
            runs[-1].append(word)
    return runs


def _stops(lines: list[list[list[Word]]], tolerance: float) -> list[float]:
    """Where the page's columns begin: x positions where runs of three lines or more begin."""
    starts = sorted(run[0].left for runs in lines for run in runs)
    stops: list[float] = []
    group: list[int] = []
    for x in starts:
        if group and x - group[0] > tolerance:
            if len(group) >= 3:
                stops.append(statistics.median(group))
            group = []
        group.append(x)
    if len(group) >= 3:
        stops.append(statistics.median(group))
    return stops


def _split(run: list[Word], stops: list[float], tolerance: float) -> list[list[Word]]:
    """A run cut where a word begins at a column's start: in a table whose columns fit their
    text, the gap between two cells is no wider than a space."""
    parts: list[list[Word]] = [[run[0]]]
    for word in run[1:]:
        if any(abs(word.left - stop) <= tolerance for stop in stops):
            parts.append([word])
        else:
            parts[-1].append(word)
    return parts


def _cell(run: list[Word], scale: float, size: float) -> Cell | None:
    text = clean(" ".join(w.text for w in run))
    if not text:
        return None
    lead = (run[0].right - run[0].left) / max(len(run[0].text), 1)
    return Cell(run[0].left * scale, text, size, run[-1].right * scale, lead * scale)


def _size(words: list[Word], scale: float) -> float:
    heights = sorted(w.bottom - w.top for w in words)
    return heights[(3 * len(heights)) // 4] * scale / HEIGHT_TO_SIZE


def page_lines(page: int, words: list[Word], dpi: float, walled: Walled = _open) -> list[Line]:
    """The lines of one page in reading order (top to bottom), cells left to right."""
    scale = POINTS / dpi
    rows = [row for row in _rows(mend(words)) if row]
    sizes = [_size(row, scale) for row in rows]
    runs = [
        _runs(row, CELL_GAP * size / scale, walled) for row, size in zip(rows, sizes, strict=True)
    ]
    tolerance = 0.3 * statistics.median(sizes) / scale if sizes else 0.0
    stops = _stops(runs, tolerance)
    lines: list[Line] = []
    for row, size, row_runs in zip(rows, sizes, runs, strict=True):
        parts = [part for run in row_runs for part in _split(run, stops, tolerance)]
        cells = [c for c in (_cell(part, scale, size) for part in parts) if c is not None]
        baseline = statistics.median(w.bottom for w in row) * scale
        if cells:
            lines.append(Line(page, baseline, cells))
    lines.sort(key=lambda line: line.y)
    return lines
