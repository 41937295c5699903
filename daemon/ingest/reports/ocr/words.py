"""Words read by OCR as the reader's input: a `Page` of positioned `Word`s and drawn `Rule`s.

The same input a text PDF gives (`daemon.ingest.reports.words`), so that one reader rebuilds the
tables: positions turned from pixels into points (× 72 / dpi), y downwards. Tesseract gives
single words with tight boxes (an accent makes a box taller, a lone `a` shorter): the words of
one line are given the line's box, so that they stay on one line, then joined into the text of
their cell (`phrases`): words closer than about two spaces, with no drawn border between them
and not at the start of a column, are one cell. The table's horizontal rules, found on the
image before they were taken out, are the page's `Rule`s: they tell where the rows end.

Tokens OCR predictably breaks are mended first: a date's year wrapped under its day and month
loses its slash (`01/02` over `12021`), a dashed INE gains one, a brace is a parenthesis.
"""

from __future__ import annotations

import itertools
import re
import statistics
from collections.abc import Callable, Sequence
from dataclasses import replace

from daemon.codes import is_valid_ine
from daemon.ingest.reports.ocr.engine import Token
from daemon.ingest.reports.words import Page, Rule, Word, phrases

POINTS = 72.0
CELL_GAP = 0.6  # in font sizes (about two spaces): a wider gap starts another cell
WIDEST_SPACE = 1.1  # in font sizes: a monospace print's two spaces
HEIGHT_TO_SIZE = 0.85  # a line's taller words are this share of the font size
ASCENT, DESCENT = 0.8, 0.2  # of the font size, above and below the baseline
# The x of the vertical rules crossing a line (its top and bottom), in pixels: cells' borders.
Walls = Callable[[int, int], list[float]]
Box = tuple[int, int, int]  # a horizontal rule in pixels: left, right, y
_BRACES = str.maketrans("{}®", "()e")  # `Né(e}`, `Né(®)`: the parenthesis, the e
_INITIAL_DIAERESIS = re.compile(r"(?<![^\s'-])Ë")  # no French word begins with Ë: it is È
_CUT_YEAR = re.compile(r"^[\[|1lI!/](19\d\d|20\d\d)$")
_DAY_MONTH = re.compile(r"\d{1,2}/\d{1,2}/?$")


def _no_walls(top: int, bottom: int) -> list[float]:
    return []


def _useful(token: Token) -> bool:
    """Leftovers of a rule or a speck (`|`, `_`, a lone dot) are not words; a label's colon is."""
    text = token.text.strip()
    return text == ":" or any(c.isalnum() for c in text)


def _mend_year(token: Token, tokens: list[Token]) -> Token:
    """`12021` under `01/02`: the year of a date wrapped in a narrow column, its `/` misread."""
    match = _CUT_YEAR.match(token.text)
    if match is None:
        return token
    height = token.bottom - token.top
    above = any(
        _DAY_MONTH.search(other.text)
        and abs(other.left - token.left) <= 2 * height
        and 0 < token.top - other.top <= 3 * height
        for other in tokens
    )
    return replace(token, text="/" + match.group(1)) if above else token


def _mend_ine(token: Token) -> Token:
    """`123456/789AB`: a stray mark inside an INE."""
    compact = "".join(c for c in token.text if c.isalnum())
    if compact != token.text and len(compact) == 11 and is_valid_ine(compact.upper()):
        return replace(token, text=compact.upper())
    return token


def mend(tokens: list[Token]) -> list[Token]:
    tokens = [
        replace(t, text=_INITIAL_DIAERESIS.sub("È", t.text.translate(_BRACES)))
        for t in tokens
        if _useful(t)
    ]
    return [_mend_ine(_mend_year(t, tokens)) for t in tokens]


def _rows(tokens: list[Token]) -> list[list[Token]]:
    """Tokens grouped into lines: a token joins the line whose middle is level with its own."""
    lines: list[list[Token]] = []
    middles: list[float] = []
    for token in sorted(tokens, key=lambda t: (t.top + t.bottom) / 2):
        middle, height = (token.top + token.bottom) / 2, token.bottom - token.top
        for index in range(len(lines) - 1, max(len(lines) - 4, -1), -1):
            if abs(middles[index] - middle) <= 0.45 * height:
                lines[index].append(token)
                middles[index] = statistics.median((t.top + t.bottom) / 2 for t in lines[index])
                break
        else:
            lines.append([token])
            middles.append(middle)
    return lines


