"""One table row of a compte rendu → an anomaly or an INE status, by column or by content.

When the columns are known (a PDF with positions) each cell is read under its heading. When they
are not (text copied from a screen, cells merged by the extractor) the row is read by its shape:
names, then the birth date, then the rubrique, the message and the severity (or the INE status).
"""

from __future__ import annotations

import re
from typing import Any

from daemon.codes import is_valid_ine, normalise_ine
from daemon.ingest.reports.labels import Labels
from daemon.ingest.reports.text import clean, is_date_start, iso_date, key, starts_with_label

Row = dict[str, Any]


def severity_of(text: str, labels: Labels) -> str | None:
    """`rejet` / `avertissement`, also for a word cut by a narrow column (`Avertisseme nt`)."""
    if not text.strip():
        return None
    text_key = key(text)
    return labels.find("severities", text_key) or labels.find(
        "severities", text_key.replace(" ", "")
    )


def ine_status_of(text: str, labels: Labels) -> tuple[str, str | None] | None:
    """(status, INE) for a status cell: a known status, or an attributed INE."""
    compact = normalise_ine(text)
    if compact and is_valid_ine(compact):
        return "attribue", compact
    words = text.split()
    if len(words) > 1 and is_valid_ine(words[-1].upper()):
        return "attribue", words[-1].upper()
    status = labels.find("ine_statuses", key(text)) if text.strip() else None
    return (status, None) if status else None


def closes_row(text: str, kind: str, labels: Labels) -> bool:
    """True for the last cell of a row: a severity, or an INE status (maybe the whole row)."""
    words = text.split()
    for size in (1, 2, 3):
        tail = " ".join(words[-size:])
        found = severity_of(tail, labels) if kind == "anomalies" else ine_status_of(tail, labels)
        if found and (size == len(words) or _has_date(words[:-size])):
            return True
    return False


def _has_date(words: list[str]) -> bool:
    return any(is_date_start(w) for w in words)


def split_names(parts: list[str]) -> tuple[str, str]:
    """Last name then first name: two cells, or capitals first in one cell (`DE LA RUE Léa`)."""
    if len(parts) >= 2:
        return clean(parts[0]), clean(" ".join(parts[1:]))
    words = clean(parts[0]).split() if parts else []
    upper = 0
    while upper < len(words) and words[upper] == words[upper].upper():
        upper += 1
    upper = min(max(upper, 1), max(len(words) - 1, 1))
    return " ".join(words[:upper]), " ".join(words[upper:])


def _date_split(parts: list[str]) -> tuple[list[str], str, list[str]] | None:
    """Cells before the birth date, the date, cells after; by cell, then by word."""
    for i, part in enumerate(parts):
        if iso_date(part) or (
            is_date_start(part) and iso_date(part + "".join(parts[i + 1 : i + 2]))
        ):
            if iso_date(part):
                return parts[:i], part, parts[i + 1 :]
            return parts[:i], part + parts[i + 1], parts[i + 2 :]
    words = " ".join(parts).split()
    for i, word in enumerate(words):
        for span in (1, 2, 3):
            candidate = "".join(words[i : i + span])
            if is_date_start(word) and iso_date(candidate):
                return [" ".join(words[:i])] if i else [], candidate, [" ".join(words[i + span :])]
    return None


def _tail_value(after: list[str], find: Any) -> tuple[list[str], str | None, Any]:
    """Split the last words that `find` recognises (severity, status) off the cells after."""
    if not after:
        return after, None, None
    words = after[-1].split()
    for size in (3, 2, 1):
        if len(words) >= size:
            value = find(" ".join(words[-size:]))
            if value:
                rest = " ".join(words[:-size])
                return [*after[:-1], rest] if rest else after[:-1], " ".join(words[-size:]), value
    return after, None, None


def _rubrique(text: str, labels: Labels) -> tuple[str | None, str]:
    """The known rubrique the text begins with, and the rest; (None, text) when none."""
    text_key = key(text)
    best: tuple[str, int] | None = None
    for rubrique_key, spelling in labels.rubriques.items():
        longer = best is None or len(rubrique_key) > best[1]
        if longer and starts_with_label(text_key, rubrique_key):
            best = (spelling, len(rubrique_key))
    if best is None:
        return None, text
    words = len(best[0].split())
    return best[0], " ".join(clean(text).split()[words:])


def field_name(text: str, labels: Labels) -> str | None:
    """A rubrique as spelt in results (`Identite` → `Identité`); unknown ones as read."""
    text = clean(text)
    if not text:
        return None
    text_key = key(text)
    compact = text_key.replace(" ", "")
    known = labels.rubriques.get(text_key) or next(
        (v for k, v in labels.rubriques.items() if k.replace(" ", "") == compact), None
    )
    return known or text


def anomaly_from_parts(parts: list[str], labels: Labels) -> Row | None:
    parts = [clean(p) for p in parts if clean(p)]
    split = _date_split(parts)
    if split is None:
        return None
    before, date, after = split
    after, _raw, severity = _tail_value(after, lambda t: severity_of(t, labels))
    if len(after) >= 2:
        field, message = field_name(after[0], labels), " ".join(after[1:])
    else:
        field, message = _rubrique(after[0] if after else "", labels)
    last, first = split_names(before)
    return _anomaly(last, first, date, field, message, severity, labels)


def anomaly_from_columns(cells: dict[str, str], labels: Labels) -> Row | None:
    """None when the cells do not read as a row (no date, a severity not known): read by
    content then. An empty severity cell gives a row without severity (nothing is guessed)."""
    date, severity_text = cells.get("birth_date", ""), cells.get("severity", "")
    severity = severity_of(severity_text, labels)
    if not cells.get("last_name") or (date and not iso_date(date)):
        return None
    if severity is None and (severity_text.strip() or not iso_date(date)):
        return None
    return _anomaly(
        cells.get("last_name", ""),
        cells.get("first_name", ""),
        date,
        field_name(cells.get("field", ""), labels),
        cells.get("message", ""),
        severity,
        labels,
    )


def _anomaly(
    last: str, first: str, date: str, field: str | None, message: str, severity: Any, labels: Labels
) -> Row:
    return {
        "last_name": clean(last) or None,
        "first_name": clean(first) or None,
        "birth_date": iso_date(date),
        "field": field,
        "message": clean(message) or None,
        "severity": severity,
        "category": labels.category(field, message),
    }


def ine_from_parts(parts: list[str], labels: Labels) -> Row | None:
    parts = [clean(p) for p in parts if clean(p)]
    split = _date_split(parts)
    if split is None:
        return None
    before, date, after = split
    rest, _raw, status = _tail_value(after, lambda t: ine_status_of(t, labels))
    if status is None or any(p.strip() for p in rest):
        return None
    last, first = split_names(before)
    return _ine(last, first, date, status)


def ine_from_columns(cells: dict[str, str], labels: Labels) -> Row | None:
    date = cells.get("birth_date", "")
    status = ine_status_of(re.sub(r"\s+", " ", cells.get("ine_status", "")), labels)
    if not cells.get("last_name") or (date and not iso_date(date)) or status is None:
        return None
    return _ine(cells.get("last_name", ""), cells.get("first_name", ""), date, status)


def _ine(last: str, first: str, date: str, status: tuple[str, str | None]) -> Row:
    return {
        "last_name": clean(last) or None,
        "first_name": clean(first) or None,
        "birth_date": iso_date(date),
        "status": status[0],
        "ine": status[1],
    }
