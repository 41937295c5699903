"""The pupil book: a school's pupils in one campaign, found by their identity in what a reader
says of them, the known ones as rows and the new ones written together."""

from __future__ import annotations

import datetime as dt
from typing import Any, Protocol

from pydantic_core import PydanticUndefined
from sqlalchemy import insert, update
from sqlmodel import Session, col, select

from daemon.codes import printable, pupil_key
from daemon.ingest.records import iso
from db.models import Pupil


class NamedPupil(Protocol):
    """What a reader's row says of a pupil, enough to find them in the book."""

    @property
    def last_name(self) -> str | None: ...

    @property
    def first_name(self) -> str | None: ...

    @property
    def birth_date(self) -> dt.date | None: ...


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
        self, row: NamedPupil, *, now: dt.datetime, source: str, document_id: int | None
    ) -> Pupil | NewPupil:
        last, first = printable(row.last_name, 120), printable(row.first_name, 120)
        birth = row.birth_date
        key = pupil_key(last, first, iso(birth))
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
