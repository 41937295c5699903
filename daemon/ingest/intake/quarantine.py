"""Files put aside, and what a coordinator does with them: look at one, take it again
(« reprendre »), or discard it (« écarter »). The quarantine page calls these; it does not touch
intake rows nor files itself.

A retry keeps where the file came from: the school its channel gave (a file refused on school
A's page because it is school B's is refused again, never recorded for B) and its folder in the
drop folder. Only one retry or discard of a row can win (a compare-and-set on its outcome).
Kept files are read and deleted through the store, never through a link.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, cast

from sqlalchemy import update
from sqlalchemy.engine import CursorResult
from sqlmodel import Session, col

from daemon.ingest.intake.intake import Intake, IntakeResult
from daemon.ingest.intake.nofollow import Refused
from db.engine import transaction
from db.events import record_event
from db.models import IntakeFile, School
from db.schools import get_school
from db.states import EventKind, IntakeOutcome

log = logging.getLogger(__name__)
QUARANTINED = IntakeOutcome.QUARANTINED
CHANNELS = {
    "folder": "le dossier de dépôt",
    "page": "une page web",
    "api": "l'API",
    "cli": "la ligne de commande",
}


class NotQuarantined(Exception):
    """The file is not (or no longer) in quarantine; the message is French."""

    def __init__(self) -> None:
        super().__init__("Ce fichier n'est pas (ou plus) en quarantaine.")


@dataclass(frozen=True)
class QuarantinedFile:
    """A quarantined file and where it came from."""

    row: IntakeFile
    school: School | None  # the school the file was recorded against, if any
    given: School | None  # the school its channel gave (a school's page, the API)

    @property
    def origin(self) -> str:
        """Where it came from, in French, for the confirm page."""
        row = self.row
        text = f"reçu par {CHANNELS.get(row.channel, row.channel)}"
        if self.given is not None:
            text += f" pour l'école {self.given.name} ({self.given.uai})"
        elif row.given_uai:
            text += f" pour l'école {row.given_uai}"
        if row.origin and row.channel == "folder":
            text += f", chemin « {row.origin} »"
        return text


def quarantined_file(session: Session, intake_id: int) -> QuarantinedFile:
    row = session.get(IntakeFile, intake_id)
    if row is None or row.outcome != QUARANTINED:
        raise NotQuarantined
    school = session.get(School, row.school_id) if row.school_id else None
    given = get_school(session, uai=row.given_uai) if row.given_uai else None
    return QuarantinedFile(row, school, given)


def open_quarantined(intake: Intake, row: IntakeFile) -> BinaryIO:
    """The kept file of a quarantine row, to read (Refused: link, FIFO, gone…)."""
    return intake.store.open(row.stored_path)


def _claim(intake: Intake, intake_id: int, outcome: IntakeOutcome) -> IntakeFile:
    """Move the row out of quarantine (compare-and-set): NotQuarantined if another did."""
    with transaction(intake.app.engine) as session:
        changed = cast(
            CursorResult[Any],
            session.execute(
                update(IntakeFile)
                .where(col(IntakeFile.id) == intake_id, col(IntakeFile.outcome) == QUARANTINED)
                .values(outcome=outcome)
            ),
        )
        if changed.rowcount != 1:
            raise NotQuarantined
        row = session.get(IntakeFile, intake_id)
        assert row is not None
        session.expunge(row)
    return row


def _unclaim(intake: Intake, intake_id: int) -> None:
    with transaction(intake.app.engine) as session:
        session.execute(
            update(IntakeFile).where(col(IntakeFile.id) == intake_id).values(outcome=QUARANTINED)
        )


def retry(intake: Intake, intake_id: int, *, now: dt.datetime, actor: str) -> IntakeResult:
    """Run the kept file through the intake again, for the school and from the folder it came
    with; the old row becomes `retried`. A file that cannot be read back (a link, a FIFO,
    gone) stays in quarantine and the result says why."""
    row = _claim(intake, intake_id, IntakeOutcome.RETRIED)
    try:
        data = _read(intake, row)
    except Refused as refused:
        _unclaim(intake, intake_id)
        reason = f"rien à reprendre : {refused.reason}"
        return IntakeResult(QUARANTINED, row.original_name, reason=reason, message=reason)
    result = intake.take_bytes(
        data,
        filename=row.original_name,
        channel=row.channel,
        now=now,
        school_uai=row.given_uai or None,
        hint=row.origin or None,
        actor=actor,
    )
    taken = result.outcome.recorded or bool(result.stored_path)
    if taken and result.stored_path != row.stored_path:
        intake.store.remove(Path(row.stored_path))  # taken or kept again: this copy goes
    with transaction(intake.app.engine) as session:
        record_event(
            session,
            at=now,
            kind=EventKind.QUARANTINE_RETRIED,
            school_id=row.school_id or _school_id(session, result.uai),
            actor=actor,
            message=f"Fichier de quarantaine repris : {row.original_name} ({result.outcome})",
            data={"intake_id": row.id, "new_intake_id": result.intake_id},
        )
    return result


def _read(intake: Intake, row: IntakeFile) -> bytes:
    with open_quarantined(intake, row) as handle:
        data = handle.read(intake.max_bytes + 1)
    if len(data) > intake.max_bytes:
        raise Refused("fichier trop gros")
    return data


def _school_id(session: Session, uai: str | None) -> int | None:
    school = get_school(session, uai=uai) if uai else None
    return school.id if school else None


def discard(intake: Intake, intake_id: int, *, now: dt.datetime, actor: str) -> None:
    """Mark the file discarded and delete its kept copy (the entry itself: a link is deleted,
    never what it points to)."""
    row = _claim(intake, intake_id, IntakeOutcome.DISCARDED)
    with transaction(intake.app.engine) as session:
        record_event(
            session,
            at=now,
            kind=EventKind.QUARANTINE_DISCARDED,
            school_id=row.school_id,
            actor=actor,
            message=f"Fichier de quarantaine écarté : {row.original_name}",
            data={"intake_id": row.id},
        )
    if row.stored_path:
        try:
            intake.store.remove(Path(row.stored_path))
        except Refused as refused:
            log.warning("quarantine: discarded file not deleted (%s)", refused.reason)
