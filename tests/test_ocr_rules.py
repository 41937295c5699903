"""Table rules found on a page image: removed before OCR, handed to the reader as rules."""

from __future__ import annotations

import cv2
import numpy as np

from daemon.ingest.reports.ocr.image import binary
from daemon.ingest.reports.ocr.rules import remove_rules

DPI = 300.0


def test_a_grid_is_removed_and_the_text_in_its_cells_kept() -> None:
    page = np.full((600, 900), 255, dtype=np.uint8)
    text = [(120 + 200 * col, 130 + 100 * row) for col in range(4) for row in range(4)]
    for x, y in text:
        cv2.rectangle(page, (x, y), (x + 80, y + 25), 0, -1)
    for y in range(100, 600, 100):
        cv2.line(page, (100, y), (900, y), 0, 2)
    for x in range(100, 900, 200):
        cv2.line(page, (x, 100), (x, 500), 0, 2)
    cleaned, walls, rules = remove_rules(binary(page), DPI)
    # each rule cut where a vertical rule crosses it: the grid's columns
    assert sorted({y for _left, _right, y in rules}) == [100, 200, 300, 400, 500]
    row = sorted((left, right) for left, right, y in rules if y == 300)
    assert len(row) == 4 and row[-1][1] >= 895
    assert all(
        a < x < b for (_l, a), (b, _r), x in zip(row[:-1], row[1:], (300, 500, 700), strict=True)
    )
    assert all(cleaned[y + 12, x + 40] == 255 for x, y in text)  # the words are there
    assert cleaned[100, 150] == 0 and cleaned[300, 100] == 0  # the rules are not
    assert walls.walled(290, 310, 290, 310) and not walls.walled(140, 160, 290, 310)


def test_a_rule_a_photocopy_broke_into_dashes_is_removed_but_not_a_line_of_text() -> None:
    page = np.full((400, 1200), 255, dtype=np.uint8)
    for x in range(100, 1100, 30):  # a broken rule: dashes 12 px long, 3 px thick
        cv2.rectangle(page, (x, 200), (x + 12, 202), 0, -1)
    for x in range(100, 1100, 90):  # a line of words
        cv2.rectangle(page, (x, 100), (x + 60, 125), 0, -1)
    cleaned, _walls, _rules = remove_rules(binary(page), DPI)
    assert not cleaned[195:210].any()
    assert cleaned[100:126].sum() == binary(page)[100:126].sum()


def test_a_text_printers_dashes_are_a_rule_with_its_runs() -> None:
    """`---------- ----- --------`: each dash a glyph of its own, a space between two runs."""
    page = np.full((300, 1500), 255, dtype=np.uint8)
    x = 100
    for run in (20, 8, 14):
        for _ in range(run):
            cv2.rectangle(page, (x, 150), (x + 12, 152), 0, -1)
            x += 17
        x += 17  # a space
    cleaned, _walls, rules = remove_rules(binary(page), DPI)
    assert not cleaned[145:160].any()
    spans = sorted((left, right) for left, right, _y in rules)
    assert len(spans) == 3 and abs(spans[0][0] - 100) <= 2
    assert [round((b - a) / 17) for a, b in spans] == [20, 8, 14]
