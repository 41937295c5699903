"""Words read by OCR as the reader's input: a `Page` of positioned `Word`s and drawn `Rule`s.

The same input a text PDF gives (`daemon.ingest.reports.words`), so that one reader rebuilds the
tables: positions turned from pixels into points (× 72 / dpi), y downwards. Tesseract gives
single words with tight boxes (an accent makes a box taller, a lone `a` shorter): the words of
one line are given the line's box, so that they stay on one line, then joined into the text of
their cell (`phrases`): words closer than about two spaces, with no drawn border between them
and not at the start of a column, are one cell. The table's horizontal rules, found on the
image before they were taken out, are the page's `Rule`s: they tell where the rows end.

Tokens OCR predictably breaks are mended first: a date's year wrapped under its day and month
loses its slash (`01/02` over `12021`), a dashed INE gains one, a brace is a parenthesis, a
date that breaks its rules (`83/85/2819`: a slashed zero read `8`) is mended (`ocr.dates`).
"""

from __future__ import annotations

import itertools
import re
import statistics
from collections.abc import Callable, Sequence
from dataclasses import replace

from daemon.codes import is_valid_ine
from daemon.ingest.reports.ocr.dates import mend_date
from daemon.ingest.reports.ocr.engine import Token
from daemon.ingest.reports.words import Page, Rule, Word, phrases

POINTS = 72.0
CELL_GAP = 0.6  # in font sizes (about two spaces): a wider gap starts another cell
WIDEST_SPACE = 1.1  # in font sizes: a monospace print's two spaces
HEIGHT_TO_SIZE = 0.85  # a line's taller words are this share of the font size
SAME_SIZE = 0.35  # a line's size this close to the page's usual one is that one
ASCENT, DESCENT = 0.8, 0.2  # of the font size, above and below the baseline
# The x of the vertical rules crossing a line (its top and bottom), in pixels: cells' borders.
Walls = Callable[[int, int], list[float]]
Box = tuple[int, int, int]  # a horizontal rule in pixels: left, right, y
_DESCENDERS = frozenset("gjpqyQçµ,;()[]{}|/")
_BRACES = str.maketrans("{}®", "()e")  # `Né(e}`, `Né(®)`: the parenthesis, the e
_INITIAL_DIAERESIS = re.compile(r"(?<![^\s'-])Ë")  # no French word begins with Ë: it is È
_CUT_YEAR = re.compile(r"^[\[|1lI!/](19\d\d|20\d\d)$")
_WHOLE_DATE = re.compile(r"^\d{1,2}/\d{1,2}/\d{4}$")
_DAY_MONTH = re.compile(r"\d{1,2}/\d{1,2}/?$")
_CUT_TAIL = re.compile(r"^[\[({|]?(\d{1,3})[\])}|]?$")  # `(0)`: a year's last digit, alone
_YEAR_START = re.compile(r"\d{1,2}/\d{1,2}/(\d{1,3})$")


def _no_walls(top: int, bottom: int) -> list[float]:
    return []


def _useful(token: Token) -> bool:
    """Leftovers of a rule or a speck (`|`, `_`, a lone dot) are not words; a label's colon is."""
    text = token.text.strip()
    return text == ":" or any(c.isalnum() for c in text)


def _under(token: Token, tokens: list[Token], pattern: re.Pattern[str]) -> re.Match[str] | None:
    """The start of a wrapped date (`pattern`) on a token just above this one, left-aligned."""
    height = token.bottom - token.top
    for other in tokens:
        found = pattern.search(other.text)
        if (
            found
            and abs(other.left - token.left) <= 2 * height
            and 0 < token.top - other.top <= 3 * height
        ):
            return found
    return None


def _mend_year(token: Token, tokens: list[Token]) -> Token:
    """`12021` under `01/02`: the year of a date wrapped in a narrow column, its `/` misread.
    `(0)` under `14/07/202`: the year's last digit, alone on its line, read with brackets
    around it (tesseract's reading of a lone digit)."""
    match = _CUT_YEAR.match(token.text)
    if match is not None:
        above = _under(token, tokens, _DAY_MONTH)
        return replace(token, text="/" + match.group(1)) if above else token
    tail = _CUT_TAIL.match(token.text)
    if tail is None or tail.group(0) == tail.group(1):
        return token
    start = _under(token, tokens, _YEAR_START)
    if start is not None and len(start.group(1)) + len(tail.group(1)) == 4:
        return replace(token, text=tail.group(1))
    return token


