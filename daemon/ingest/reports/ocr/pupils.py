"""Names read by OCR checked against the pupils the school already sent (its accepted archive,
its last extraction).

A name one or two characters away from exactly one known pupil born the same day is that pupil:
it is corrected to the known spelling. A name that matches nobody (or several) is kept as read
and flagged, so the coordinator checks it. Each row says how its name was checked in
`name_check`: `exact`, `corrected` or `unknown`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rapidfuzz.distance import Levenshtein

MAX_EDITS = 2


@dataclass(frozen=True, slots=True)
class KnownPupil:
    last_name: str
    first_name: str
    birth_date: str | None  # ISO date


def _spelling(last: str | None, first: str | None) -> str:
    return " ".join(f"{last or ''} {first or ''}".split()).casefold()


def _check(row: dict[str, Any], known: list[KnownPupil]) -> str:
    read = _spelling(row["last_name"], row["first_name"])
    same_day = [p for p in known if p.birth_date == row["birth_date"]]
    distances = [
        (Levenshtein.distance(read, _spelling(p.last_name, p.first_name)), p) for p in same_day
    ]
    if any(distance == 0 for distance, _p in distances):
        return "exact"
    close = [p for distance, p in distances if distance <= MAX_EDITS]
    if len(close) != 1:
        return "unknown"
    row["last_name"], row["first_name"] = close[0].last_name, close[0].first_name
    return "corrected"


def check_names(result: dict[str, Any], known: list[KnownPupil]) -> int:
    """Check every row's name (in place); the number of names that matched nobody. Nothing is
    checked when no pupil is known."""
    if not known:
        return 0
    unknown = 0
    for rows in (result["anomalies"], result["ine"]["pupils"]):
        for row in rows:
            row["name_check"] = _check(row, known)
            if row["name_check"] == "unknown":
                unknown += 1
    if unknown:
        result["warnings"].append(
            f"{unknown} nom{'s' if unknown > 1 else ''} lu{'s' if unknown > 1 else ''} par OCR "
            f"sans élève connu correspondant : à vérifier"
        )
    return unknown
