"""Page images made ready for tesseract: skew measured, rules (drawn or dotted) removed."""

from __future__ import annotations

import cv2
import numpy as np

from daemon.ingest.reports.ocr.engine import Token
from daemon.ingest.reports.ocr.image import (
    binary,
    blank,
    on_baseline,
    prepare,
    shaded,
    skew_angle,
)

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


def test_a_words_box_is_brought_up_to_its_baseline() -> None:
    """Tesseract's box of `pour` ends at the descender of its `p`; the box of `résidence`
    took in the accent of the `É` below it. Both end on their baseline after."""
    page = np.full((200, 400), 255, dtype=np.uint8)
    cv2.rectangle(page, (10, 50), (110, 80), 0, -1)  # the letters, down to the baseline
    cv2.rectangle(page, (12, 81), (18, 95), 0, -1)  # a descender
    cv2.rectangle(page, (200, 50), (300, 80), 0, -1)
    cv2.rectangle(page, (205, 88), (215, 92), 0, -1)  # an accent of the line below
    tokens = [
        Token("pour", 10, 48, 111, 96, 90.0, (1, 1, 1)),
        Token("résidence", 200, 48, 301, 93, 90.0, (1, 1, 1)),
        Token("vide", 350, 48, 380, 80, 90.0, (1, 1, 1)),  # no ink: left as read
    ]
    assert [t.bottom for t in on_baseline(page, tokens)] == [81, 81, 80]


def test_the_ink_kept_is_given_in_grey_and_what_was_taken_out_is_white() -> None:
    """A photocopy is black or white: tesseract gets its letters smoothed (grey edges), and
    not the rule taken out of the ink."""
    page = np.full((200, 400), 255, dtype=np.uint8)
    page[50:80, 50:60] = 0  # a letter's stroke
    page[150:153, 10:390] = 0  # a rule
    ink = np.zeros_like(page)
    ink[50:80, 50:60] = 255  # the ink kept: the stroke only
    out = shaded(page, ink, DPI)
    assert out[65, 55] < 60 and (out[150:153, 10:390] == 255).all()
    edge = out[65, 46:64]
    assert ((edge > 20) & (edge < 235)).any()  # grey between the stroke and the paper
    assert out.dtype == np.uint8 and out.shape == page.shape
