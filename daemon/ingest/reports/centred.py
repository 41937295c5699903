"""Rows of a table whose cells are centred in their row, with nothing between two rows.

fpdf2's default `multi_cell` tables without borders draw nothing between rows and put no
padding around cells: a long message's lines run straight into the next row's, and the gaps
between lines are the same inside a row and between rows. What still tells where a row ends
is that every cell of one row is centred on the same height: the first and last lines of each
column's cell are as far above as below the row's middle, the row's first and last lines
(its tallest cell's) included. Each row is looked for between the anchor (birth date) of its
own row and the next one's, so that every row is centred; a table that can be read so in
no way, or in two ways, is left to the other readings (and said to be in doubt).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from daemon.ingest.reports.columns import Columns
from daemon.ingest.reports.lines import Line

TOLERANCE = 0.25  # of the line height: two centres closer than this are one height


def centred_starts(placed: Sequence[tuple[Line, Columns]], anchors: list[int]) -> list[int] | None:
    """Where each row but the first begins, when exactly one division of the lines gives
    rows whose cells are all centred on their row's middle, each row on one page; else None.
    Tables of another kind fail at their first row of several lines."""
    rows = _Rows(placed)
    ways: dict[int, int] = {0: 1}  # where a row may begin → readings that lead there (≤ 2)
    steps: list[dict[int, int]] = []  # for each row after the first: its start → previous's
    for previous, anchor in itertools.pairwise(anchors):
        found: dict[int, int] = {}
        back: dict[int, int] = {}
        for start in range(previous + 1, anchor + 1):
            for begin, count in ways.items():
                if rows.centred(begin, start):
                    found[start] = min(found.get(start, 0) + count, 2)
                    back.setdefault(start, begin)
        if not found:
            return None
        ways = found
        steps.append(back)
    ends = [begin for begin in ways if rows.centred(begin, len(placed))]
    if sum(ways[begin] for begin in ends) != 1:
        return None
    starts = [ends[0]]
    for back in reversed(steps[1:]):
        starts.append(back[starts[-1]])
    return starts[::-1] if steps else []


class _Rows:
    """The table's lines, with the columns of each line's cells worked out when first asked."""

    def __init__(self, placed: Sequence[tuple[Line, Columns]]) -> None:
        self.placed = placed
        self.names: dict[int, set[str]] = {}

    def columns(self, index: int) -> set[str]:
        if index not in self.names:
            line, columns = self.placed[index]
            self.names[index] = {columns.place(cell.x) for cell in line.cells}
        return self.names[index]

    def centred(self, begin: int, end: int) -> bool:
        """Whether lines `begin` to `end` (excluded) are on one page and each column's cell
        among them is centred on their middle."""
        lines = [line for line, _columns in self.placed[begin:end]]
        if not lines or lines[0].page != lines[-1].page:
            return False
        middle = (lines[0].y + lines[-1].y) / 2
        tolerance = TOLERANCE * min(lines[0].size, lines[-1].size)
        first: dict[str, float] = {}
        last: dict[str, float] = {}
        for index, line in enumerate(lines, begin):
            for name in self.columns(index):
                first.setdefault(name, line.y)
                last[name] = line.y
        return all(abs((first[name] + last[name]) / 2 - middle) <= tolerance for name in first)
