"""Applying a parsed document to a school's pupils, anomalies and INE statuses.

The input is the parser's JSON (see `../shared/formats/compte-rendu.md` and
`onde-extraction.md`). A newer compte rendu (by ONDE's processing date, not by drop order)
supersedes older ones: anomalies absent from it are resolved, those still present keep their
first-seen date. An extraction is the full list of the school's pupils: an empty INE cell is
pending, a filled one is attributed. Events never name a pupil.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from pydantic_core import PydanticUndefined
from sqlalchemy import insert, update
from sqlmodel import Session, col, select

from daemon.codes import is_valid_ine, name_key, normalise_ine, printable, pupil_key
from daemon.school.stage import french_date
from daemon.wording import plural
from db.models import Anomaly, Document, Pupil

ATTRIBUTED = "attribue"
PENDING = "en_attente"
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


def parse_iso_date(value: Any) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def parse_iso_datetime(value: Any) -> dt.datetime | None:
    try:
        moment = dt.datetime.fromisoformat(str(value)) if value else None
    except ValueError:
        return None
    return moment if moment is None or moment.tzinfo else None


# `Pupil`'s columns but its id, and their defaults: what a `NewPupil` carries.
PUPIL_COLUMNS = tuple(c.name for c in Pupil.__table__.columns if c.name != "id")  # type: ignore[attr-defined]
PUPIL_DEFAULTS = {
    name: info.default
    for name, info in Pupil.model_fields.items()
    if info.default is not PydanticUndefined
}


class NewPupil:
    """A pupil first seen in the document being applied. Plain attributes named as `Pupil`'s:
    `PupilBook.flush` writes all of them with one multi-row INSERT — an ORM object per pupil
    costs more than the database write itself."""

    school_id: int
    campaign_id: int
    match_key: str
    last_name: str
    first_name: str
    birth_date: dt.date | None
    level: str
    cycle: str
    class_label: str
    ine: str | None
    ine_status: str
    ine_status_since: dt.datetime | None
    first_seen_at: dt.datetime
    last_seen_at: dt.datetime
    last_document_id: int | None
    source: str

    def __init__(self, **values: Any) -> None:
        for name in PUPIL_COLUMNS:
            setattr(self, name, values.get(name, PUPIL_DEFAULTS.get(name)))
        self.id: int | None = None
        self._written: dict[str, Any] | None = None

    def values(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in PUPIL_COLUMNS}


class PupilBook:
    """The school's pupils in one campaign, indexed by matching key, created on demand.

    Known pupils are ORM rows (their changes are flushed with the session); new ones are
    `NewPupil`s, inserted together by `flush`, which also gives them their ids."""

    def __init__(self, session: Session, *, school_id: int, campaign_id: int) -> None:
        self.session, self.school_id, self.campaign_id = session, school_id, campaign_id
        rows = session.exec(
            select(Pupil).where(Pupil.school_id == school_id, Pupil.campaign_id == campaign_id)
        ).all()
        self.by_key: dict[str, Pupil | NewPupil] = {p.match_key: p for p in rows}
        self.new: list[NewPupil] = []

    @property
    def created(self) -> int:
        return len(self.new)

    def get(
        self, row: dict[str, Any], *, now: dt.datetime, source: str, document_id: int | None
    ) -> Pupil | NewPupil:
        last, first = printable(row.get("last_name"), 120), printable(row.get("first_name"), 120)
        birth = parse_iso_date(row.get("birth_date"))
        key = pupil_key(last, first, birth.isoformat() if birth else None)
        pupil = self.by_key.get(key)
        if pupil is None:
            pupil = NewPupil(
                school_id=self.school_id,
                campaign_id=self.campaign_id,
                match_key=key[:300],
                last_name=last[:120],
                first_name=first[:120],
                birth_date=birth,
                first_seen_at=now,
                last_seen_at=now,
                source=source,
            )
            self.by_key[key] = pupil
            self.new.append(pupil)
        pupil.last_seen_at = now
        if document_id is not None:
            pupil.last_document_id = document_id
        return pupil

    def flush(self) -> None:
        """Write the changes made to new pupils since an earlier flush, insert the others (one
        statement; ids matched back by key), and flush the known ones."""
        pending = []
        for pupil in self.new:
            if pupil._written is None:
                pending.append(pupil)
                continue
            values = pupil.values()
            if values != pupil._written:
                change = update(Pupil).where(col(Pupil.id) == pupil.id).values(values)
                self.session.execute(change.execution_options(synchronize_session=False))
                pupil._written = values
        if pending:
            rows = [p.values() for p in pending]
            # Matched back by key (unique per school and campaign): RETURNING's row order is
            # not guaranteed, and asking for it makes SQLite insert row by row.
            statement = insert(Pupil).returning(col(Pupil.id), col(Pupil.match_key))
            ids = dict((key, pupil_id) for pupil_id, key in self.session.execute(statement, rows))
            for pupil, values in zip(pending, rows, strict=True):
                pupil.id, pupil._written = ids[pupil.match_key], values
        self.session.flush()


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
    result: dict[str, Any],
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
        for row in result.get("anomalies") or []
    ]
    if apply_ine:
        _apply_ine_section(book, result.get("ine"), document, now, changes)
    book.flush()  # one flush, once every change is made: the new pupils get their ids
    pupil_of = {p.id: p for p in book.by_key.values()}
    open_by_key = {
        anomaly_key(pupil_of[a.pupil_id], a.field): a for a in open_rows if a.pupil_id in pupil_of
    }
    seen: set[tuple[str, str]] = set()
    new_anomalies: list[dict[str, Any]] = []
    for pupil, row in rows:
        key = anomaly_key(pupil, str(row.get("field") or ""))
        if key in seen:
            continue
        seen.add(key)
        existing = open_by_key.get(key)
        if existing is None:
            new_anomalies.append(_new_anomaly(document, pupil, row, now))
            changes.new_anomalies += 1
            continue
        existing.last_seen_at, existing.last_document_id = now, document.id
        existing.message = str(row.get("message") or "")[:1000]
        existing.severity = str(row.get("severity") or "rejet")[:15]
        changes.still_open += 1
    for key, anomaly in open_by_key.items():
        if key not in seen:
            anomaly.resolved_at, anomaly.resolved_by_document_id = now, document.id
            changes.resolved += 1
    if new_anomalies:  # one multi-row INSERT, without an ORM object per row
        session.execute(insert(Anomaly), new_anomalies)
    changes.new_pupils = book.created
    return changes


def _new_anomaly(
    document: Document, pupil: Pupil | NewPupil, row: dict[str, Any], now: dt.datetime
) -> dict[str, Any]:
    """The column values of a new anomaly row."""
    assert document.school_id is not None
    return dict(
        school_id=document.school_id,
        campaign_id=document.campaign_id,
        pupil_id=pupil.id,
        match_key=pupil.match_key,
        field=printable(row.get("field"), 120),
        message=printable(row.get("message"), 1000),
        severity=printable(row.get("severity") or "rejet", 15),
        category=printable(row.get("category") or "export", 20),
        first_seen_at=now,
        last_seen_at=now,
        first_document_id=document.id,
        last_document_id=document.id,
    )


def _apply_ine_section(
    book: PupilBook, ine: Any, document: Document, now: dt.datetime, changes: Changes
) -> None:
    """Pupils listed get their status; pupils waiting before and absent now got their INE."""
    if not isinstance(ine, dict) or not isinstance(ine.get("pupils"), list):
        return
    listed: set[str] = set()
    for row in ine["pupils"]:
        pupil = book.get(row, now=now, source=document.kind, document_id=document.id)
        listed.add(pupil.match_key)
        status = str(row.get("status") or PENDING)
        status = status if status in INE_STATUSES else PENDING
        _set_ine(pupil, status, normalise_ine(row.get("ine")), now, changes)
    for pupil in book.by_key.values():
        if pupil.match_key not in listed and pupil.ine_status not in (ATTRIBUTED, "inconnu"):
            _set_ine(pupil, ATTRIBUTED, None, now, changes)


def apply_extraction(
    session: Session, *, document: Document, result: dict[str, Any], now: dt.datetime
) -> Changes:
    """The school's full pupil list from ONDE: identity, level, class and, if present, INE."""
    assert document.school_id is not None
    changes = Changes()
    book = PupilBook(session, school_id=document.school_id, campaign_id=document.campaign_id)
    has_ine = result.get("ine_column", True) is not False
    for row in result.get("pupils") or []:
        pupil = book.get(row, now=now, source=document.kind, document_id=document.id)
        pupil.level = printable(row.get("level") or pupil.level, 10)
        pupil.cycle = printable(row.get("cycle") or pupil.cycle, 12)
        pupil.class_label = printable(row.get("class_label") or pupil.class_label, 120)
        if has_ine:
            ine = normalise_ine(row.get("ine"))
            _set_ine(pupil, ATTRIBUTED if ine else PENDING, ine, now, changes)
    book.flush()
    changes.new_pupils = book.created
    if not has_ine:
        changes.notes.append("extraction sans colonne INE : statuts INE inchangés")
    return changes


