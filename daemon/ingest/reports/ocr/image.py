"""Page images made ready for tesseract: resolution, skew, and the table rules taken out.

Tesseract loses the words that touch a table's borders (the heading row, short cells), so the
long horizontal and vertical strokes are found by a morphological opening and painted white
before OCR. The skew is measured on the text itself (the angle whose row profile is sharpest).
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

from daemon.ingest.reports.ocr.grid import Grid, grid
from daemon.ingest.reports.ocr.raster import Grey, grey

TARGET_DPI = 300.0  # a page scanned below 250 dpi is enlarged to this (tesseract reads it best)
MAX_SKEW = 6.0  # degrees searched either way
PROFILE_DPI = 75.0  # resolution at which the skew is measured
RUNS = 0.9  # share of a rule's length its strokes cover for their gaps to be its runs
VIEW_DPI = 110.0  # resolution of the page images shown beside the rows read


@dataclass
class Prepared:
    image: Grey  # upright, straight, without rules
    dpi: float
    skew: float  # degrees the page was turned back by
    grid: Grid  # the vertical rules found, which no cell crosses
    rules: list[tuple[int, int, int]]  # the horizontal rules found: left, right, y (pixels)
    straight: Grey  # the page upright and straight, as scanned: what a person checks it on

    def walls(self, top: int, bottom: int) -> list[float]:
        """The x of the vertical rules running through a line (its top and bottom, pixels)."""
        return self.grid.through(top, bottom)


def binary(image: Grey) -> Grey:
    """Ink as 255 on 0. Otsu's threshold, but never closer to the paper than a quarter of its
    brightness: a blank page with scanner noise has no ink, not half its pixels."""
    otsu, _ink = cv2.threshold(image, 0, 255, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    paper = float(np.percentile(image, 90))
    _threshold, ink = cv2.threshold(image, min(otsu, 0.75 * paper), 255, cv2.THRESH_BINARY_INV)
    return grey(ink)


def faint(image: Grey, dpi: float) -> Grey:
    """Even light ink (255 on 0): what is darker than the paper around it. A grey rule that a
    photo or a JPEG made paler than the text is whole here, whatever the light on the page."""
    block = int(dpi / 10) | 1
    return grey(
        cv2.adaptiveThreshold(
            image, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, block, 12
        )
    )


def despeckle(ink: Grey, dpi: float) -> Grey:
    """Ink without the specks a photocopier or a scanner's noise leaves (a few pixels alone);
    the dot of an `i` or a full stop is larger."""
    smallest = max(2, round(8 * (dpi / 300.0) ** 2))
    count, labels, stats, _centres = cv2.connectedComponentsWithStats(ink, connectivity=8)
    keep = stats[:, cv2.CC_STAT_AREA] >= smallest
    keep[0] = False  # the background
    return grey(np.where(keep[labels], 255, 0)) if count > 1 else ink


def at_resolution(image: Grey, dpi: float) -> tuple[Grey, float]:
    if dpi >= 250:
        return image, dpi
    scale = TARGET_DPI / dpi
    resized = grey(cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC))
    return resized, TARGET_DPI


def _profile_score(ink: Grey, angle: float) -> float:
    height, width = ink.shape
    matrix = cv2.getRotationMatrix2D((width / 2, height / 2), angle, 1.0)
    turned = cv2.warpAffine(ink, matrix, (width, height), flags=cv2.INTER_NEAREST)
    rows = turned.sum(axis=1, dtype=np.float64)
    return float(np.square(np.diff(rows)).sum())


def skew_angle(image: Grey, dpi: float) -> float:
    """The angle (degrees, counter-clockwise) that makes the text lines horizontal."""
    scale = min(1.0, PROFILE_DPI / dpi)
    small = grey(cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA))
    ink = binary(small)
    if not ink.any():
        return 0.0
    best, step = 0.0, 0.5
    candidates = np.arange(-MAX_SKEW, MAX_SKEW + step, step)
    while step >= 0.05:
        scores = [(_profile_score(ink, float(a)), float(a)) for a in candidates]
        best = max(scores, key=lambda scored: (scored[0], -abs(scored[1])))[1]  # ties: straight
        step /= 4
        candidates = np.arange(best - 2 * step, best + 2.5 * step, step)
    return round(best, 2)


def straighten(image: Grey, angle: float) -> Grey:
    if abs(angle) < 0.05:
        return image
    height, width = image.shape
    matrix = cv2.getRotationMatrix2D((width / 2, height / 2), angle, 1.0)
    return grey(
        cv2.warpAffine(
            image,
            matrix,
            (width, height),
            flags=cv2.INTER_LINEAR,
            borderMode=cv2.BORDER_CONSTANT,
            borderValue=255,
        )
    )


@dataclass
class Strokes:
    """Table rules found on a page: as found, and grown to cover their blur and broken ends
    (what is painted white before OCR)."""

    across: Grey  # horizontal strokes, as found
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
    return Strokes(flat, upright, grown(flat, (reach, 5)), grown(upright, (5, reach)))


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


def horizontal_rules(strokes: Strokes, walls: Grid, dpi: float) -> list[tuple[int, int, int]]:
    """The horizontal rules as (left, right, y) in pixels, at the height of their middle. The
    strokes at one height that cover nearly all the length from the first to the last are
    kept as they are (a drawn rule, or the runs of a text table's `----  ----`: the reader
    takes the runs for the columns' bounds); strokes with wider gaps (a rule a photocopy
    broke) are one rule from the first to the last. Each is cut where a vertical rule crosses
    it (a drawn grid's columns)."""
    count, _labels, stats, centres = cv2.connectedComponentsWithStats(strokes.across)
    crossing = max(3, int(dpi / 30))
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
    return despeckle(cleaned, dpi), walls, horizontal_rules(strokes, walls, dpi)


def prepare(image: Grey, dpi: float) -> Prepared:
    """An upright page (turned by the caller) made straight, at a readable resolution, without
    its table rules nor specks: black ink on white, as tesseract reads best."""
    image, dpi = at_resolution(image, dpi)
    angle = skew_angle(image, dpi)
    # A light blur first: a scanner's grain and a photocopy's jagged edges are smoothed
    # before the threshold decides what is ink.
    straight = grey(cv2.GaussianBlur(straighten(image, angle), (3, 3), 0))
    ink = despeckle(binary(straight), dpi)
    ink, walls, rules = remove_rules(ink, dpi, faint(straight, dpi))
    return Prepared(grey(cv2.bitwise_not(ink)), dpi, angle, walls, rules, straight)


def view(prepared: Prepared, dpi: float = VIEW_DPI, quality: int = 70) -> bytes:
    """The straightened page as a small JPEG, for a person to check the rows read against."""
    scale = min(1.0, dpi / prepared.dpi)
    small = cv2.resize(prepared.straight, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    done, encoded = cv2.imencode(".jpg", small, [cv2.IMWRITE_JPEG_QUALITY, quality])
    return encoded.tobytes() if done else b""


def blank(prepared: Prepared) -> bool:
    """A page with (almost) no ink left: nothing to read."""
    return int(np.count_nonzero(prepared.image < 128)) < 50
