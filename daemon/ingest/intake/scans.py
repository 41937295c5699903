"""Scans and photos of comptes rendus, read by OCR: never in a web request nor the event loop.

A compte rendu that is an image is taken like any file: stored where a processed file goes,
its `IntakeFile` row saying `reading` — the person who dropped it sees « en cours de lecture ».
A reader (`run_reader`, the `reader` part of `relance serve`; or `relance ingest` itself)
claims the row for a while, reads the file by OCR in a worker process within its budget
(`daemon.budget`: `intake.ocr_seconds`, `intake.ocr_memory_mb`), checks the names read against
the school's known pupils, and records the compte rendu like any other, waiting for the
coordinator's review; or it quarantines the file with its reason. A reader that dies leaves
its claim to expire: the next one takes the file again.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import ColumnElement, or_, update
from sqlmodel import Session, col, select

from daemon.budget import Budget, OverBudget, run_budgeted
from daemon.codes import find_uais
from daemon.ingest.intake import nofollow
from daemon.ingest.reports import ReportRefused, read_report
from daemon.ingest.reports.ocr.engine import missing
from daemon.ingest.reports.ocr.pupils import NameChecks, check_names
from daemon.ingest.reports.read import Read
from daemon.ingest.reports.records import CompteRendu, Report
from daemon.school.pupils import known_pupils
from db.engine import transaction
from db.events import record_event
from db.models import Campaign, IntakeFile, School
from db.schools import get_school
from db.states import EventKind, IntakeOutcome

if TYPE_CHECKING:  # intake.py imports this module: its classes are imported where used
    from daemon.ingest.intake.intake import Incoming, Intake, IntakeResult

log = logging.getLogger(__name__)
READING = IntakeOutcome.READING
WAITING = "compte rendu scanné : en cours de lecture par OCR"
CLAIM_MARGIN = dt.timedelta(seconds=60)  # a claim outlives the reading's wall clock by this
GIVEN = ("page", "api")  # channels whose file was given for one school


def checked_names(
    session: Session, parsed: Report, school: School, campaign: Campaign, read: Read | None
) -> tuple[Report, NameChecks | None]:
    """A CR read by OCR with its names checked against the school's known pupils."""
    if read is None or not isinstance(parsed, CompteRendu) or parsed.source != "ocr":
        return parsed, None
    assert school.id is not None and campaign.id is not None
    known = known_pupils(session, school_id=school.id, campaign_id=campaign.id)
    return check_names(parsed, known)


def in_progress(session: Session, *, school_id: int) -> list[IntakeFile]:
    """The school's scans waiting for their reading, oldest first."""
    return list(
        session.exec(
            select(IntakeFile)
            .where(IntakeFile.school_id == school_id, IntakeFile.outcome == READING)
            .order_by(col(IntakeFile.id))
        )
    )


