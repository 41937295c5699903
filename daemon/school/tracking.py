"""Applying a parsed document to a school's pupils, anomalies and INE statuses.

The input is the reader's record (`daemon.ingest.reports.records`: `CompteRendu`,
`Extraction`). A newer compte rendu (by ONDE's processing date, not by drop order)
supersedes older ones: anomalies absent from it are resolved, those still present keep their
first-seen date. An extraction is the full list of the school's pupils: an empty INE cell is
pending, a filled one is attributed. Events never name a pupil.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import insert
from sqlmodel import Session, col, select

from daemon.codes import is_valid_ine, name_key, normalise_ine, printable
from daemon.ingest.records import JsonRecord
from daemon.ingest.reports.records import AnomalyRow, CompteRendu, Extraction, IneSection, Report
from daemon.school.pupils import NewPupil, PupilBook
from daemon.school.stage import french_date
from daemon.wording import plural
from db.models import Anomaly, Document, Pupil

ATTRIBUTED = "attribue"
PENDING = "en_attente"
UNKNOWN_SEVERITY = "inconnue"  # a row whose Gravité was not read: neither rejet nor avertissement
INE_STATUSES = {ATTRIBUTED, PENDING, "litige", "erreur", "non_traite", "bloque"}


@dataclass
class Changes:
    """What applying a document changed, for the event and the progress count."""

    new_anomalies: int = 0
    still_open: int = 0
    resolved: int = 0
    ine_attributed: int = 0
    ine_pending: int = 0
    new_pupils: int = 0
    notes: list[str] = field(default_factory=list)


def _set_ine(
    pupil: Pupil | NewPupil, status: str, ine: str | None, now: dt.datetime, changes: Changes
) -> None:
    if status == ATTRIBUTED and pupil.ine_status != ATTRIBUTED:
        changes.ine_attributed += 1
    if status != pupil.ine_status:
        pupil.ine_status_since = now
    pupil.ine_status = status
    if ine and is_valid_ine(ine):  # a value of another shape is never stored
        pupil.ine = ine
    if status != ATTRIBUTED:
        changes.ine_pending += 1


def anomaly_key(pupil: Pupil | NewPupil, field_name: str) -> tuple[str, str]:
    """Same pupil, same part of the record: the same anomaly (the wording may change)."""
    return (pupil.match_key, name_key(field_name))


def apply_compte_rendu(
    session: Session,
    *,
    document: Document,
    result: CompteRendu,
    now: dt.datetime,
    apply_ine: bool = True,
) -> Changes:
    """The newest CR of the school: anomalies (and, unless an extraction is newer, INE
    statuses) follow it."""
    assert document.school_id is not None and document.id is not None
    changes = Changes()
    book = PupilBook(session, school_id=document.school_id, campaign_id=document.campaign_id)
    open_rows = session.exec(
        select(Anomaly).where(
            Anomaly.school_id == document.school_id,
            Anomaly.campaign_id == document.campaign_id,
            col(Anomaly.resolved_at).is_(None),
        )
    ).all()
    rows = [
        (book.get(row, now=now, source=document.kind, document_id=document.id), row)
        for row in result.anomalies
    ]
    if apply_ine:
        _apply_ine_section(book, result.ine, document, now, changes)
    book.flush()  # one flush, once every change is made: the new pupils get their ids
    pupil_of = {p.id: p for p in book.by_key.values()}
    open_by_key = {
        anomaly_key(pupil_of[a.pupil_id], a.field): a for a in open_rows if a.pupil_id in pupil_of
    }
    new_anomalies = _follow_anomalies(rows, open_by_key, document, now, changes)
    if new_anomalies:  # one multi-row INSERT, without an ORM object per row
        session.execute(insert(Anomaly), new_anomalies)
    changes.new_pupils = book.created
    return changes


def _follow_anomalies(
    rows: Sequence[tuple[Pupil | NewPupil, AnomalyRow]],
    open_by_key: dict[tuple[str, str], Anomaly],
    document: Document,
    now: dt.datetime,
    changes: Changes,
) -> list[dict[str, Any]]:
    """Open anomalies still in the CR are kept (with its wording), those absent are resolved;
    the column values of the new ones are returned, to be inserted together."""
    seen: set[tuple[str, str]] = set()
    new_anomalies: list[dict[str, Any]] = []
    for pupil, row in rows:
        key = anomaly_key(pupil, row.field or "")
        if key in seen:
            continue
        seen.add(key)
        existing = open_by_key.get(key)
        if existing is None:
            new_anomalies.append(_new_anomaly(document, pupil, row, now))
            changes.new_anomalies += 1
            continue
        existing.last_seen_at, existing.last_document_id = now, document.id
        existing.message = (row.message or "")[:1000]
        existing.severity = (row.severity or UNKNOWN_SEVERITY)[:15]
        changes.still_open += 1
    for key, anomaly in open_by_key.items():
        if key not in seen:
            anomaly.resolved_at, anomaly.resolved_by_document_id = now, document.id
            changes.resolved += 1
    return new_anomalies


def _new_anomaly(
    document: Document, pupil: Pupil | NewPupil, row: AnomalyRow, now: dt.datetime
) -> dict[str, Any]:
    """The column values of a new anomaly row."""
    assert document.school_id is not None
    return dict(
        school_id=document.school_id,
        campaign_id=document.campaign_id,
        pupil_id=pupil.id,
        match_key=pupil.match_key,
        field=printable(row.field, 120),
        message=printable(row.message, 1000),
        severity=printable(row.severity or UNKNOWN_SEVERITY, 15),
        category=printable(row.category or "export", 20),
        first_seen_at=now,
        last_seen_at=now,
        first_document_id=document.id,
        last_document_id=document.id,
    )


def _apply_ine_section(
    book: PupilBook, ine: IneSection, document: Document, now: dt.datetime, changes: Changes
) -> None:
    """Pupils listed get their status; pupils waiting before and absent now got their INE.
    Without a table, only a counter of 0 pupils waiting says that they all got one: a CR
    without INE section, or with counters only, leaves the statuses as they were."""
    if not ine.pupils and ine.pending != 0:
        return
    listed: set[str] = set()
    for row in ine.pupils:
        pupil = book.get(row, now=now, source=document.kind, document_id=document.id)
        listed.add(pupil.match_key)
        status = row.status if row.status in INE_STATUSES else PENDING
        _set_ine(pupil, status, normalise_ine(row.ine), now, changes)
    for pupil in book.by_key.values():
        if pupil.match_key not in listed and pupil.ine_status not in (ATTRIBUTED, "inconnu"):
            _set_ine(pupil, ATTRIBUTED, None, now, changes)


def apply_extraction(
    session: Session, *, document: Document, result: Extraction, now: dt.datetime
) -> Changes:
    """The school's full pupil list from ONDE: identity, level, class and, if present, INE."""
    assert document.school_id is not None
    changes = Changes()
    book = PupilBook(session, school_id=document.school_id, campaign_id=document.campaign_id)
    for row in result.pupils:
        pupil = book.get(row, now=now, source=document.kind, document_id=document.id)
        pupil.level = printable(row.level or pupil.level, 10)
        pupil.cycle = printable(row.cycle or pupil.cycle, 12)
        pupil.class_label = printable(row.class_label or pupil.class_label, 120)
        if result.ine_column:
            ine = normalise_ine(row.ine)
            _set_ine(pupil, ATTRIBUTED if ine else PENDING, ine, now, changes)
    book.flush()
    changes.new_pupils = book.created
    if not result.ine_column:
        changes.notes.append("extraction sans colonne INE : statuts INE inchangés")
    return changes


