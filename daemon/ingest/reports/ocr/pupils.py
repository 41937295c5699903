"""Names read by OCR checked against the pupils the school already sent (its accepted archive,
its last extraction).

A name one or two characters away from exactly one known pupil born the same day is that pupil:
it is corrected to the known spelling. OCR misreads a date's digits as it does a name's letters:
when nobody born that day is close, a pupil whose name is as close and whose birth date the
date read may be (a digit or two read as look-alikes, or a date not read at all: the name
then exactly) is that pupil, when exactly one is. A name that matches nobody (or several) is
kept as read and flagged, so the coordinator checks it. `NameChecks` says, row by row, how
each name was checked: `exact`, `corrected`, `unknown`, or `unchecked` when no pupil of the
school is known.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Literal, TypeVar

from rapidfuzz.distance import Levenshtein

from daemon.ingest.records import JsonRecord
from daemon.ingest.reports.ocr.dates import misread
from daemon.ingest.reports.records import AnomalyRow, CompteRendu, IneRow

MAX_EDITS = 2
Check = Literal["exact", "corrected", "unknown", "unchecked"]
MATCHED: tuple[Check, ...] = ("exact", "corrected")
Row = TypeVar("Row", AnomalyRow, IneRow)


@dataclass(frozen=True, slots=True)
class KnownPupil:
    last_name: str
    first_name: str
    birth_date: dt.date | None


@dataclass(frozen=True, slots=True)
class NameChecks(JsonRecord):
    """How the name of each row was checked, in the order of the rows."""

    anomalies: tuple[Check, ...] = ()
    ine: tuple[Check, ...] = ()

    @property
    def unknown(self) -> int:
        """Rows whose name matched no known pupil (or several)."""
        return sum(1 for c in (*self.anomalies, *self.ine) if c == "unknown")

    @property
    def all_known(self) -> bool:
        """Every name read is a known pupil's (rows without a name are not)."""
        return all(c in MATCHED for c in (*self.anomalies, *self.ine))


def unchecked(result: CompteRendu) -> NameChecks:
    """No name checked: no pupil of the school is known."""
    none: tuple[Check, ...] = ("unchecked",)
    return NameChecks(none * len(result.anomalies), none * len(result.ine.pupils))


def _spelling(last: str | None, first: str | None) -> str:
    return " ".join(f"{last or ''} {first or ''}".split()).casefold()


def _check(row: Row, known: Sequence[KnownPupil]) -> tuple[Row, Check]:
    read = _spelling(row.last_name, row.first_name)
    same_day = [p for p in known if p.birth_date == row.birth_date]
    distances = [
        (Levenshtein.distance(read, _spelling(p.last_name, p.first_name)), p) for p in same_day
    ]
    if any(distance == 0 for distance, _p in distances):
        return row, "exact"
    close = [p for distance, p in distances if distance <= MAX_EDITS]
    if not read:
        return row, "unknown"
    if not close:
        close = _born_misread(row, read, known)
    if len(close) != 1:
        return row, "unknown"
    pupil = close[0]
    return replace(
        row, last_name=pupil.last_name, first_name=pupil.first_name, birth_date=pupil.birth_date
    ), "corrected"


def _born_misread(row: Row, read: str, known: Sequence[KnownPupil]) -> list[KnownPupil]:
    """The known pupils this row may be when its birth date was misread: the name within
    MAX_EDITS and the date a look-alike reading of theirs; the name exactly when no date was
    read."""
    found = []
    for pupil in known:
        if pupil.birth_date is None:
            continue
        distance = Levenshtein.distance(read, _spelling(pupil.last_name, pupil.first_name))
        if row.birth_date is None:
            if distance == 0:
                found.append(pupil)
        elif distance <= MAX_EDITS and misread(row.birth_date, pupil.birth_date):
            found.append(pupil)
    return found


def _checked(
    rows: Sequence[Row], known: Sequence[KnownPupil]
) -> tuple[tuple[Row, ...], tuple[Check, ...]]:
    found = [_check(row, known) for row in rows]
    return tuple(row for row, _check in found), tuple(check for _row, check in found)


def _unknown_warning(count: int) -> str:
    if count == 1:
        return "1 nom lu par OCR sans élève connu correspondant : à vérifier"
    return f"{count} noms lus par OCR sans élève connu correspondant : à vérifier"


def check_names(result: CompteRendu, known: Sequence[KnownPupil]) -> tuple[CompteRendu, NameChecks]:
    """The result with each row's name checked against the known pupils, and how. Nothing is
    corrected when no pupil is known: every row is `unchecked`."""
    if not known:
        return result, unchecked(result)
    anomalies, anomaly_checks = _checked(result.anomalies, known)
    pupils, pupil_checks = _checked(result.ine.pupils, known)
    checks = NameChecks(anomaly_checks, pupil_checks)
    result = replace(result, anomalies=anomalies, ine=replace(result.ine, pupils=pupils))
    if checks.unknown:
        warning = _unknown_warning(checks.unknown)
        result = replace(
            result,
            warnings=(*result.warnings, warning),
            review_reasons=(*result.review_reasons, warning),
            needs_review=True,
        )
    return result, checks
