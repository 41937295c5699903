"""The vertical rules of a drawn table, made whole again.

A photocopy or a pale print breaks a table's vertical rules into dashes: the pieces found on
the page are gathered by their x into walls, each running from its first piece to its last
while the pieces follow each other closely (a wider gap is the space between two tables). A
wall stands between two words of a line when it runs through the line's height, even where
the photocopy lost the piece beside that line. A rule of which most is lost is not used: the
words are then told apart by their gaps, as in a table without rules.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2

from daemon.ingest.reports.ocr.raster import Grey

SAME_X = 1 / 40  # inch: pieces this close across are one rule
TABLE_GAP = 0.3  # inch: pieces of one rule further apart down the page are two tables' rules
WHOLE = 0.6  # share of its length a rule's pieces must cover: a rule mostly lost is not used


@dataclass(frozen=True, slots=True)
class Wall:
    x: float  # pixels
    top: int
    bottom: int


@dataclass(frozen=True)
class Grid:
    walls: tuple[Wall, ...] = ()

    def walled(self, left: int, right: int, top: int, bottom: int) -> bool:
        """Whether a wall stands between x `left` and `right` through the middle of a line."""
        middle = (top + bottom) / 2
        return any(left < w.x < right and w.top <= middle <= w.bottom for w in self.walls)

    def through(self, top: int, bottom: int) -> list[float]:
        """The x of the walls running through the middle of a line, left to right."""
        middle = (top + bottom) / 2
        return sorted(w.x for w in self.walls if w.top <= middle <= w.bottom)

    def crossing(self, y: int, left: int, right: int, reach: int) -> list[int]:
        """The x of the walls a horizontal rule at `y` meets between `left` and `right` (a
        wall ending within `reach` of the rule meets it: a table's outer rules)."""
        return sorted(
            round(w.x)
            for w in self.walls
            if left <= w.x <= right and w.top - reach <= y <= w.bottom + reach
        )


def grid(down: Grey, dpi: float) -> Grid:
    """The walls of the vertical strokes `down` (rules as found, not grown)."""
    count, _labels, stats, centres = cv2.connectedComponentsWithStats(down, connectivity=8)
    pieces = sorted(
        (float(centres[i][0]), int(stats[i, cv2.CC_STAT_TOP]),
         int(stats[i, cv2.CC_STAT_TOP] + stats[i, cv2.CC_STAT_HEIGHT]))
        for i in range(1, count)
    )  # fmt: skip
    columns: list[list[tuple[float, int, int]]] = []
    for piece in pieces:
        if columns and piece[0] - columns[-1][-1][0] <= SAME_X * dpi:
            columns[-1].append(piece)
        else:
            columns.append([piece])
    walls: list[Wall] = []
    for column in columns:
        walls += _runs(column, TABLE_GAP * dpi, 0.25 * dpi)
    return Grid(tuple(walls))


def _runs(pieces: list[tuple[float, int, int]], gap: float, shortest: float) -> list[Wall]:
    """One column's pieces, top to bottom, as walls: a run ends at a gap wider than `gap`."""
    runs: list[list[tuple[float, int, int]]] = []
    for piece in sorted(pieces, key=lambda p: p[1]):
        if runs and piece[1] - max(p[2] for p in runs[-1]) <= gap:
            runs[-1].append(piece)
        else:
            runs.append([piece])
    walls = []
    for run in runs:
        top, bottom = min(p[1] for p in run), max(p[2] for p in run)
        drawn = sum(p[2] - p[1] for p in run)
        if bottom - top >= shortest and drawn >= WHOLE * (bottom - top):
            x = sum(p[0] * (p[2] - p[1]) for p in run) / max(sum(p[2] - p[1] for p in run), 1)
            walls.append(Wall(x, top, bottom))
    return walls
