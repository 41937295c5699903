"""Tesseract, through pytesseract: the words of a page image with their boxes, and which way up
the page is. Debian's `tesseract-ocr` and its French data (`tesseract-ocr-fra`) are used as
installed: nothing is downloaded at run time.
"""

from __future__ import annotations

import os
import re
import shutil
import time
from dataclasses import dataclass, field

import numpy as np

from daemon.ingest.reports.ocr.raster import Grey

LANGUAGE = "fra"
NOT_INSTALLED = (
    "Scan ou photo : lecture par OCR impossible, tesseract n'est pas installé "
    "(paquets Debian tesseract-ocr et tesseract-ocr-fra)"
)
NO_RENDERER = (
    "PDF scanné : lecture par OCR impossible, pdftoppm n'est pas installé "
    "(paquet Debian poppler-utils)"
)
# One thread per tesseract run: the machine's cores serve several readers, and a single thread
# spends the least CPU for one page.
_ENV = {"OMP_THREAD_LIMIT": "1"}


@dataclass(frozen=True, slots=True)
class Token:
    """One word read on a page: its text, its box in pixels (y downwards), its confidence."""

    text: str
    left: int
    top: int
    right: int
    bottom: int
    confidence: float
    line: tuple[int, int, int]  # tesseract's block, paragraph and line numbers


@dataclass
class Timing:
    """CPU seconds spent in tesseract (its child processes), to report its share."""

    seconds: float = 0.0
    runs: list[str] = field(default_factory=list)

    def measure(self, what: str, started: os.times_result) -> None:
        now = os.times()
        used = (now.children_user - started.children_user) + (
            now.children_system - started.children_system
        )
        self.seconds += used
        self.runs.append(what)


def missing(*, pdf: bool = True) -> str | None:
    """Why OCR cannot run here (one French line), or None when tesseract and its French data
    are there (and poppler's `pdftoppm`, to render a scanned PDF)."""
    if shutil.which("tesseract") is None:
        return NOT_INSTALLED
    if pdf and shutil.which("pdftoppm") is None:
        return NO_RENDERER
    try:
        import pytesseract

        languages = pytesseract.get_languages(config="")
    except Exception:
        return NOT_INSTALLED
    if LANGUAGE not in languages:
        return NOT_INSTALLED
    return None


def words(
    image: Grey, dpi: float, *, timeout: float, timing: Timing, mode: int = 11
) -> list[Token]:
    """The words tesseract reads on an image, empty results left out. Mode 11 (sparse text)
    reads a page: each word found on its own, so that a table's cells are not run together by
    a line finder; mode 6 reads a block of lines."""
    import pytesseract

    os.environ.update(_ENV)
    started = os.times()
    data = pytesseract.image_to_data(
        image,
        lang=LANGUAGE,
        config=f"--psm {mode} --dpi {round(dpi)}",
        output_type=pytesseract.Output.DICT,
        timeout=max(1, round(timeout)),
    )
    timing.measure("words", started)
    found: list[Token] = []
    for i, text in enumerate(data["text"]):
        text = str(text).strip()
        if not text:
            continue
        left, top = int(data["left"][i]), int(data["top"][i])
        found.append(
            Token(
                text,
                left,
                top,
                left + int(data["width"][i]),
                top + int(data["height"][i]),
                float(data["conf"][i]),
                (int(data["block_num"][i]), int(data["par_num"][i]), int(data["line_num"][i])),
            )
        )
    return found


_ROTATE = re.compile(r"Rotate:\s*(\d+)")
_CONFIDENCE = re.compile(r"Orientation confidence:\s*([\d.]+)")


def rotation(image: Grey, *, timeout: float, timing: Timing) -> tuple[int, float]:
    """Degrees (0, 90, 180, 270, clockwise) to turn the page by to read it, and tesseract's
    confidence; (0, 0.0) when it cannot tell (too little text)."""
    import pytesseract

    os.environ.update(_ENV)
    started = os.times()
    try:
        report = pytesseract.image_to_osd(
            np.ascontiguousarray(image),
            config="--psm 0 -c min_characters_to_try=20",
            timeout=max(1, round(timeout)),
        )
    except pytesseract.TesseractError:
        return 0, 0.0
    finally:
        timing.measure("orientation", started)
    turn, confidence = _ROTATE.search(report), _CONFIDENCE.search(report)
    if turn is None:
        return 0, 0.0
    return int(turn.group(1)) % 360, float(confidence.group(1)) if confidence else 0.0


def deadline(budget: float) -> float:
    return time.monotonic() + budget
