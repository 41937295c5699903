"""Page images made ready for tesseract: skew measured, rules (drawn or dotted) removed."""

from __future__ import annotations

import cv2
import numpy as np

from daemon.ingest.reports.ocr.image import binary, blank, prepare, remove_rules, skew_angle

DPI = 300.0


def page_of_text_lines() -> np.ndarray:
    """A white page with rows of word-like blocks, as a compte rendu's lines look."""
    page = np.full((1200, 1000), 255, dtype=np.uint8)
    for row in range(20):
        y = 100 + row * 50
        for x in range(100, 850, 90):
            cv2.rectangle(page, (x, y), (x + 60, y + 22), 0, -1)
    return page


def turned(page: np.ndarray, degrees: float) -> np.ndarray:
    height, width = page.shape
    matrix = cv2.getRotationMatrix2D((width / 2, height / 2), degrees, 1.0)
    return cv2.warpAffine(page, matrix, (width, height), borderValue=255)


def test_the_skew_of_a_crooked_page_is_measured() -> None:
    assert abs(skew_angle(turned(page_of_text_lines(), 1.0), DPI) + 1.0) <= 0.1
    assert abs(skew_angle(turned(page_of_text_lines(), -2.5), DPI) - 2.5) <= 0.1
    assert abs(skew_angle(page_of_text_lines(), DPI)) <= 0.1


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


def test_a_blank_page_with_scanner_noise_has_no_ink() -> None:
    rng = np.random.default_rng(3)
    noise = np.clip(250 + rng.normal(0, 6, (800, 600)), 0, 255).astype(np.uint8)
    assert not binary(noise).any()
    assert blank(prepare(noise, DPI))
    assert not blank(prepare(page_of_text_lines(), DPI))


def test_a_page_scanned_below_250_dpi_is_enlarged_to_300() -> None:
    small = cv2.resize(page_of_text_lines(), None, fx=0.5, fy=0.5)
    prepared = prepare(small, 150.0)
    assert prepared.dpi == 300.0 and prepared.image.shape == (1200, 1000)
