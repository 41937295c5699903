"""Page images made ready for tesseract: resolution, skew, and the table rules taken out.

Tesseract loses the words that touch a table's borders (the heading row, short cells), so the
long horizontal and vertical strokes are found by a morphological opening and painted white
before OCR. The skew is measured on the text itself (the angle whose row profile is sharpest).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import cv2
import numpy as np

from daemon.ingest.reports.ocr.engine import Token
from daemon.ingest.reports.ocr.grid import Grid
from daemon.ingest.reports.ocr.raster import Grey, grey
from daemon.ingest.reports.ocr.rules import despeckle, remove_rules

TARGET_DPI = 300.0  # a page scanned below 250 dpi is enlarged to this (tesseract reads it best)
MAX_SKEW = 6.0  # degrees searched either way
PROFILE_DPI = 75.0  # resolution at which the skew is measured
VIEW_DPI = 110.0  # resolution of the page images shown beside the rows read
BASELINE_INK = 0.35  # share of a word's fullest row of ink its baseline row holds at least


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


def prepare(image: Grey, dpi: float) -> Prepared:
    """An upright page (turned by the caller) made straight, at a readable resolution, without
    its table rules nor specks: dark ink on white, as tesseract reads best."""
    image, dpi = at_resolution(image, dpi)
    angle = skew_angle(image, dpi)
    turned = straighten(image, angle)
    # A light blur first: a scanner's grain and a photocopy's jagged edges are smoothed
    # before the threshold decides what is ink.
    straight = grey(cv2.GaussianBlur(turned, (3, 3), 0))
    ink = despeckle(binary(straight), dpi)
    ink, walls, rules = remove_rules(ink, dpi, faint(straight, dpi))
    return Prepared(shaded(turned, ink, dpi), dpi, angle, walls, rules, straight)


def shaded(page: Grey, ink: Grey, dpi: float) -> Grey:
    """The ink kept (rules and specks taken out) in the grey of the page smoothed, on white.
    Tesseract's recogniser reads the grey of the strokes: a photocopy's broken, jagged
    letters (black or white, nothing between) read far better smoothed than as they are."""
    reach = max(3, round(dpi / 60)) | 1
    kept = cv2.dilate(ink, np.ones((reach, reach), np.uint8))
    smooth = cv2.GaussianBlur(page, (5, 5), 0)
    return grey(np.where(kept > 0, smooth, 255))


def view(prepared: Prepared, dpi: float = VIEW_DPI, quality: int = 70) -> bytes:
    """The straightened page as a small JPEG, for a person to check the rows read against."""
    scale = min(1.0, dpi / prepared.dpi)
    small = cv2.resize(prepared.straight, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    done, encoded = cv2.imencode(".jpg", small, [cv2.IMWRITE_JPEG_QUALITY, quality])
    return encoded.tobytes() if done else b""


def on_baseline(image: Grey, tokens: list[Token]) -> list[Token]:
    """The tokens with their boxes ending on their baseline: the lowest row of the box that
    holds a good share of its ink. Tesseract's box goes down to a descender (`p`, a comma)
    or to an accent of the line below it, and the lines' distances tell where rows end."""
    found = []
    for token in tokens:
        crop = image[token.top : token.bottom, token.left : token.right]
        rows = np.count_nonzero(crop < 128, axis=1)
        strong = np.flatnonzero(rows >= BASELINE_INK * rows.max()) if rows.size else rows
        if strong.size and rows.max() > 0:
            token = replace(token, bottom=token.top + int(strong[-1]) + 1)
        found.append(token)
    return found


def blank(prepared: Prepared) -> bool:
    """A page with (almost) no ink left: nothing to read."""
    return int(np.count_nonzero(prepared.image < 128)) < 50
