"""Page images made ready for tesseract: resolution, skew, and the table rules taken out.

Tesseract loses the words that touch a table's borders (the heading row, short cells), so the
long horizontal and vertical strokes are found by a morphological opening and painted white
before OCR. The skew is measured on the text itself (the angle whose row profile is sharpest).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

from daemon.ingest.reports.ocr.raster import Grey, grey

TARGET_DPI = 300.0  # a page scanned below 250 dpi is enlarged to this (tesseract reads it best)
MAX_SKEW = 6.0  # degrees searched either way
PROFILE_DPI = 75.0  # resolution at which the skew is measured
VIEW_DPI = 110.0  # resolution of the page images shown beside the rows read


@dataclass
class Prepared:
    image: Grey  # upright, straight, without rules
    dpi: float
    skew: float  # degrees the page was turned back by
    walls: Grey  # the vertical rules found (255), which no cell crosses
    rules: list[tuple[int, int, int]]  # the horizontal rules found: left, right, y (pixels)
    straight: Grey  # the page upright and straight, as scanned: what a person checks it on

    def walled(self, left: int, right: int, top: int, bottom: int) -> bool:
        """Whether a vertical rule stands between two words of a line (pixel box)."""
        return bool(self.walls[max(top, 0) : max(bottom, 0), max(left, 0) : max(right, 0)].any())


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


def rule_masks(ink: Grey, dpi: float) -> tuple[Grey, Grey]:
    """The pixels of table rules, horizontal and vertical: strokes at least half an inch long
    across, a quarter inch down (longer than any letter), found after closing the small gaps a
    photocopy leaves in them, and thickened by a pixel for their blur."""
    across = max(20, int(dpi * 0.5))
    down = max(12, int(dpi * 0.25))
    gap = max(3, int(dpi / 60))

    reach = max(5, int(dpi / 4))  # a rule's broken ends, this far along it, go with it

    def strokes(length: tuple[int, int], bridge: tuple[int, int], grow: tuple[int, int]) -> Grey:
        closed = cv2.morphologyEx(
            ink, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, bridge)
        )
        found = cv2.morphologyEx(
            closed, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, length)
        )
        return grey(cv2.dilate(found, cv2.getStructuringElement(cv2.MORPH_RECT, grow)))

    return (
        strokes((across, 1), (gap, 1), (reach, 5)),
        strokes((1, down), (1, gap), (5, reach)),
    )


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


def horizontal_rules(mask: Grey, dpi: float) -> list[tuple[int, int, int]]:
    """The horizontal rules of a rule mask as (left, right, y) in pixels: each stroke at
    least an inch long, at the height of its middle, without the ends the mask grew by."""
    count, _labels, stats, centres = cv2.connectedComponentsWithStats(mask, connectivity=8)
    reach = max(5, int(dpi / 4)) // 2
    width = mask.shape[1]
    found: list[tuple[int, int, int]] = []
    for i in range(1, count):
        left, right = int(stats[i, cv2.CC_STAT_LEFT]), int(stats[i, cv2.CC_STAT_LEFT])
        right += int(stats[i, cv2.CC_STAT_WIDTH])
        left, right = left + (reach if left > 0 else 0), right - (reach if right < width else 0)
        if right - left >= dpi:
            found.append((left, right, round(float(centres[i][1]))))
    return found


def remove_rules(
    ink: Grey, dpi: float, light: Grey | None = None
) -> tuple[Grey, Grey, list[tuple[int, int, int]]]:
    """The ink without its rules (drawn, or dotted by a photocopy), the vertical rules and the
    horizontal ones. Rules are looked for in `light` (the ink with its faint parts) when
    given: a pale rule is only partly ink."""
    horizontal, vertical = rule_masks(
        ink if light is None else grey(cv2.bitwise_or(ink, light)), dpi
    )
    mask = cv2.bitwise_or(horizontal, vertical)
    cleaned = ink.copy()
    cleaned[mask > 0] = 0
    dots = dotted_rules(cleaned, dpi)
    cleaned[dots > 0] = 0
    return despeckle(cleaned, dpi), vertical, horizontal_rules(horizontal, dpi)


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