def _mend_ine(token: Token) -> Token:
    """`123456/789AB`: a stray mark inside an INE."""
    compact = "".join(c for c in token.text if c.isalnum())
    if compact != token.text and len(compact) == 11 and is_valid_ine(compact.upper()):
        return replace(token, text=compact.upper())
    return token


def _covered(token: Token, others: list[Token]) -> bool:
    """Whether half the token's box or more is another's, read with more confidence: a speck or a
    second reading of the same ink (`l` over the `L` of `LEFÈVRE`)."""
    width, height = token.right - token.left, token.bottom - token.top
    for other in others:
        if other is token or other.confidence <= token.confidence:
            continue
        across = min(token.right, other.right) - max(token.left, other.left)
        down = min(token.bottom, other.bottom) - max(token.top, other.top)
        if across >= 0.5 * width and down >= 0.5 * height:
            return True
    return False


def mend(tokens: list[Token]) -> list[Token]:
    tokens = [t for t in tokens if _useful(t)]
    tokens = [
        replace(t, text=_INITIAL_DIAERESIS.sub("È", t.text.translate(_BRACES)))
        for t in tokens
        if not _covered(t, tokens)
    ]
    tokens = [_mend_ine(_mend_year(t, tokens)) for t in tokens]
    return [replace(t, text=mend_date(t.text)) for t in tokens]


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


def _size(row: list[Token]) -> float:
    """A line's font size in pixels, from its words that stay on the baseline (the median: a
    word's box grown by a speck or a rule's remains does not make the line taller)."""
    return statistics.median(t.bottom - t.top for t in _on_baseline(row)) / HEIGHT_TO_SIZE


def _sizes(rows: list[list[Token]]) -> tuple[list[float], float]:
    """Each line's font size, and the page's usual one; a size within SAME_SIZE of the usual
    one is that one."""
    found = [_size(row) for row in rows]
    usual = statistics.median(found) if found else 0.0
    return [usual if abs(size - usual) <= SAME_SIZE * usual else size for size in found], usual


def _line_words(row: list[Token], size: float, usual: float, scale: float) -> list[Word]:
    """A line's tokens as words in points, all with the line's box: its font size (pixels)
    around the middle of a line of the page's usual size on the same baseline. The lines'
    distances are their baselines': a line whose words' boxes a speck or a rule's remains
    made taller is not read higher than it is (rows are cut at the widest gap)."""
    baseline = statistics.median(t.bottom for t in _on_baseline(row)) * scale
    middle = baseline - (ASCENT - DESCENT) / 2 * usual * scale
    top, bottom = middle - size * scale / 2, middle + size * scale / 2
    return [
        Word(t.text, t.left * scale, top, t.right * scale, bottom, _lead(t) * scale)
        for t in sorted(row, key=lambda t: t.left)
    ]


def _on_baseline(row: list[Token]) -> list[Token]:
    """The tokens whose box ends on the line's baseline: none of their letters goes below it
    (`p`, `g`, a comma, a date's slashes), when there are such tokens. Rows are cut at the
    widest gap between lines: a line of `pgq` read lower than it is would end a row early."""
    flat = [t for t in row if not _DESCENDERS.intersection(t.text)]
    return flat or row


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
    runs = phrases(free, space, wall)
    stops = _stops(runs + _dates_within(free, runs), tolerance)

    def apart(left: Word, right: Word) -> bool:
        return wall(left, right) or any(abs(right.x0 - stop) <= tolerance for stop in stops)

    return phrases(free, space, apart) + joined


def _dates_within(words: list[Word], runs: list[Word]) -> list[Word]:
    """The dates that do not begin a run of words: a date column whose cells a narrow gap
    joined to the cells before them (`Léa 01/02/2020` in a monospace print) still begins a
    column where its dates begin."""
    starts = {(run.x0, run.top) for run in runs}
    return [w for w in words if _WHOLE_DATE.match(w.text) and (w.x0, w.top) not in starts]


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
    sizes, usual = _sizes(rows)
    words = [_line_words(row, size, usual, scale) for row, size in zip(rows, sizes, strict=True)]
    drawn = [Rule(left * scale, right * scale, y * scale) for left, right, y in rules]
    return Page(number, 0.0, height * scale, _cells(words, crossing), drawn)