def _line_words(row: list[Token], scale: float) -> list[Word]:
    """A line's tokens as words in points, all with the line's box (baseline and font size)."""
    heights = sorted(t.bottom - t.top for t in row)
    size = heights[(3 * len(heights)) // 4] * scale / HEIGHT_TO_SIZE
    baseline = statistics.median(t.bottom for t in row) * scale
    top, bottom = baseline - ASCENT * size, baseline + DESCENT * size
    return [
        Word(t.text, t.left * scale, top, t.right * scale, bottom, _lead(t) * scale)
        for t in sorted(row, key=lambda t: t.left)
    ]


def _lead(token: Token) -> float:
    """The width of a token's first character, as the mean of its characters'."""
    return (token.right - token.left) / max(len(token.text), 1)


def _stops(runs: list[Word], tolerance: float) -> list[float]:
    """Where the page's columns begin: x positions where runs of three lines or more begin."""
    stops: list[float] = []
    group: list[float] = []
    for x in sorted(run.x0 for run in runs):
        if group and x - group[0] > tolerance:
            if len(group) >= 3:
                stops.append(statistics.median(group))
            group = []
        group.append(x)
    if len(group) >= 3:
        stops.append(statistics.median(group))
    return stops


def _segments(row: list[Word], walls: list[float]) -> list[tuple[float, float, list[Word]]]:
    """A line's words between each two walls crossing it: (left wall, right wall, words)."""
    found = []
    for left, right in itertools.pairwise(walls):
        inside = [w for w in row if left < (w.x0 + w.x1) / 2 < right]
        if inside:
            found.append((left, right, inside))
    return found


def _join(words: list[Word]) -> Word:
    first, last = words[0], words[-1]
    text = " ".join(w.text for w in words)
    return Word(text, first.x0, first.top, last.x1, first.bottom, first.lead)


def _cells(rows: list[list[Word]], walls: list[list[float]]) -> list[Word]:
    """Single words joined into the text of their cells. Words closer than about two spaces,
    with no drawn rule between them, are one cell; but a word at a column's start begins a
    cell even a space away from the one before (in a table whose columns fit their text, the
    gap between two cells is no wider than a space). Between two vertical rules, a line whose
    words run from one rule to the other is one cell however far apart they are: justified
    text."""
    joined: list[Word] = []
    free: list[Word] = []
    for row, crossing in zip(rows, walls, strict=True):
        taken: set[int] = set()
        for left, right, words in _segments(row, crossing):
            reach = 1.5 * (words[0].bottom - words[0].top)
            if len(words) > 1 and words[0].x0 - left < reach and right - words[-1].x1 < reach:
                joined.append(_join(words))
                taken.update(id(w) for w in words)
        free += [w for w in row if id(w) not in taken]
    walled = {id(w): crossing for row, crossing in zip(rows, walls, strict=True) for w in row}

    def wall(left: Word, right: Word) -> bool:
        return any(left.x1 < x < right.x0 for x in walled.get(id(right), ()))

    sizes = [w.bottom - w.top for w in free]
    tolerance = 0.3 * statistics.median(sizes) if sizes else 0.0
    space = _space(rows)
    stops = _stops(phrases(free, space, wall), tolerance)

    def apart(left: Word, right: Word) -> bool:
        return wall(left, right) or any(abs(right.x0 - stop) <= tolerance for stop in stops)

    return phrases(free, space, apart) + joined


def _space(rows: list[list[Word]]) -> float:
    """The widest gap between two words of one cell, in font sizes: about two spaces. A
    monospace print spaces its words wider (a whole character): the usual gap on the page
    tells."""
    gaps = [
        (b.x0 - a.x1) / (a.bottom - a.top)
        for row in rows
        for a, b in itertools.pairwise(row)
        if b.x0 > a.x1
    ]
    if len(gaps) < 8:
        return CELL_GAP
    usual = statistics.quantiles(gaps, n=4)[0]
    return min(max(CELL_GAP, 1.5 * usual), WIDEST_SPACE)


def ocr_page(
    number: int,
    tokens: list[Token],
    dpi: float,
    *,
    height: int,
    rules: Sequence[Box] = (),
    walls: Walls = _no_walls,
) -> Page:
    """One page read by OCR (`height` in pixels) as the reader's `Page`, in points. `walls`:
    the x of the vertical rules crossing a line (given its top and bottom), in pixels."""
    scale = POINTS / dpi
    rows = _rows(mend(tokens))
    crossing = [
        [x * scale for x in walls(min(t.top for t in row), max(t.bottom for t in row))]
        for row in rows
    ]
    words = [_line_words(row, scale) for row in rows]
    drawn = [Rule(left * scale, right * scale, y * scale) for left, right, y in rules]
    return Page(number, 0.0, height * scale, _cells(words, crossing), drawn)
