"""What `parse_report` hands out: a compte rendu or an ONDE extraction, as typed records.

Their JSON (`as_json`) is the spec's (`docs/formats/compte-rendu.md`,
`shared/formats/onde-extraction.md`), key for key and in the same order; `from_json` reads it
back (`report_from_json` for a stored result of either kind). A result stored before `source`
existed reads back as `text`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache
from typing import Annotated, Any, Literal

from pydantic import Field, TypeAdapter

from daemon.ingest.records import JsonRecord

ATTRIBUTED = "attribue"  # the INE status of a pupil who has an INE


@dataclass(frozen=True, slots=True)
class AnomalyRow(JsonRecord):
    """A row of the anomaly table: a rejection or a warning about one part of a pupil's record."""

    last_name: str | None
    first_name: str | None
    birth_date: dt.date | None
    field: str | None  # Rubrique, as spelt in the labels (`Lieu de naissance`)
    message: str | None
    severity: str | None  # rejet | avertissement
    category: str  # export | onde | other: who can fix it


@dataclass(frozen=True, slots=True)
class IneRow(JsonRecord):
    """A row of the INE table: a pupil and their INE status."""

    last_name: str | None
    first_name: str | None
    birth_date: dt.date | None
    status: str  # en_attente | litige | erreur | non_traite | bloque | attribue
    ine: str | None  # set when attributed


@dataclass(frozen=True, slots=True)
class Counts(JsonRecord):
    """The summary's counters; None when the CR does not give one."""

    read: int | None = None
    integrated: int | None = None
    rejected: int | None = None
    warnings: int | None = None


@dataclass(frozen=True, slots=True)
class IneSection(JsonRecord):
    """`Immatriculation (INE)`: its two counters and its table."""

    attributed: int | None = None
    pending: int | None = None
    pupils: tuple[IneRow, ...] = ()

    @property
    def waiting(self) -> tuple[IneRow, ...]:
        """The pupils listed without an INE."""
        return tuple(p for p in self.pupils if p.status != ATTRIBUTED)


@dataclass(frozen=True, slots=True, kw_only=True)
class CompteRendu(JsonRecord):
    """A compte rendu d'import (CR) as read; `needs_review` when the reader is in doubt."""

    kind: Literal["compte_rendu"] = "compte_rendu"
    uai: str | None = None
    school_name: str | None = None
    archive: str | None = None
    submitted_at: dt.datetime | None = None  # "Déposé le"
    processed_at: dt.datetime | None = None  # "Traité le"
    counts: Counts = Counts()
    anomalies: tuple[AnomalyRow, ...] = ()
    ine: IneSection = IneSection()
    unclassified: tuple[str, ...] = ()  # lines kept but not placed
    warnings: tuple[str, ...] = ()  # counters that disagree with the rows, and the like
    source: Literal["text", "ocr"] = "text"  # a text layer or text file; or read by OCR
    needs_review: bool = False
    review_reasons: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ExtractedPupil(JsonRecord):
    """A pupil of an ONDE extraction: identity, level, class and INE, nothing else."""

    last_name: str | None
    first_name: str | None
    birth_date: dt.date | None
    level: str | None
    cycle: str | None
    class_label: str | None
    ine: str | None  # None: no INE yet, or no INE column


@dataclass(frozen=True, slots=True, kw_only=True)
class Extraction(JsonRecord):
    """ONDE's `CSVExtraction.csv`: the school's pupils. `ine_column` is false for an
    extraction "par groupe d'élèves", whose pupils' INE status is unknown."""

    kind: Literal["onde_extraction"] = "onde_extraction"
    ine_column: bool = True
    pupils: tuple[ExtractedPupil, ...] = ()
    unclassified: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    needs_review: bool = False
    review_reasons: tuple[str, ...] = ()


Report = CompteRendu | Extraction


def report_from_json(data: dict[str, Any]) -> Report:
    """A stored result (`Document.result`) back as its record, told by its `kind`; a
    ValidationError (a ValueError) when `data` is not a parse result."""
    return _report_adapter().validate_python(data)


@cache
def _report_adapter() -> TypeAdapter[Report]:
    return TypeAdapter(Annotated[Report, Field(discriminator="kind")])
