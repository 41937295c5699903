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
from dataclasses import dataclass, field, replace

import cv2
import numpy as np

from daemon.ingest.reports.compte_rendu import read_compte_rendu
from daemon.ingest.reports.labels import Labels
from daemon.ingest.reports.ocr import engine, image, raster, second
from daemon.ingest.reports.ocr.correct import mend_result
from daemon.ingest.reports.ocr.engine import Token
from daemon.ingest.reports.ocr.labels_snap import snap_lines
from daemon.ingest.reports.ocr.messages import rejoin_messages
from daemon.ingest.reports.ocr.words import ocr_page
from daemon.ingest.reports.pages import document_lines
from daemon.ingest.reports.records import CompteRendu
from daemon.ingest.reports.refusal import ReportRefused
from daemon.ingest.reports.words import Page

log = logging.getLogger(__name__)

ORIENTATION_DPIS = (150.0, 300.0)  # orientation told on a smaller copy, else the full page
ORIENTATION_SURE = 4.0  # tesseract's confidence that needs no second look
ORIENTATION_TRUST = 1.5  # tesseract's confidence needed to turn a page
TOO_LONG = raster.TOO_LONG
NOTHING_READ = "Image sans texte lisible : pas un compte rendu"


@dataclass
class Reading:
    """What OCR saw on the pages, kept for the log and the benchmark."""

    pages: list[Page] = field(default_factory=list)
    views: list[bytes] = field(default_factory=list)  # each page as a person checks it (JPEG)
    turns: list[int] = field(default_factory=list)
    skews: list[float] = field(default_factory=list)
    confidence: float = 0.0  # mean word confidence, 0-100
    timing: engine.Timing = field(default_factory=engine.Timing)


@dataclass(frozen=True)
class Scan:
    """A compte rendu read by OCR, and its pages as OCR saw them (upright and straight)."""

    report: CompteRendu
    views: tuple[bytes, ...]


def _remaining(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise ReportRefused(TOO_LONG)
    return left


def _turned(page: raster.Page, reading: Reading, deadline: float) -> raster.Grey:
    """The page the right way up. Tesseract tells the orientation on a small copy of the page;
    when it is not sure (small print), on the page at full resolution."""
    best = (0, 0.0)
    for dpi in ORIENTATION_DPIS:
        scale = min(1.0, dpi / page.dpi)
        small = raster.grey(
            cv2.resize(page.image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        )
        found = engine.rotation(small, timeout=_remaining(deadline), timing=reading.timing)
        best = max(best, found, key=lambda turn: turn[1])
        if found[1] >= ORIENTATION_SURE or scale == 1.0:
            break
    turn = best[0] if best[1] >= ORIENTATION_TRUST else 0
    reading.turns.append(turn)
    # Tesseract's `Rotate` is clockwise; numpy's rot90 turns counter-clockwise.
    return np.ascontiguousarray(np.rot90(page.image, -(turn // 90))) if turn else page.image


def _tokens(prepared: image.Prepared, reading: Reading, deadline: float) -> list[Token]:
    """Tesseract's words, and a second look at the ink they left unread."""
    found = engine.words(
        prepared.image, prepared.dpi, timeout=_remaining(deadline), timing=reading.timing
    )
    blobs = second.unread_blobs(prepared.image, found, prepared.dpi)
    found += second.read_blobs(
        prepared.image, blobs, prepared.dpi, timeout=_remaining(deadline), timing=reading.timing
    )
    scores = [t.confidence for t in found if t.confidence >= 0]
    reading.confidence += sum(scores) / len(scores) if scores else 0.0
    return image.on_baseline(prepared.image, found)


def _read_page(page: raster.Page, reading: Reading, deadline: float) -> Page:
    prepared = image.prepare(_turned(page, reading, deadline), page.dpi)
    reading.skews.append(prepared.skew)
    reading.views.append(image.view(prepared))
    height = prepared.image.shape[0]
    if image.blank(prepared):
        return ocr_page(page.number, [], prepared.dpi, height=height)
    tokens = _tokens(prepared, reading, deadline)
    return ocr_page(
        page.number,
        tokens,
        prepared.dpi,
        height=height,
        rules=prepared.rules,
        walls=prepared.walls,
    )


def read_pages(
    pages: list[raster.Page], budget: float, timing: engine.Timing | None = None
) -> Reading:
    """The words and rules of every page, printers' headers and footers still in."""
    deadline = time.monotonic() + budget
    reading = Reading(timing=timing or engine.Timing())
    try:
        for page in pages:
            reading.pages.append(_read_page(page, reading, deadline))
    except RuntimeError as exc:  # pytesseract's timeout
        raise ReportRefused(TOO_LONG) from exc
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
) -> Scan:
    """The compte rendu on a scan or a photo (`source`: `ocr`), and its pages' images."""
    why_not = engine.missing(pdf=not photo)
    if why_not is not None:
        raise ReportRefused(why_not)
    started = time.monotonic()
    pages = scan_pages(data, photo=photo, max_pages=max_pages, budget=budget)
    reading = read_pages(pages, budget - (time.monotonic() - started), timing)
    if not any(page.words for page in reading.pages):
        raise ReportRefused(NOTHING_READ)
    lines = document_lines(reading.pages, labels)
    snap_lines(lines, labels)
    result = read_compte_rendu(lines, labels, "Ce scan", source="ocr")
    result = mend_result(result, labels, [ln.text for ln in lines[:40]])
    result = replace(result, anomalies=rejoin_messages(result.anomalies, labels))
    log.info(
        "ocr pages=%d turns=%s skews=%s confidence=%.0f tesseract_s=%.1f",
        len(pages),
        reading.turns,
        reading.skews,
        reading.confidence,
        reading.timing.seconds,
    )
    return Scan(result, tuple(reading.views))
