"""ONDE's `CSVExtraction.csv` (pupils of the school) → its record (`records.Extraction`).

`;`-separated (a re-save may quote every field, or use `,` or tabs), cp1252 or UTF-8 (with or
without BOM), header names with stray spaces, birth dates `dd/mm/yyyy` or `yyyy-mm-dd`. Only
identity, level, class and INE are kept: addresses and the other columns are read past and
never returned. An extraction "par groupe d'élèves" has no INE column: the result says so with
`ine_column` false and a warning, and every `ine` is null because it is unknown (not because
the pupil waits for one).
"""

from __future__ import annotations

import csv
import io

from daemon.codes import is_valid_ine, normalise_cycle, normalise_ine, normalise_level
from daemon.ingest.reports.labels import Labels
from daemon.ingest.reports.records import ExtractedPupil, Extraction
from daemon.ingest.reports.refusal import ReportRefused
from daemon.ingest.reports.text import clean, key, parse_date

NOT_EXTRACTION = "CSV qui n'est pas une extraction ONDE (CSVExtraction.csv)"
NO_INE_COLUMN = (
    "Extraction « par groupe d'élèves » sans colonne INE : le statut INE des élèves est inconnu"
)
_REQUIRED = ("last_name", "first_name", "birth_date")
_SOME_OF = ("ine", "level", "cycle", "class_label")


def decode(data: bytes) -> str:
    """UTF-8 (BOM or not), UTF-16 with its BOM, else cp1252, else latin-1 (decodes any byte)."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return data.decode("utf-16", errors="replace")
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def header_columns(header: list[str], labels: Labels) -> dict[str, int] | None:
    """Column name → index when the header is ONDE's extraction header, else None."""
    names = labels["extraction"]
    found: dict[str, int] = {}
    for index, raw in enumerate(header):
        name = labels.find("extraction", key(raw))
        if name and name != "known" and name not in found:
            found[name] = index
    if not all(n in found for n in _REQUIRED) or not any(n in found for n in _SOME_OF):
        return None
    known = sum(1 for raw in header if key(raw) and any(key(raw) in v for v in names.values()))
    return found if known * 2 >= len([h for h in header if h.strip()]) else None


_SEPARATORS = (";", "\t", ",")


def separator(text: str, labels: Labels) -> str | None:
    """The field separator under which the first line is ONDE's extraction header, or None."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    for candidate in _SEPARATORS:
        if candidate in first:
            try:
                header = next(csv.reader([first], delimiter=candidate), [])
            except csv.Error:
                continue
            if header_columns(header, labels) is not None:
                return candidate
    return None


def looks_like_extraction(text: str, labels: Labels) -> bool:
    return separator(text, labels) is not None


def _cell(row: list[str], columns: dict[str, int], name: str) -> str:
    index = columns.get(name)
    return clean(row[index]) if index is not None and index < len(row) else ""


def _pupil(
    row: list[str], columns: dict[str, int], number: int, warnings: list[str]
) -> ExtractedPupil:
    raw_date = _cell(row, columns, "birth_date")
    birth_date = parse_date(raw_date)
    if raw_date and birth_date is None:
        warnings.append(f"ligne {number} : date de naissance illisible « {raw_date} »")
    raw_level, raw_cycle = _cell(row, columns, "level"), _cell(row, columns, "cycle")
    level, cycle = normalise_level(raw_level), normalise_cycle(raw_cycle)
    if raw_level and level is None:
        warnings.append(f"ligne {number} : niveau inconnu « {raw_level} »")
    ine = normalise_ine(_cell(row, columns, "ine")) if "ine" in columns else None
    if ine is not None and not is_valid_ine(ine):
        warnings.append(f"ligne {number} : INE de forme inconnue « {ine} »")
    return ExtractedPupil(
        last_name=_cell(row, columns, "last_name") or None,
        first_name=_cell(row, columns, "first_name") or None,
        birth_date=birth_date,
        level=level or raw_level or None,
        cycle=cycle or raw_cycle or None,
        class_label=_cell(row, columns, "class_label") or None,
        ine=ine,
    )


def read_extraction(data: bytes, labels: Labels) -> Extraction:
    text = decode(data).replace("\x00", "")
    try:
        delimiter = separator(text, labels) or ";"
        read = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        raise ReportRefused(NOT_EXTRACTION) from exc
    rows = [(n, r) for n, r in enumerate(read, start=1) if any(c.strip() for c in r)]
    columns = header_columns(rows[0][1], labels) if rows else None
    if columns is None:
        raise ReportRefused(NOT_EXTRACTION)
    width = len(rows[0][1])
    pupils: list[ExtractedPupil] = []
    unclassified: list[str] = []
    warnings: list[str] = [] if "ine" in columns else [NO_INE_COLUMN]
    for number, row in rows[1:]:
        if len(row) < max(columns.values()) + 1 or len(row) > width + 1:
            # The row's text is not kept: it may hold an address.
            unclassified.append(f"ligne {number} : {len(row)} champs au lieu de {width}")
            continue
        pupil = _pupil(row, columns, number, warnings)
        if not pupil.last_name and not pupil.first_name:
            unclassified.append(f"ligne {number} : élève sans nom ni prénom")
            continue
        pupils.append(pupil)
    return Extraction(
        ine_column="ine" in columns,
        pupils=tuple(pupils),
        unclassified=tuple(unclassified),
        warnings=tuple(warnings),
    )


def kept_columns(data: bytes, labels: Labels) -> bytes | None:
    """What relance keeps of an extraction file: only the columns it reads (identity, level,
    class, INE), as UTF-8 `;`; addresses, responsables and every other column left out, and
    the rows that do not fit the header (one may be an address cut by a stray separator).
    Read again, it gives the same pupils. None when `data` is not an extraction."""
    text = decode(data).replace("\x00", "")
    delimiter = separator(text, labels)
    if delimiter is None:
        return None
    try:
        read = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error:
        read = []
    rows = [r for r in read if any(c.strip() for c in r)]
    columns = header_columns(rows[0], labels) if rows else None
    if columns is None:
        return None
    keep = sorted(columns.values())
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([rows[0][i].strip() for i in keep])
    width = len(rows[0])
    for row in rows[1:]:
        if max(keep) < len(row) <= width + 1:
            writer.writerow([row[i] for i in keep])
    return out.getvalue().encode("utf-8")
