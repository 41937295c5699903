"""A school's headcount as each piece of evidence gives it — the last accepted archive's tableau
d'effectif and test de cohérence, the last compte rendu's pupils read, the last extraction's
pupils — side by side, so that a difference shows."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from pydantic import ValidationError

from daemon.ingest.exports.records import Finding, HeadcountTable
from daemon.school.tracking import DocumentCounts
from db.models import Document, ExportSubmission


@dataclass(frozen=True)
class Source:
    """One piece of evidence's headcount: its label, its date and its count (None: unknown)."""

    label: str
    at: dt.datetime | None
    total: int | None


@dataclass(frozen=True)
class Headcounts:
    archive: HeadcountTable | None  # the last accepted archive's tableau d'effectif
    findings: tuple[Finding, ...]  # its test de cohérence
    sources: tuple[Source, Source, Source]  # archive, last CR, last extraction

    @property
    def differs(self) -> bool:
        """The known counts disagree."""
        return len({s.total for s in self.sources if s.total is not None}) > 1


def headcounts(
    submissions: Sequence[ExportSubmission], documents: Sequence[Document]
) -> Headcounts:
    """From a school's archives and documents (newest first, as `db.school_file` gives them)."""
    archive = next((s for s in submissions if s.accepted and s.duplicate_of_id is None), None)
    table: HeadcountTable | None = None
    findings: tuple[Finding, ...] = ()
    if archive is not None:
        try:
            table = HeadcountTable.from_json(archive.headcount) if archive.headcount else None
            findings = tuple(Finding.from_json(f) for f in archive.findings or ())
        except ValidationError:  # a row stored in an older shape: shown without its detail
            table, findings = None, ()
    report = _latest(documents, "compte_rendu")
    extraction = _latest(documents, "onde_extraction")
    return Headcounts(
        table,
        findings,
        (
            Source("archive d'export", archive.received_at if archive else None, _total(table)),
            Source("dernier compte rendu", _at(report), _counted(report, "read")),
            Source("dernière extraction ONDE", _at(extraction), _counted(extraction, "pupils")),
        ),
    )


def _latest(documents: Sequence[Document], kind: str) -> Document | None:
    found = [d for d in documents if d.kind == kind and d.duplicate_of_id is None]
    return max(found, key=lambda d: (d.processed_at or d.received_at, d.id or 0), default=None)


def _at(document: Document | None) -> dt.datetime | None:
    return (document.processed_at or document.received_at) if document else None


def _counted(document: Document | None, name: str) -> int | None:
    if document is None:
        return None
    value = getattr(DocumentCounts.from_json(document.counts or {}), name)
    return value if isinstance(value, int) else None


def _total(table: HeadcountTable | None) -> int | None:
    return table.total if table else None
