"""Where one row of a positioned table ends and the next begins.

Each row has an anchor: its birth date, else its severity / INE status, in its column. Between
two anchors the row ends:
- at a rule between them (a border drawn by the producer, a `+----+` line of a text table): a
  part of a row with no anchor at the top of a page is the end of the row cut by the page
  break, a part with none at the bottom of a page the beginning of the row after it;
- else at the widest gap between the lines (rows are top-aligned more often than centred, so
  the lowest of near-equal gaps). A page break is not a row's end in a table whose rows are
  top-aligned with nothing between them (a text printer, a browser without cell padding): the
  lines at the top of the next page, before the next anchor, end the row cut by the break.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

from daemon.ingest.reports import rows
from daemon.ingest.reports.centred import centred_starts
from daemon.ingest.reports.columns import Columns
from daemon.ingest.reports.labels import Labels
from daemon.ingest.reports.lines import Line
from daemon.ingest.reports.text import is_date_start, iso_date, key

Placed = tuple[Line, Columns]
ROW_GAP = 1.4  # in font sizes: a gap wider than a line, between two rows (padding, border)


def records(
    placed: list[Placed], rules: Sequence[Line], kind: str, labels: Labels
) -> tuple[list[list[Placed]], bool]:
    """The table's lines grouped into rows, and whether that grouping is in doubt: rows with
    nothing between them (no rule, no gap wider than a line), not top-aligned (or with lines
    half a line off), and not centred in one way only."""
    anchors, continued = _anchors(placed, kind, labels)
    if not anchors:
        return ([placed] if placed else []), False
    ruled = _ruled(placed, rules)
    if ruled:
        return _banded(placed, anchors, continued, ruled), False
    top = _top_aligned(placed, anchors)
    gaps = _gaps(placed)
    packed = max(gaps, default=0.0) <= ROW_GAP * _median_size(placed)
    # Nothing between the rows, and lines not all one under the other from each row's top
    # (a row's cells centred: its shorter cells half a line off the others' lines).
    in_doubt = packed and (not top or (bool(gaps) and min(gaps) < 0.75 * max(gaps)))
    if in_doubt and (centred := centred_starts(placed, anchors)) is not None:
        return _split(placed, centred), False
    cuts = [_cut(placed, a, b, continued, top) for a, b in itertools.pairwise(anchors)]
    return _split(placed, cuts), in_doubt


def _gaps(placed: list[Placed]) -> list[float]:
    """The gaps between two lines one under the other on one page."""
    return [
        line.y - previous.y
        for (previous, _before), (line, _columns) in itertools.pairwise(placed)
        if line.page == previous.page
    ]


def _median_size(placed: list[Placed]) -> float:
    sizes = sorted(line.size for line, _columns in placed)
    return sizes[len(sizes) // 2]


def _split(placed: list[Placed], cuts: list[int]) -> list[list[Placed]]:
    bounds = [0, *cuts, len(placed)]
    groups = [placed[start:end] for start, end in itertools.pairwise(bounds)]
    return [g for g in groups if g]


def _anchors(placed: list[Placed], kind: str, labels: Labels) -> tuple[list[int], set[int]]:
    """Lines where a row begins: a birth date, else a severity / INE status, in its column,
    else a whole row in one cell.

    A date wrapped over lines (`03/0`, `5/20`, `19`) begins on its first line only; the
    lines that continue a date are returned too (a row cut by a page break).
    """
    closing = "severity" if kind == "anomalies" else "ine_status"
    dates, ends, whole = [], [], []
    continued: set[int] = set()
    partial = ""
    for index, (line, columns) in enumerate(placed):
        cells = {columns.place(c.x): c.text for c in reversed(line.cells)}
        date = "".join(cells.get("birth_date", "").split())
        if date and partial and iso_date(partial) is None and len(partial + date) <= 10:
            partial += date
            continued.add(index)
        elif is_date_start(date):
            dates.append(index)
            partial = date
        end = cells.get(closing, "")
        if rows.closes_row(end, kind, labels) or _starts_status(end, kind, labels):
            ends.append(index)
        if len(cells) == 1 and rows.closes_row(line.text, kind, labels):
            whole.append(index)  # the extractor merged the row's cells into one
    return max((dates, ends, whole), key=len), continued


def _starts_status(text: str, kind: str, labels: Labels) -> bool:
    """The first words of a status wrapped over lines (`EN` of `EN ATTENTE`)."""
    words = key(text).split() if kind == "ine" else []
    return bool(words) and any(
        label.split()[: len(words)] == words
        for spellings in labels["ine_statuses"].values()
        for label in spellings
    )


def _ruled(placed: list[Placed], rules: Sequence[Line]) -> set[int]:
    """Indexes of the lines that a rule separates from the line before, on one page."""
    found: set[int] = set()
    by_page: dict[int, list[float]] = {}
    for rule in rules:
        by_page.setdefault(rule.page, []).append(rule.y)
    for i in range(1, len(placed)):
        line, previous = placed[i][0], placed[i - 1][0]
        if line.page == previous.page and any(
            previous.y < y < line.y for y in by_page.get(line.page, ())
        ):
            found.add(i)
    return found


def _banded(
    placed: list[Placed], anchors: list[int], continued: set[int], ruled: set[int]
) -> list[list[Placed]]:
    """Rows between rules: each band (lines between two rules, or a page's end) is a row, or
    part of one; a band holding two anchors or more is cut by gaps inside. A band without an
    anchor at the top of a page ends the row before it; one at the bottom of a page begins
    the row after it."""
    starts = sorted(ruled | {i for i in range(1, len(placed)) if _new_page(placed, i)})
    bands = _split(placed, starts)
    cuts: list[int] = []
    opened = False  # the band before began a row that goes on over the page break
    for first, band in zip([0, *starts], bands, strict=True):
        end = first + len(band)
        inside = [a for a in anchors if first <= a < end]
        top = first > 0 and _new_page(placed, first)
        bottom = end < len(placed) and _new_page(placed, end)
        joins = opened or first in continued or (top and not inside)
        if first > 0 and not joins:
            cuts.append(first)
        cuts += [_cut(placed, a, b, continued, True) for a, b in itertools.pairwise(inside)]
        opened = bottom and not inside
    return _split(placed, sorted(set(cuts)))


def _new_page(placed: list[Placed], i: int) -> bool:
    return placed[i][0].page != placed[i - 1][0].page


def _plain_cut(placed: list[Placed], first: int, second: int) -> int:
    gaps = [(placed[i][0].y - placed[i - 1][0].y, i) for i in range(first + 1, second + 1)]
    widest = max(g for g, _ in gaps)
    return max(i for g, i in gaps if g >= widest * 0.9)


def _top_aligned(placed: list[Placed], anchors: list[int]) -> bool:
    """Whether the rows are top-aligned: no row on one page shows lines before its anchor
    (a centred cell's first lines)."""
    for a, b in itertools.pairwise(anchors):
        same_page = placed[a][0].page == placed[b][0].page
        if b - a > 1 and same_page and _plain_cut(placed, a, b) < b:
            return False
    return True


def _cut(placed: list[Placed], first: int, second: int, continued: set[int], top: bool) -> int:
    """Where the row of anchor `first` ends: at the widest gap before anchor `second`
    (the lowest of near-equal gaps, rows being top-aligned more often than centred).
    A page break is the widest gap, unless the next page begins by finishing a cut date, a
    gap between rows (wider than a line) shows that the row went on over the page break, or
    the rows are `top`-aligned with nothing between them."""

    def gap(i: int) -> float:
        line, previous = placed[i][0], placed[i - 1][0]
        if line.page != previous.page:
            return -math.inf if continued.intersection(range(i, second)) else math.inf
        return line.y - previous.y

    gaps = [(gap(i), i) for i in range(first + 1, second + 1)]
    widest = max(g for g, _ in gaps)
    if widest == math.inf:
        inner = [(g, i) for g, i in gaps if math.isfinite(g)]
        sizes = sorted(placed[i][0].size for _g, i in inner)
        if not inner or max(inner)[0] <= ROW_GAP * sizes[len(sizes) // 2]:
            return second if top else next(i for g, i in gaps if g == widest)
        gaps, widest = inner, max(inner)[0]
    return max(i for g, i in gaps if g >= widest * 0.9)
