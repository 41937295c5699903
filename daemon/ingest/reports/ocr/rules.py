"""Table rules found on a page image: painted white before OCR (tesseract loses the words that
touch them), and handed to the reader as what they are.

Long horizontal and vertical strokes are found by a morphological opening, after closing the
small gaps a photocopy leaves; the pieces of a rule a photocopy broke into dashes, and the
dashes a text printer prints (`----  ----`), by their standing in a long tight row. The
horizontal rules become the page's `Rule`s (the reader cuts rows at them, and takes their runs
for columns' bounds), the vertical ones its walls (`grid`: no cell crosses them).
"""

from __future__ import annotations

import itertools
import statistics
from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

from daemon.ingest.reports.ocr.grid import Grid, grid
from daemon.ingest.reports.ocr.raster import Grey, grey

RUNS = 0.9  # share of a rule's length its strokes cover for their gaps to be its runs
Box = tuple[int, int, int]  # a horizontal rule: left, right, y (pixels)


def despeckle(ink: Grey, dpi: float) -> Grey:
    """Ink without the specks a photocopier or a scanner's noise leaves (a few pixels alone);
    the dot of an `i` or a full stop is larger."""
    smallest = max(2, round(8 * (dpi / 300.0) ** 2))
    count, labels, stats, _centres = cv2.connectedComponentsWithStats(ink, connectivity=8)
    keep = stats[:, cv2.CC_STAT_AREA] >= smallest
    keep[0] = False  # the background
    return grey(np.where(keep[labels], 255, 0)) if count > 1 else ink


@dataclass
class Strokes:
    """Table rules found on a page: as found, and grown to cover their blur and broken ends
    (what is painted white before OCR)."""

    across: Grey  # horizontal strokes, as found
    short: Grey  # horizontal strokes a tenth of an inch long and more (a rule's runs)
    down: Grey  # vertical strokes, as found
    across_grown: Grey
    down_grown: Grey


def rule_masks(ink: Grey, dpi: float) -> Strokes:
    """The pixels of table rules, horizontal and vertical: strokes at least half an inch long
    across, a quarter inch down (longer than any letter), found after closing the small gaps a
    photocopy leaves in them; grown by a pixel for their blur and along them for broken ends."""
    across = max(20, int(dpi * 0.5))
    down = max(12, int(dpi * 0.25))
    gap = max(3, int(dpi / 60))
    reach = max(5, int(dpi / 4))  # a rule's broken ends, this far along it, go with it

    def strokes(length: tuple[int, int], bridge: tuple[int, int]) -> Grey:
        closed = cv2.morphologyEx(
            ink, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, bridge)
        )
        return grey(
            cv2.morphologyEx(
                closed, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, length)
            )
        )

    def grown(found: Grey, size: tuple[int, int]) -> Grey:
        return grey(cv2.dilate(found, cv2.getStructuringElement(cv2.MORPH_RECT, size)))

    flat, upright = strokes((across, 1), (gap, 1)), strokes((1, down), (1, gap))
    short = strokes((max(6, int(dpi / 10)), 1), (gap, 1))
    return Strokes(flat, short, upright, grown(flat, (reach, 5)), grown(upright, (5, reach)))


def _aligned(
    centres: NDArray[np.float64], starts: NDArray[np.float64], ends: NDArray[np.float64], gap: float
) -> NDArray[np.bool_]:
    """Which pieces stand in a row of six or more, each within `gap` of the next along it."""
    keep = np.zeros(len(centres), dtype=bool)
    order = np.lexsort((starts, np.round(centres / 3)))
    first = 0
    for index in range(1, len(order) + 1):
        same_row = index < len(order) and (
            round(centres[order[index]] / 3) == round(centres[order[first]] / 3)
            and starts[order[index]] - ends[order[index - 1]] <= gap
        )
        if not same_row:
            if index - first >= 6:
                keep[order[first:index]] = True
            first = index
    return keep


def dotted_rules(ink: Grey, dpi: float) -> Grey:
    """The pieces of rules a photocopy broke up (a light grey rule turned into dashes and
    specks): thin pieces standing in a long, tight row or column. The thin marks of a text line
    (hyphens, dots, accents) are fewer and further apart."""
    count, labels, stats, centres = cv2.connectedComponentsWithStats(ink, connectivity=8)
    thin, long = max(3, int(dpi / 50)), int(dpi / 2)
    left, top = stats[:, cv2.CC_STAT_LEFT], stats[:, cv2.CC_STAT_TOP]
    width, height = stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT]
    mask = np.zeros(count, dtype=bool)
    gap = dpi / 6
    across = np.flatnonzero((height <= thin) & (width <= long))
    across = across[across != 0]
    if len(across):
        x0, x1 = left[across].astype(float), (left + width)[across].astype(float)
        mask[across[_aligned(centres[across, 1], x0, x1, gap)]] = True
    down = np.flatnonzero((width <= thin) & (height <= long))
    down = down[down != 0]
    if len(down):
        y0, y1 = top[down].astype(float), (top + height)[down].astype(float)
        mask[down[_aligned(centres[down, 0], y0, y1, gap)]] = True
    return grey(np.where(mask[labels], 255, 0))