def document_counts(result: dict[str, Any]) -> dict[str, Any]:
    """`Document.counts`: what the stage rules read, plus the document's own counters."""
    if result.get("kind") == "onde_extraction":
        pupils = result.get("pupils") or []
        has_ine = result.get("ine_column", True) is not False
        pending = sum(1 for p in pupils if not normalise_ine(p.get("ine"))) if has_ine else None
        return {"rejections": 0, "warnings": 0, "pending_ine": pending, "pupils": len(pupils)}
    anomalies = result.get("anomalies") or []
    counts: dict[str, Any] = dict(result.get("counts") or {})
    counts["rejections"] = sum(1 for a in anomalies if a.get("severity") == "rejet")
    counts["warnings"] = sum(1 for a in anomalies if a.get("severity") != "rejet")
    counts["pending_ine"] = _pending_from_cr(result.get("ine"))
    return counts


def _pending_from_cr(ine: Any) -> int | None:
    if not isinstance(ine, dict):
        return None
    pupils = ine.get("pupils")
    if isinstance(pupils, list) and pupils:
        return sum(1 for p in pupils if p.get("status") != ATTRIBUTED)
    pending = ine.get("pending")
    if isinstance(pending, int):
        return pending
    return 0 if isinstance(pupils, list) else None


def summary_text(document: Document, changes: Changes) -> str:
    """The French line of the school's timeline (never a pupil's name)."""
    counts = document.counts
    if document.kind == "onde_extraction":
        text = f"Extraction ONDE : {plural(counts.get('pupils', 0), 'élève')}"
        if counts.get("pending_ine") is not None:
            text += f", {counts['pending_ine']} sans INE"
    else:
        when = document.processed_at or document.received_at
        text = (
            f"Compte rendu du {french_date(when)} : "
            f"{plural(counts.get('rejections', 0), 'rejet')}, "
            f"{plural(counts.get('warnings', 0), 'avertissement')}"
        )
        if counts.get("pending_ine") is not None:
            text += f", {plural(counts['pending_ine'], 'élève sans INE', 'élèves sans INE')}"
    details = []
    if changes.resolved:
        details.append(plural(changes.resolved, "anomalie résolue", "anomalies résolues"))
    if changes.new_anomalies:
        details.append(plural(changes.new_anomalies, "nouvelle"))
    if changes.ine_attributed:
        details.append(plural(changes.ine_attributed, "INE attribué", "INE attribués"))
    details.extend(changes.notes)
    return text + (f" ({', '.join(details)})" if details else "")