class Scans:
    """The intake's scans: set to wait, then read."""

    def __init__(self, intake: Intake, *, read_now: bool) -> None:
        self.intake, self.read_now = intake, read_now
        settings = intake.app.settings.intake
        self.budget = Budget(
            cpu_seconds=float(settings.ocr_seconds),
            memory_mb=settings.ocr_memory_mb,
            wall_seconds=settings.ocr_seconds + 30.0,
            workers=1,
        )

    def wait(self, incoming: Incoming) -> IntakeResult:
        """A scan taken: stored, its row `reading`; read at once when asked to. Refused at
        once, with the reason, when OCR cannot run on this machine (checked here: the reading
        worker's environment was fixed when its pool started)."""
        from daemon.ingest.intake.intake import IntakeResult, Refused

        why_not = missing(pdf=b"%PDF-" in incoming.data[:1024])
        if why_not is not None:
            raise Refused(why_not)
        intake, filename = self.intake, incoming.filename
        target = intake._final_path(incoming)
        intake._settle(incoming, target)
        with transaction(intake.app.engine) as session:
            school = self._school(session, incoming)
            row = intake._intake_row(
                session, incoming, target, "compte_rendu", READING, WAITING, school
            )
            if school is not None:
                record_event(
                    session,
                    at=incoming.now,
                    kind=EventKind.SCAN_READING,
                    school_id=school.id,
                    actor=incoming.actor,
                    message=f"{filename} : {WAITING}",
                    data={"intake_id": row.id},
                )
        assert row.id is not None
        if self.read_now:
            done = self.read(row.id, incoming.now)
            if done is not None:
                return done
        return IntakeResult(
            READING,
            filename,
            "compte_rendu",
            uai=school.uai if school else None,
            message=f"{filename} : {WAITING}",
            intake_id=row.id,
            stored_path=str(target),
        )

    @staticmethod
    def _school(session: Session, incoming: Incoming) -> School | None:
        """The school the scan was given for, or named in its path (its content tells later)."""
        named = [incoming.school_uai] if incoming.school_uai else find_uais(incoming.hint or "")
        return get_school(session, uai=named[0]) if len(named) == 1 else None

    def due(self, now: dt.datetime) -> list[int]:
        """Scans waiting for a reader (never claimed, or whose claim expired)."""
        with transaction(self.intake.app.engine) as session:
            return [
                row_id
                for row_id in session.exec(
                    select(IntakeFile.id).where(IntakeFile.outcome == READING, _free(now))
                )
                if row_id is not None
            ]

    def _claim(self, row_id: int, now: dt.datetime) -> IntakeFile | None:
        until = now + dt.timedelta(seconds=self.budget.wall_seconds) + CLAIM_MARGIN
        with transaction(self.intake.app.engine) as session:
            claimed = session.execute(
                update(IntakeFile)
                .where(col(IntakeFile.id) == row_id, col(IntakeFile.outcome) == READING, _free(now))
                .values(claimed_until=until)
            )
            if getattr(claimed, "rowcount", 0) != 1:
                return None  # another reader has it, or it was read
            return session.get(IntakeFile, row_id)

    def read(self, row_id: int, now: dt.datetime) -> IntakeResult | None:
        """Read one waiting scan by OCR in a worker and record it (or quarantine it); None
        when another reader has it."""
        row = self._claim(row_id, now)
        if row is None:
            return None
        try:
            incoming = self._incoming(row, now)
        except nofollow.Refused as gone:  # moved, deleted or replaced by a link meanwhile
            return self._refuse(row, self._incoming(row, now, b""), gone.reason)
        started = time.perf_counter()
        try:
            read = run_budgeted(
                self.budget,
                read_report,
                incoming.data,
                incoming.filename,
                labels=self.intake.labels,
                max_pages=self.intake.app.settings.intake.max_pdf_pages,
                ocr_budget=float(self.intake.app.settings.intake.ocr_seconds),
            )
            return self._record(row, incoming, read)
        except (ReportRefused, OverBudget) as refused:
            return self._refuse(row, incoming, refused.reason)
        except Exception as exc:  # one bad scan never stops the reader
            log.exception("scan reading failed file=%s", row.original_name)
            return self._refuse(row, incoming, f"erreur interne ({type(exc).__name__})")
        finally:
            log.info(
                "scan read file=%s ms=%d", row.original_name, (time.perf_counter() - started) * 1000
            )

    def _record(self, row: IntakeFile, incoming: Incoming, read: Read) -> IntakeResult:
        from daemon.ingest.intake.intake import Refused

        try:
            return self.intake.record_report(
                incoming, read.report, read=read, stored=Path(row.stored_path), row=row
            )
        except Refused as refused:
            return self._refuse(row, incoming, refused.reason)

    def _incoming(self, row: IntakeFile, now: dt.datetime, data: bytes | None = None) -> Incoming:
        """The waiting scan as the intake takes a file: its bytes read from where it is kept
        (never through a link), unless given."""
        from daemon.ingest.intake.intake import Incoming

        if data is None:
            with self.intake.store.open(row.stored_path) as handle:
                data = handle.read()
        with transaction(self.intake.app.engine) as session:
            school = session.get(School, row.school_id) if row.school_id else None
        given = school.uai if school is not None and row.channel in GIVEN else None
        hint = school.uai if school is not None else row.original_name
        return Incoming(
            data, row.sha256, row.original_name, row.channel, now, given, hint, None, "system", data
        )

    def _refuse(self, row: IntakeFile, incoming: Incoming, reason: str) -> IntakeResult:
        """The scan goes to quarantine with its reason, its row says so."""
        from daemon.ingest.intake.intake import IntakeResult

        store, name, now = self.intake.store, incoming.filename, incoming.now
        target = store.destination(
            name, quarantined=True, from_drop=row.channel == "folder", now=now
        )
        kept = Path(row.stored_path)
        if row.stored_path and nofollow.exists_beneath(store.base_of(kept), kept):
            store.move(kept, target)
        store.write_reason(target, reason, original=name, now=now)
        with transaction(self.intake.app.engine) as session:
            row = session.merge(row)
            row.outcome, row.reason = IntakeOutcome.QUARANTINED, reason[:1000]
            row.claimed_until = None
            row.stored_path = str(target)[:500]
            if row.school_id is not None:
                record_event(
                    session,
                    at=now,
                    kind=EventKind.FILE_QUARANTINED,
                    school_id=row.school_id,
                    message=f"{name} mis en quarantaine : {reason}",
                )
        log.warning("scan quarantined file=%s reason=%s", name, reason)
        return IntakeResult(
            IntakeOutcome.QUARANTINED,
            name,
            "compte_rendu",
            reason=reason,
            message=f"{name} : mis en quarantaine ({reason})",
            intake_id=row.id,
            stored_path=str(target),
        )


def _free(now: dt.datetime) -> ColumnElement[bool]:
    return or_(col(IntakeFile.claimed_until).is_(None), col(IntakeFile.claimed_until) < now)


async def run_reader(intake: Intake, stop: asyncio.Event, *, every: float = 2.0) -> None:
    """Read the scans waiting, one at a time, until `stop` (the scan in hand is finished)."""
    scans = intake.scans
    while not stop.is_set():
        for row_id in await asyncio.to_thread(scans.due, intake.app.now()):
            if stop.is_set():
                break
            await asyncio.to_thread(scans.read, row_id, intake.app.now())
        try:
            await asyncio.wait_for(stop.wait(), every)
        except TimeoutError:
            continue