def dotted_lines(dots: Grey, walls: Grid, dpi: float, taken: set[int]) -> list[Box]:
    """The horizontal rules among the dotted pieces: a text printer's dashes (`----  ----`:
    pieces alike and evenly spaced, a wider gap between two runs: its runs), or a rule a
    photocopy broke (one rule from its first piece to its last). Cut at the walls."""
    count, _labels, stats, centres = cv2.connectedComponentsWithStats(dots)
    crossing = max(3, int(dpi / 30))
    rows: list[list[Box]] = []
    for i in sorted(range(1, count), key=lambda i: float(centres[i][1])):
        if stats[i, cv2.CC_STAT_HEIGHT] > stats[i, cv2.CC_STAT_WIDTH]:
            continue  # a piece of a vertical rule
        left = int(stats[i, cv2.CC_STAT_LEFT])
        piece = (left, left + int(stats[i, cv2.CC_STAT_WIDTH]), round(float(centres[i][1])))
        if rows and piece[2] - rows[-1][0][2] <= crossing:
            rows[-1].append(piece)
        else:
            rows.append([piece])
    found: list[Box] = []
    for pieces in (sorted(row) for row in rows if len(row) >= 6):
        if any(abs(pieces[0][2] - y) <= crossing for y in taken):
            continue  # the ends of a rule already found
        for a, b, y in _dash_runs(pieces):
            found += _cut(a, b, y, walls.crossing(y, a, b, crossing), crossing)
    return found


def _dash_runs(pieces: list[Box]) -> list[Box]:
    """The runs of evenly spaced, alike pieces (a text printer's dashes), split at the wider
    gaps; one rule from the first piece to the last when they are not alike."""
    y = round(statistics.median(p[2] for p in pieces))
    widths = [b - a for a, b, _y in pieces]
    gaps = [c - b for (_a, b, _y), (c, _d, _z) in itertools.pairwise(pieces)]
    usual = statistics.median(gaps)
    inner = [g for g in gaps if g <= 2 * usual + 1]
    alike = statistics.pstdev(widths) <= 0.3 * statistics.mean(widths)
    even = statistics.pstdev(inner) <= 0.5 * max(statistics.mean(inner), 1.0)
    if not (alike and even):
        return [(pieces[0][0], pieces[-1][1], y)]
    runs: list[Box] = [pieces[0]]
    for piece, gap in zip(pieces[1:], gaps, strict=True):
        if gap <= 2 * usual + 1:
            runs[-1] = (runs[-1][0], piece[1], y)
        else:
            runs.append((piece[0], piece[1], y))
    return [(a, b, y) for a, b, _y in runs if b - a > 2 * max(widths)]


def horizontal_rules(strokes: Strokes, walls: Grid, dpi: float) -> list[tuple[int, int, int]]:
    """The horizontal rules as (left, right, y) in pixels, at the height of their middle. The
    strokes at one height that cover nearly all the length from the first to the last are
    kept as they are (a drawn rule, or the runs of a text table's `----  ----`: the reader
    takes the runs for the columns' bounds); strokes with wider gaps (a rule a photocopy
    broke) are one rule from the first to the last. Each is cut where a vertical rule crosses
    it (a drawn grid's columns). A rule is at least half an inch long; at its height, shorter
    strokes are its other runs."""
    count, _labels, stats, centres = cv2.connectedComponentsWithStats(strokes.short)
    crossing, longest = max(3, int(dpi / 30)), max(20, int(dpi * 0.5))
    heights: list[list[tuple[int, int, int]]] = []
    for i in sorted(range(1, count), key=lambda i: float(centres[i][1])):
        left = int(stats[i, cv2.CC_STAT_LEFT])
        piece = (left, left + int(stats[i, cv2.CC_STAT_WIDTH]), round(float(centres[i][1])))
        if heights and piece[2] - heights[-1][0][2] <= crossing:
            heights[-1].append(piece)
        else:
            heights.append([piece])
    found: list[tuple[int, int, int]] = []
    for pieces in heights:
        if max(p[1] - p[0] for p in pieces) < longest:
            continue  # no rule at this height: strokes of letters
        left, right = min(p[0] for p in pieces), max(p[1] for p in pieces)
        if sum(p[1] - p[0] for p in pieces) < RUNS * (right - left):
            pieces = [(left, right, round(statistics.median(p[2] for p in pieces)))]
        for a, b, y in sorted(pieces):
            found += _cut(a, b, y, walls.crossing(y, a, b, crossing), crossing)
    return found


def _cut(left: int, right: int, y: int, walls: list[int], gap: int) -> list[tuple[int, int, int]]:
    """A rule cut at the vertical rules crossing it, a small gap left at each."""
    pieces: list[tuple[int, int, int]] = []
    start = left
    for x in walls:
        if x - start > gap:
            pieces.append((start, x - gap, y))
        start = max(start, x + gap)
    if right - start > gap:
        pieces.append((start, right, y))
    return pieces


def remove_rules(
    ink: Grey, dpi: float, light: Grey | None = None
) -> tuple[Grey, Grid, list[tuple[int, int, int]]]:
    """The ink without its rules (drawn, or dotted by a photocopy), the vertical rules made
    whole and the horizontal ones. Rules are looked for in `light` (the
    ink with its faint parts) when given: a pale rule is only partly ink."""
    strokes = rule_masks(ink if light is None else grey(cv2.bitwise_or(ink, light)), dpi)
    mask = cv2.bitwise_or(strokes.across_grown, strokes.down_grown)
    cleaned = ink.copy()
    cleaned[mask > 0] = 0
    dots = dotted_rules(cleaned, dpi)
    cleaned[dots > 0] = 0
    walls = grid(strokes.down, dpi)
    found = horizontal_rules(strokes, walls, dpi)
    found += dotted_lines(dots, walls, dpi, {y for _a, _b, y in found})
    return despeckle(cleaned, dpi), walls, found
