"""`parse_report`: a compte rendu (PDF, text or saved web page) or an ONDE extraction (CSV).

The kind is told by the content, not the file name.

The one entry point callers use (intake, command line, upload page). Pure: no database, no
clock. It returns the spec's JSON object, with these additions:
- each anomaly has a `category`: `export` (to fix in the school software / Ange), `onde` (only
  ONDE or the académie can solve it) or `other`, from the labels' category rules;
- an extraction has `ine_column` (false for an extraction "par groupe d'élèves": INE unknown);
- `needs_review` (true when `unclassified` or `warnings` is not empty) and `review_reasons`.
Anything it cannot read raises `ReportRefused` with one clear line; it raises nothing else.
"""

from __future__ import annotations

import logging
from typing import Any

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
from daemon.ingest.reports.pdf import pdf_lines
from daemon.ingest.reports.refusal import ReportRefused

log = logging.getLogger(__name__)

EMPTY = "Fichier vide / empty file"
UNKNOWN = "Type de fichier inconnu : ni PDF, ni texte, ni CSV / unknown file type"
_BINARY = {
    b"PK\x03\x04": "Archive ZIP (un export ?), pas un compte rendu / ZIP archive, not a report",
    b"\x89PNG": "Image PNG (scan ?) : aucune couche texte / image, no text layer",
    b"\xff\xd8\xff": "Image JPEG (scan ?) : aucune couche texte / image, no text layer",
    b"II*\x00": "Image TIFF (scan ?) : aucune couche texte / image, no text layer",
    b"MM\x00*": "Image TIFF (scan ?) : aucune couche texte / image, no text layer",
    b"\xd0\xcf\x11\xe0": "Document Office ancien format, pas un compte rendu / not a report",
}

__all__ = ["ReportRefused", "parse_report"]


def parse_report(
    data: bytes, filename: str, *, labels: Labels | None = None, max_pages: int = 200
) -> dict[str, Any]:
    """The report in `data` (its `filename` only helps the messages) as a JSON-ready dict."""
    try:
        result = _parse(data, filename, labels or default_labels(), max_pages)
    except ReportRefused:
        raise
    except RecursionError as exc:
        raise ReportRefused("Fichier trop imbriqué pour être lu / too deeply nested") from exc
    except Exception as exc:  # a bug must not crash the intake loop: refuse, and log it
        log.exception("report parser failed on %s", filename)
        raise ReportRefused(f"Lecture impossible ({type(exc).__name__}) / unreadable") from exc
    return _with_review(result)


def _parse(data: bytes, filename: str, labels: Labels, max_pages: int) -> dict[str, Any]:
    if not data.strip():
        raise ReportRefused(EMPTY)
    head = data[:1024]
    if b"%PDF-" in head:
        lines, sideways = pdf_lines(data, labels, max_pages)
        result = read_compte_rendu(lines, labels, "Ce PDF")
        result["unclassified"].extend(sideways)
        return result
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


def _with_review(result: dict[str, Any]) -> dict[str, Any]:
    reasons: list[str] = []
    if result["unclassified"]:
        count = len(result["unclassified"])
        reasons.append(f"{count} ligne(s) non classée(s)")
    reasons.extend(result["warnings"])
    result["needs_review"] = bool(reasons)
    result["review_reasons"] = reasons
    return result
