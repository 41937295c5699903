"""A second look at the ink tesseract's first pass left unread.

In sparse mode (`--psm 11`, the mode that keeps table cells apart) tesseract drops a lone short
word — the `3` of `Élèves rejetés 3`. Ink that no word box covers is gathered into word-sized
blobs, the blobs are stacked one per line on a small image, and that image is read once
(`--psm 6`); each word read there goes back to its blob's place on the page.
"""

from __future__ import annotations

import cv2
import numpy as np

from daemon.ingest.reports.ocr import engine
from daemon.ingest.reports.ocr.engine import Token
from daemon.ingest.reports.ocr.raster import Grey

PAD = 24  # pixels of white around each blob on the stacked image
MIN_CONFIDENCE = 60.0  # a blob read with less is a mark, not a word
Box = tuple[int, int, int, int]  # left, top, right, bottom


def unread_blobs(image: Grey, words: list[Token], dpi: float) -> list[Box]:
    """Word-sized blobs of ink that no word covers, at least as tall as a small digit."""
    ink = np.where(image < 128, 255, 0).astype(np.uint8)
    for word in words:
        ink[word.top : word.bottom, word.left : word.right] = 0
    reach = max(3, int(dpi / 40))  # letters of one word are closer than this
    joined = cv2.dilate(ink, cv2.getStructuringElement(cv2.MORPH_RECT, (reach, max(1, reach // 3))))
    count, _labels, stats, _centres = cv2.connectedComponentsWithStats(joined, connectivity=8)
    tallest, lowest = dpi * 0.25, dpi * 0.05  # a line of text, a small digit
    boxes: list[Box] = []
    for i in range(1, count):
        left, top, width, height, _area = (int(v) for v in stats[i])
        if lowest <= height <= tallest and width <= dpi * 2:
            boxes.append((left, top, left + width, top + height))
    return boxes


def _stack(image: Grey, boxes: list[Box]) -> tuple[Grey, list[tuple[int, Box]]]:
    width = max(b[2] - b[0] for b in boxes) + 2 * PAD
    height = sum(b[3] - b[1] + PAD for b in boxes) + PAD
    sheet = np.full((height, width), 255, dtype=np.uint8)
    placed: list[tuple[int, Box]] = []
    y = PAD
    for box in boxes:
        left, top, right, bottom = box
        sheet[y : y + bottom - top, PAD : PAD + right - left] = image[top:bottom, left:right]
        placed.append((y, box))
        y += bottom - top + PAD
    return sheet, placed


def read_blobs(
    image: Grey, boxes: list[Box], dpi: float, *, timeout: float, timing: engine.Timing
) -> list[Token]:
    """The words on the blobs, placed where the blobs are on the page."""
    if not boxes:
        return []
    # In black and white: a lone digit in the grey of a smoothed page reads as a letter
    # (`1` as `l`) too often, and alone it has no word around it to tell.
    sheet, placed = _stack(np.where(image < 128, 0, 255).astype(np.uint8), boxes)
    found = engine.words(sheet, dpi, timeout=timeout, timing=timing, mode=6)
    words: list[Token] = []
    for word in found:
        if word.confidence < MIN_CONFIDENCE or not any(c.isalnum() for c in word.text):
            continue
        middle = (word.top + word.bottom) / 2
        for y, (left, top, _right, bottom) in placed:
            if y - PAD / 2 <= middle <= y + (bottom - top) + PAD / 2:
                dx, dy = left - PAD, top - y
                words.append(
                    Token(
                        word.text,
                        word.left + dx,
                        word.top + dy,
                        word.right + dx,
                        word.bottom + dy,
                        word.confidence,
                        (-1, y, 0),
                    )
                )
                break
    return words