@dataclass(frozen=True, slots=True)
class DocumentCounts(JsonRecord):
    """`Document.counts`: what the stage rules read — the anomaly rows found (`rejections`,
    `warnings`) and the pupils without INE (`pending_ine`, None when the document says nothing
    about INEs) — and the document's own counters (a CR's summary, an extraction's pupils)."""

    rejections: int = 0
    warnings: int = 0
    pending_ine: int | None = None
    read: int | None = None
    integrated: int | None = None
    rejected: int | None = None
    pupils: int | None = None  # an absent key (a row stored before it existed): its default


def document_counts(result: Report) -> DocumentCounts:
    """What a document counts, to store with it."""
    if isinstance(result, Extraction):
        pupils = result.pupils
        has_ine = result.ine_column
        pending = sum(1 for p in pupils if not normalise_ine(p.ine)) if has_ine else None
        return DocumentCounts(pending_ine=pending, pupils=len(pupils))
    rejections = sum(1 for a in result.anomalies if a.severity == "rejet")
    counts = result.counts
    return DocumentCounts(
        rejections=rejections,
        warnings=len(result.anomalies) - rejections,
        pending_ine=_pending_from_cr(result.ine),
        read=counts.read,
        integrated=counts.integrated,
        rejected=counts.rejected,
    )


def _pending_from_cr(ine: IneSection) -> int | None:
    """Pupils without INE by the CR; None when it has no INE section (it says nothing)."""
    if ine.pupils:
        return len(ine.waiting)
    return ine.pending


def summary_text(document: Document, changes: Changes) -> str:
    """The French line of the school's timeline (never a pupil's name)."""
    counts = DocumentCounts.from_json(document.counts)
    if document.kind == "onde_extraction":
        text = f"Extraction ONDE : {plural(counts.pupils or 0, 'élève')}"
        if counts.pending_ine is not None:
            text += f", {counts.pending_ine} sans INE"
    else:
        when = document.processed_at or document.received_at
        text = (
            f"Compte rendu du {french_date(when)} : "
            f"{plural(counts.rejections, 'rejet')}, "
            f"{plural(counts.warnings, 'avertissement')}"
        )
        if counts.pending_ine is not None:
            text += f", {plural(counts.pending_ine, 'élève sans INE', 'élèves sans INE')}"
    details = []
    if changes.resolved:
        details.append(plural(changes.resolved, "anomalie résolue", "anomalies résolues"))
    if changes.new_anomalies:
        details.append(plural(changes.new_anomalies, "nouvelle"))
    if changes.ine_attributed:
        details.append(plural(changes.ine_attributed, "INE attribué", "INE attribués"))
    details.extend(changes.notes)
    return text + (f" ({', '.join(details)})" if details else "")
