"""`parse_report`: a compte rendu (PDF, text, saved web page, or a scan or photo read by OCR)
or an ONDE extraction (CSV).

The kind is told by the content, not the file name.

The one entry point callers use (intake, command line, upload page); `read_report` also gives
the page images of a scan. Pure: no database, no clock. It returns a record
(`records.CompteRendu` or `records.Extraction`) whose `as_json` is the spec's JSON object,
with these additions:
- each anomaly has a `category`: `export` (to fix in the school software / Ange), `onde` (only
  ONDE or the académie can solve it) or `other`, from the labels' category rules;
- an extraction has `ine_column` (false for an extraction "par groupe d'élèves": INE unknown);
- `needs_review` (true when the reader is in doubt: a result read by OCR, lines left
  `unclassified`, `warnings`) and `review_reasons`.
Anything it cannot read raises `ReportRefused` with one clear line; it raises nothing else.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from typing import TypeVar

from daemon.ingest.reports.compte_rendu import read_compte_rendu
from daemon.ingest.reports.extraction import (
    NOT_EXTRACTION,
    decode,
    looks_like_extraction,
    read_extraction,
)
from daemon.ingest.reports.fixed import fixed_width_lines
from daemon.ingest.reports.html_text import html_to_text, looks_like_html
from daemon.ingest.reports.labels import Labels, default_labels
from daemon.ingest.reports.lines import text_lines
from daemon.ingest.reports.ocr.engine import missing
from daemon.ingest.reports.ocr.scan import read_scan
from daemon.ingest.reports.pdf import MAX_PAGE_CONTENT, NO_TEXT, pdf_lines
from daemon.ingest.reports.records import CompteRendu, Report
from daemon.ingest.reports.refusal import NeedsOcr, ReportRefused
from daemon.wording import plural

log = logging.getLogger(__name__)

EMPTY = "Fichier vide"
UNREADABLE = "Lecture impossible : erreur du lecteur (détail dans le journal)"
UNKNOWN = "Type de fichier inconnu : ni PDF, ni texte, ni CSV"
_BINARY = {
    b"PK\x03\x04": "Archive ZIP (un export ?), pas un compte rendu",
    b"\xd0\xcf\x11\xe0": "Document Office ancien format, pas un compte rendu",
}
IMAGES = (b"\x89PNG", b"\xff\xd8\xff", b"II*\x00", b"MM\x00*")  # a photo or a scan: OCR
OCR_REVIEW = "lu par OCR — à vérifier"

__all__ = ["Read", "Report", "ReportRefused", "parse_report", "read_report"]
R = TypeVar("R", bound=Report)


@dataclass(frozen=True)
class Read:
    """A report read, and the images of its pages when OCR read it (JPEG, upright and
    straight: what a person checks the rows read against)."""

    report: Report
    views: tuple[bytes, ...] = ()


def parse_report(
    data: bytes,
    filename: str,
    *,
    labels: Labels | None = None,
    max_pages: int = 200,
    max_page_content: int = MAX_PAGE_CONTENT,
    ocr_budget: float = 120.0,
) -> Report:
    """The report in `data` (its `filename` only helps the messages), read.
    `max_page_content`: bytes of decompressed content a PDF page may have (else refused). A
    scan or a photo is read by OCR within `ocr_budget` seconds: call this from a worker
    process, never from a web request or the event loop."""
    return read_report(
        data,
        filename,
        labels=labels,
        max_pages=max_pages,
        max_page_content=max_page_content,
        ocr_budget=ocr_budget,
    ).report


def read_report(
    data: bytes,
    filename: str,
    *,
    labels: Labels | None = None,
    max_pages: int = 200,
    max_page_content: int = MAX_PAGE_CONTENT,
    ocr_budget: float | None = 120.0,
) -> Read:
    """`parse_report`, with the page images of a scan. With no `ocr_budget`, a scan is not
    read: `NeedsOcr` says it is one (or `ReportRefused` why OCR cannot read it here)."""
    limits = _Limits(max_pages, max_page_content, ocr_budget)
    try:
        read = _parse(data, labels or default_labels(), limits)
    except (ReportRefused, MemoryError):  # out of memory: the caller's budget says so
        raise
    except RecursionError as exc:
        raise ReportRefused("Fichier trop imbriqué pour être lu") from exc
    except Exception as exc:  # a bug must not crash the intake loop: refuse, and log it
        log.exception("report parser failed on %s", filename)
        raise ReportRefused(UNREADABLE) from exc
    return replace(read, report=with_review(read.report))


@dataclass(frozen=True)
class _Limits:
    max_pages: int
    max_page_content: int
    ocr_budget: float | None  # None: a scan is said to need OCR, not read


def _scan(data: bytes, photo: bool, labels: Labels, limits: _Limits) -> Read:
    if limits.ocr_budget is None:
        why_not = missing(pdf=not photo)
        raise NeedsOcr() if why_not is None else ReportRefused(why_not)
    scan = read_scan(
        data, photo=photo, labels=labels, max_pages=limits.max_pages, budget=limits.ocr_budget
    )
    return Read(scan.report, scan.views)


def _parse(data: bytes, labels: Labels, limits: _Limits) -> Read:
    if not data.strip():
        raise ReportRefused(EMPTY)
    head = data[:1024]
    if b"%PDF-" in head:
        try:
            lines, sideways = pdf_lines(data, labels, limits.max_pages, limits.max_page_content)
        except ReportRefused as refused:
            if refused.reason != NO_TEXT:
                raise
            return _scan(data, False, labels, limits)
        result = read_compte_rendu(lines, labels, "Ce PDF")
        return Read(replace(result, unclassified=(*result.unclassified, *sideways)))
    if data.startswith(IMAGES):
        return _scan(data, True, labels, limits)
    return Read(_text_report(data, labels))


def _text_report(data: bytes, labels: Labels) -> Report:
    for magic, reason in _BINARY.items():
        if data.startswith(magic):
            raise ReportRefused(reason)
    text = decode(data)
    if _binary(text):
        raise ReportRefused(UNKNOWN)
    if looks_like_extraction(text, labels):
        return read_extraction(data, labels)
    if looks_like_html(text):
        text = html_to_text(text)
    lines = fixed_width_lines(text, labels) or text_lines(text)
    try:
        return read_compte_rendu(lines, labels, "Ce texte")
    except ReportRefused:
        if _looks_like_csv(text):
            raise ReportRefused(NOT_EXTRACTION) from None
        raise


def _binary(text: str) -> bool:
    sample = text[:4096]
    controls = sum(1 for c in sample if c < " " and c not in "\t\r\n\f")
    return controls > len(sample) // 20


def _looks_like_csv(text: str) -> bool:
    lines = [line for line in text.splitlines()[:5] if line.strip()]
    return bool(lines) and all(line.count(";") >= 2 or line.count(",") >= 2 for line in lines)


def with_review(result: R) -> R:
    """The result with `needs_review` and its reasons: lines left unclassified, warnings, or a
    reader that said it is in doubt (every OCR result)."""
    reasons: list[str] = []
    ocr = isinstance(result, CompteRendu) and result.source == "ocr"
    if ocr:
        reasons.append(OCR_REVIEW)
    if result.unclassified:
        count = len(result.unclassified)
        reasons.append(plural(count, "ligne non classée", "lignes non classées"))
    reasons.extend(result.warnings)
    in_doubt = result.needs_review or ocr
    return replace(result, needs_review=in_doubt or bool(reasons), review_reasons=tuple(reasons))
