"""A compte rendu that is an image — a PDF of scanned pages, a JPEG or PNG photo — read by OCR.

Each page is turned the right way up (tesseract's orientation detection), straightened, cleared
of its table rules, then read by tesseract; its words with their boxes become the positioned
lines the text PDFs give, and the same reader rebuilds the header, counters and tables. What
OCR is known to confuse is then mended against closed lists (messages, labels, UAI check
letter). The result says `"source": "ocr"` and always needs review.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np

from daemon.ingest.reports.compte_rendu import read_compte_rendu
from daemon.ingest.reports.labels import Labels
from daemon.ingest.reports.lines import Line
from daemon.ingest.reports.ocr import engine, image, raster, second
from daemon.ingest.reports.ocr.correct import mend_result
from daemon.ingest.reports.ocr.labels_snap import snap_lines
from daemon.ingest.reports.ocr.words import page_lines
from daemon.ingest.reports.pdf import without_printer_noise
from daemon.ingest.reports.refusal import ReportRefused

log = logging.getLogger(__name__)

ORIENTATION_DPI = 150.0  # orientation is told on a smaller copy of the page
ORIENTATION_TRUST = 1.5  # tesseract's confidence needed to turn a page
TOO_LONG = "Lecture par OCR trop longue : abandonnée / OCR time budget exceeded"
NOTHING_READ = "Image sans texte lisible : pas un compte rendu / no readable text"


@dataclass
class Reading:
    """What OCR saw on the pages, kept for the log and the benchmark."""

    lines: list[Line] = field(default_factory=list)
    turns: list[int] = field(default_factory=list)
    skews: list[float] = field(default_factory=list)
    heights: dict[int, float] = field(default_factory=dict)  # page → height in points
    confidence: float = 0.0  # mean word confidence, 0-100
    timing: engine.Timing = field(default_factory=engine.Timing)


def _remaining(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise ReportRefused(TOO_LONG)
    return left


def _turned(page: raster.Page, reading: Reading, deadline: float) -> raster.Grey:
    scale = min(1.0, ORIENTATION_DPI / page.dpi)
    small = raster.grey(
        cv2.resize(page.image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    )
    turn, confidence = engine.rotation(small, timeout=_remaining(deadline), timing=reading.timing)
    if confidence < ORIENTATION_TRUST:
        turn = 0
    reading.turns.append(turn)
    # Tesseract's `Rotate` is clockwise; numpy's rot90 turns counter-clockwise.
    return np.ascontiguousarray(np.rot90(page.image, -(turn // 90))) if turn else page.image


def _read_page(page: raster.Page, reading: Reading, deadline: float) -> list[Line]:
    prepared = image.prepare(_turned(page, reading, deadline), page.dpi)
    reading.skews.append(prepared.skew)
    reading.heights[page.number] = prepared.image.shape[0] * 72.0 / prepared.dpi
    if image.blank(prepared):
        return []
    try:
        found = engine.words(
            prepared.image, prepared.dpi, timeout=_remaining(deadline), timing=reading.timing
        )
        blobs = second.unread_blobs(prepared.image, found, prepared.dpi)
        found += second.read_blobs(
            prepared.image,
            blobs,
            prepared.dpi,
            timeout=_remaining(deadline),
            timing=reading.timing,
        )
    except RuntimeError as exc:  # pytesseract's timeout
        raise ReportRefused(TOO_LONG) from exc
    scores = [w.confidence for w in found if w.confidence >= 0]
    reading.confidence += sum(scores) / len(scores) if scores else 0.0
    return page_lines(page.number, found, prepared.dpi, prepared.walled)


def read_pages(
    pages: list[raster.Page], budget: float, timing: engine.Timing | None = None
) -> Reading:
    """The lines of every page, printers' headers and footers still in."""
    deadline = time.monotonic() + budget
    reading = Reading(timing=timing or engine.Timing())
    for page in pages:
        reading.lines.extend(_read_page(page, reading, deadline))
    reading.confidence /= max(len(pages), 1)
    return reading


def scan_pages(data: bytes, *, photo: bool, max_pages: int, budget: float) -> list[raster.Page]:
    if photo:
        return raster.photo_pages(data, max_pages=max_pages)
    return raster.pdf_pages(data, max_pages=max_pages, timeout=budget)


def read_scan(
    data: bytes,
    *,
    photo: bool,
    labels: Labels,
    max_pages: int,
    budget: float,
    timing: engine.Timing | None = None,
) -> dict[str, Any]:
    """The compte rendu on a scan or a photo, as the spec's JSON object (`source`: `ocr`)."""
    why_not = engine.missing(pdf=not photo)
    if why_not is not None:
        raise ReportRefused(why_not)
    started = time.monotonic()
    pages = scan_pages(data, photo=photo, max_pages=max_pages, budget=budget)
    reading = read_pages(pages, budget - (time.monotonic() - started), timing)
    if not reading.lines:
        raise ReportRefused(NOTHING_READ)
    by_page = [
        ([ln for ln in reading.lines if ln.page == p.number], 0.0, reading.heights[p.number])
        for p in pages
    ]
    lines = without_printer_noise(by_page, labels)
    snap_lines(lines, labels)
    result = read_compte_rendu(lines, labels, "Ce scan")
    result["source"] = "ocr"
    mend_result(result, labels, [ln.text for ln in lines[:40]])
    log.info(
        "ocr pages=%d turns=%s skews=%s confidence=%.0f tesseract_s=%.1f",
        len(pages),
        reading.turns,
        reading.skews,
        reading.confidence,
        reading.timing.seconds,
    )
    return result
