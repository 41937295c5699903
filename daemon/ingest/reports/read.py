"""`parse_report`: a compte rendu (PDF, text or saved web page) or an ONDE extraction (CSV).

The kind is told by the content, not the file name.

The one entry point callers use (intake, command line, upload page). Pure: no database, no
clock. It returns a record (`records.CompteRendu` or `records.Extraction`) whose `as_json` is
the spec's JSON object, with these additions:
- each anomaly has a `category`: `export` (to fix in the school software / Ange), `onde` (only
  ONDE or the académie can solve it) or `other`, from the labels' category rules;
- an extraction has `ine_column` (false for an extraction "par groupe d'élèves": INE unknown);
- `needs_review` (true when the reader is in doubt: a result read by OCR, lines left
  `unclassified`, `warnings`) and `review_reasons`.
Anything it cannot read raises `ReportRefused` with one clear line; it raises nothing else.
"""

from __future__ import annotations

import logging
from dataclasses import replace
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
from daemon.ingest.reports.pdf import MAX_PAGE_CONTENT, pdf_lines
from daemon.ingest.reports.records import CompteRendu, Report
from daemon.ingest.reports.refusal import ReportRefused
from daemon.wording import plural

log = logging.getLogger(__name__)

EMPTY = "Fichier vide"
UNREADABLE = "Lecture impossible : erreur du lecteur (détail dans le journal)"
UNKNOWN = "Type de fichier inconnu : ni PDF, ni texte, ni CSV"
_BINARY = {
    b"PK\x03\x04": "Archive ZIP (un export ?), pas un compte rendu",
    b"\x89PNG": "Image PNG (scan ?) : aucune couche texte",
    b"\xff\xd8\xff": "Image JPEG (scan ?) : aucune couche texte",
    b"II*\x00": "Image TIFF (scan ?) : aucune couche texte",
    b"MM\x00*": "Image TIFF (scan ?) : aucune couche texte",
    b"\xd0\xcf\x11\xe0": "Document Office ancien format, pas un compte rendu",
}

__all__ = ["Report", "ReportRefused", "parse_report"]
R = TypeVar("R", bound=Report)


def parse_report(
    data: bytes,
    filename: str,
    *,
    labels: Labels | None = None,
    max_pages: int = 200,
    max_page_content: int = MAX_PAGE_CONTENT,
) -> Report:
    """The report in `data` (its `filename` only helps the messages), read.
    `max_page_content`: bytes of decompressed content a PDF page may have (else refused)."""
    try:
        result = _parse(data, filename, labels or default_labels(), max_pages, max_page_content)
    except (ReportRefused, MemoryError):  # out of memory: the caller's budget says so
        raise
    except RecursionError as exc:
        raise ReportRefused("Fichier trop imbriqué pour être lu") from exc
    except Exception as exc:  # a bug must not crash the intake loop: refuse, and log it
        log.exception("report parser failed on %s", filename)
        raise ReportRefused(UNREADABLE) from exc
    return with_review(result)


def _parse(
    data: bytes, filename: str, labels: Labels, max_pages: int, max_page_content: int
) -> Report:
    if not data.strip():
        raise ReportRefused(EMPTY)
    head = data[:1024]
    if b"%PDF-" in head:
        lines, sideways = pdf_lines(data, labels, max_pages, max_page_content)
        result = read_compte_rendu(lines, labels, "Ce PDF")
        return replace(result, unclassified=(*result.unclassified, *sideways))
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
    if result.unclassified:
        count = len(result.unclassified)
        reasons.append(plural(count, "ligne non classée", "lignes non classées"))
    reasons.extend(result.warnings)
    ocr = isinstance(result, CompteRendu) and result.source == "ocr"
    in_doubt = result.needs_review or ocr
    return replace(result, needs_review=in_doubt or bool(reasons), review_reasons=tuple(reasons))
