"""The one ingest path: every file — drop folder, command line, upload page, API — goes through
`Intake.take_bytes` (or `take_path` for a file on disk), ends as processed, duplicate or
quarantined with a reason, and is recorded as an `IntakeFile` row. Nothing is lost: a file that
cannot be used is kept in quarantine with its reason, and the caller keeps running.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, func, select

from daemon.app import App
from daemon.budget import Budget, OverBudget, run_budgeted
from daemon.codes import InvalidUAI, find_uais, parse_uai, printable
from daemon.config import Settings
from daemon.ingest.exports.records import ArchiveCheck
from daemon.ingest.intake import nofollow
from daemon.ingest.intake.kinds import suffix_refusal
from daemon.ingest.intake.scans import Scans, checked_names
from daemon.ingest.intake.storage import Store, is_junk
from daemon.ingest.reports import NeedsOcr, Read, ReportRefused, read_report
from daemon.ingest.reports.extraction import kept_columns
from daemon.ingest.reports.labels import load_labels
from daemon.ingest.reports.records import CompteRendu, Report
from daemon.school.archives import ArchiveIntake
from daemon.school.documents import FileFacts, record_document
from db.engine import reading, transaction
from db.events import record_event
from db.models import IntakeFile, School
from db.schools import get_school
from db.states import EventKind, IntakeOutcome

log = logging.getLogger(__name__)
ZIP_MAGIC = b"PK\x03\x04"
MB = 1024 * 1024


def quarantine_usage(session: Session, *, uai: str | None = None) -> int:
    """Bytes kept in quarantine for files a page, the API or the command line sent (for the
    school `uai` was given for, or all of them)."""
    query = select(func.coalesce(func.sum(IntakeFile.size), 0)).where(
        IntakeFile.outcome == "quarantined",
        IntakeFile.stored_path != "",
        IntakeFile.channel != "folder",
    )
    if uai is not None:
        query = query.where(IntakeFile.given_uai == uai)
    return int(session.exec(query).one())


def reading_budget(settings: Settings) -> Budget:
    intake = settings.intake
    return Budget(
        cpu_seconds=intake.reader_cpu_seconds,
        memory_mb=intake.reader_memory_mb,
        wall_seconds=intake.reader_wall_seconds,
        workers=intake.reader_workers,
    )


class _TooBig(Exception):
    def __init__(self, size: int, limit: int) -> None:
        self.size = size
        self.reason = (
            f"fichier trop gros ({size // (1024 * 1024)} Mo ; limite "
            f"{limit // (1024 * 1024)} Mo) : non lu"
        )
        super().__init__(self.reason)


class Refused(Exception):
    """The file goes to quarantine; the reason is one French sentence."""

    def __init__(self, reason: str, *, kind: str = "", school: School | None = None) -> None:
        super().__init__(reason)
        self.reason, self.kind, self.school = reason, kind, school


@dataclass(frozen=True)
class Incoming:
    """One file's bytes and where they came from, as `take_bytes` was given them."""

    data: bytes
    sha: str
    filename: str
    channel: str
    now: dt.datetime
    school_uai: str | None  # the school it was given for (a page, the API)
    hint: str | None  # a path whose folder names may carry a UAI
    source: Path | None  # a drop-folder file, moved once recorded
    actor: str
    kept: bytes  # what is stored of it: `data`, or an extraction without its addresses


@dataclass
class IntakeResult:
    outcome: IntakeOutcome  # READING: a scan waiting for its OCR (see `scans`)
    filename: str
    kind: str = ""
    reason: str = ""
    uai: str | None = None
    message: str = ""  # one French line for the person who dropped the file
    intake_id: int | None = None
    document_id: int | None = None
    submission_id: int | None = None
    stored_path: str = ""
    detail: Report | ArchiveCheck | None = None  # what was read, for display

    def as_json(self) -> dict[str, Any]:
        keys = ("outcome", "filename", "kind", "reason", "uai", "message", "stored_path")
        return {k: getattr(self, k) for k in keys}


class Intake:
    """Built once per process: labels and limits are read from the settings at start."""

    def __init__(self, app: App, *, read_scans_now: bool = False) -> None:
        """`read_scans_now`: a scan is read by OCR before `take_*` returns (the command line),
        instead of waiting for the daemon's reader (`relance serve`)."""
        self.app = app
        settings = app.settings
        self.labels = load_labels(settings.intake.labels_file or None)
        self.max_bytes = settings.intake.max_file_mb * 1024 * 1024
        self.store = Store.of(settings)
        self.archives = ArchiveIntake(settings)
        self.budget = reading_budget(settings)
        self.scans = Scans(self, read_now=read_scans_now)

    # ---- files on disk -------------------------------------------------------------------
    def take_path(
        self, path: Path, *, channel: str, now: dt.datetime, root: Path | None = None
    ) -> IntakeResult:
        """A file from the drop folder (moved to processed/ or quarantine/) or given on the
        command line (copied under the state folder). `root` is the folder it was found in:
        a UAI in the sub-folder names tells the school of a file that does not say it.
        The file is opened without following a link: a link, a FIFO, a folder or a hard link
        is quarantined unread (moved as it is, never followed)."""
        from_drop = channel == "folder"
        name = printable(path.name, 255) or "fichier"
        hint = str(path.relative_to(root)) if root and path.is_relative_to(root) else name
        try:
            data = self._read_file(path, self.store.source_base(path))
        except nofollow.Refused as refused:
            if refused.reason == nofollow.MISSING:
                return IntakeResult(
                    IntakeOutcome.IGNORED, name, reason="fichier disparu avant d'être lu"
                )
            return self._quarantine_unread(path, hint, refused.reason, channel, now)
        except _TooBig as big:
            return self._quarantine_unread(path, hint, big.reason, channel, now, size=big.size)
        return self.take_bytes(
            data,
            filename=name,
            channel=channel,
            now=now,
            hint=hint,
            source=path if from_drop else None,
        )

    def _read_file(self, path: Path, base: Path) -> bytes:
        with nofollow.open_beneath(base, path) as handle:
            size = os.fstat(handle.fileno()).st_size
            if size > self.max_bytes:
                raise _TooBig(size, self.max_bytes)
            data = handle.read(self.max_bytes + 1)
        if len(data) > self.max_bytes:  # grew while read
            raise _TooBig(len(data), self.max_bytes)
        return data

    def _quarantine_unread(
        self, path: Path, hint: str, reason: str, channel: str, now: dt.datetime, size: int = 0
    ) -> IntakeResult:
        name = printable(path.name, 255) or "fichier"
        target = self.store.destination(name, quarantined=True, from_drop=True, now=now)
        if channel == "folder":
            self.store.move(path, target)
            self.store.write_reason(target, reason, original=name, now=now)
        stored = str(target) if channel == "folder" else ""
        with transaction(self.app.engine) as session:
            school = named_school(session, given=None, name=hint)
            row = IntakeFile(
                original_name=name[:500],
                stored_path=stored,
                size=size,
                received_at=now,
                channel=channel,
                outcome=IntakeOutcome.QUARANTINED,
                reason=reason[:1000],
                school_id=school.id if school else None,
                origin=hint[:500],
            )
            session.add(row)
            session.flush()
            uai = school.uai if school else None
        log.warning("intake quarantined file=%s channel=%s reason=%s", name, channel, reason)
        return IntakeResult(
            IntakeOutcome.QUARANTINED,
            name,
            reason=reason,
            uai=uai,
            intake_id=row.id,
            stored_path=stored,
            message=f"{name} : mis en quarantaine ({reason})",
        )

    def refuse_unread(
        self, name: str, *, reason: str, channel: str, now: dt.datetime, size: int
    ) -> IntakeResult:
        """A file refused before anyone fetched it (a mail over the size limit, which stays in
        the mailbox): the quarantine lists it with its reason, with no copy to retry."""
        name = printable(name, 255) or "fichier"
        return self._quarantine_unread(Path(name), name, reason, channel, now, size=size)

    def refuse_bytes(
        self,
        data: bytes,
        *,
        filename: str,
        reason: str,
        channel: str,
        now: dt.datetime,
        school_uai: str | None = None,
        actor: str = "system",
    ) -> IntakeResult:
        """Keep a file in quarantine with its reason, unread: the caller knows it must not be
        taken (a mail attachment from someone who is not the school's director, winmail.dat)."""
        filename = printable(filename, 255) or "fichier"
        sha = hashlib.sha256(data).hexdigest()
        incoming = Incoming(
            data, sha, filename, channel, now, school_uai, None, None, actor, self._kept(data)
        )
        with transaction(self.app.engine) as session:
            school = get_school(session, uai=school_uai) if school_uai else None
        return self._record_refusal(Refused(reason, school=school), incoming)

    # ---- bytes -------------------------------------------------------------------------------
    def take_bytes(
        self,
        data: bytes,
        *,
        filename: str,
        channel: str,
        now: dt.datetime,
        school_uai: str | None = None,
        hint: str | None = None,
        source: Path | None = None,
        actor: str = "system",
    ) -> IntakeResult:
        """Process one file's bytes. `school_uai`: the school it was given for (a page, the API);
        `source`: a drop-folder file to move once recorded."""
        started = time.perf_counter()
        filename = printable(filename, 255) or "fichier"
        incoming = Incoming(
            data,
            hashlib.sha256(data).hexdigest(),
            filename,
            channel,
            now,
            school_uai,
            hint,
            source,
            actor,
            self._kept(data),
        )
        try:
            result = self._process(incoming)
        except Exception:  # one bad file never stops the daemon; it is kept with its reason
            log.exception("intake failed file=%s channel=%s", filename, channel)
            result = self._record_refusal(
                Refused("erreur interne pendant le traitement (détail dans le journal)"), incoming
            )
        log.info(
            "intake file=%s channel=%s outcome=%s kind=%s uai=%s ms=%d",
            filename,
            channel,
            result.outcome,
            result.kind or "-",
            result.uai or "-",
            (time.perf_counter() - started) * 1000,
        )
        return result

    def _process(self, incoming: Incoming) -> IntakeResult:
        if not incoming.data:
            return self._record_refusal(Refused("fichier vide"), incoming)
        wrong_kind = suffix_refusal(incoming.filename)
        if wrong_kind:
            return self._record_refusal(Refused(wrong_kind), incoming)
        is_zip = incoming.data.startswith(ZIP_MAGIC) or incoming.filename.lower().endswith(".zip")
        try:
            if is_zip:
                return self._take_archive(incoming)
            return self._take_report(incoming)
        except Refused as refused:
            return self._record_refusal(refused, incoming)

    def _take_report(self, incoming: Incoming) -> IntakeResult:
        duplicate = self._duplicate(incoming)
        if duplicate:
            return duplicate
        try:
            read = self._read(incoming)
        except NeedsOcr:
            return self.scans.wait(incoming)
        return self.record_report(incoming, read.report)

    def record_report(
        self,
        incoming: Incoming,
        parsed: Report,
        *,
        read: Read | None = None,
        stored: Path | None = None,
        row: IntakeFile | None = None,
    ) -> IntakeResult:
        """Record what was read for its school; a scan read by OCR (`read`: its pages, its
        names checked against the school's pupils) is already `stored`, its `row` waiting."""
        filename, now = incoming.filename, incoming.now
        content_uai = parsed.uai if isinstance(parsed, CompteRendu) else None  # a CR names it
        with transaction(self.app.engine) as session:
            campaign = self.app.campaign(session, now, follow_ups=False)
            school = self._school_for(
                session, content_uai, incoming.school_uai, incoming.hint or filename, parsed.kind
            )
            target = stored or self._final_path(incoming)
            facts = FileFacts(
                filename, len(incoming.data), incoming.sha, incoming.channel, str(target)
            )
            parsed, names = checked_names(session, parsed, school, campaign, read)
            recorded = record_document(
                session,
                school=school,
                campaign=campaign,
                result=parsed,
                facts=facts,
                now=now,
                actor=incoming.actor,
                names=names,
                views=read.views if read else (),
            )
            row = self._finish_row(
                session, incoming, target, parsed.kind, school, recorded.document.id, row
            )
        if stored is None:
            self._settle(incoming, target)
        return IntakeResult(
            IntakeOutcome.PROCESSED,
            filename,
            parsed.kind,
            uai=school.uai,
            message=f"{school.uai} : {recorded.message}",
            intake_id=row.id,
            document_id=recorded.document.id,
            stored_path=str(target),
            detail=parsed,
        )

    def _finish_row(
        self,
        session: Session,
        incoming: Incoming,
        target: Path,
        kind: str,
        school: School,
        document_id: int | None,
        row: IntakeFile | None,
    ) -> IntakeFile:
        """The intake row of a file recorded: a new one, or the waiting scan's, finished."""
        if row is None:
            return self._intake_row(
                session,
                incoming,
                target,
                kind,
                IntakeOutcome.PROCESSED,
                "",
                school,
                document_id=document_id,
            )
        row = session.merge(row)
        row.outcome, row.kind, row.reason = IntakeOutcome.PROCESSED, kind, ""
        row.claimed_until = None
        row.school_id, row.document_id = school.id, document_id
        return row

    def _read(self, incoming: Incoming) -> Read:
        """The report read in a worker process within the reading budget (a hostile PDF can
        take minutes of CPU): refused with the budget's reason when it runs out. A scan is
        not read here: `NeedsOcr` says it waits for the OCR reader (`scans`)."""
        settings = self.app.settings.intake
        try:
            return run_budgeted(
                self.budget,
                read_report,
                incoming.data,
                incoming.filename,
                labels=self.labels,
                max_pages=settings.max_pdf_pages,
                max_page_content=int(settings.pdf_page_content_mb * 1024 * 1024),
                ocr_budget=None,  # a scan is read by OCR in its own worker, not here
            )
        except NeedsOcr:
            raise
        except ReportRefused as exc:
            raise Refused(exc.reason) from exc
        except OverBudget as exc:
            log.warning("intake: reading %s stopped (%s budget)", incoming.filename, exc.limit)
            raise Refused(exc.reason) from exc

    def _take_archive(self, incoming: Incoming) -> IntakeResult:
        filename, now, source = incoming.filename, incoming.now, incoming.source
        with transaction(self.app.engine) as session:
            campaign = self.app.campaign(session, now, follow_ups=False)
            outcome = self.archives.take(
                session,
                data=incoming.data,
                sha=incoming.sha,
                filename=filename,
                channel=incoming.channel,
                campaign=campaign,
                now=now,
                expected_uai=incoming.school_uai,
                actor=incoming.actor,
            )
            quarantined = not outcome.accepted
            # An accepted archive is not kept (addresses, responsables): only a dropped one
            # leaves a receipt. A refused one is kept in quarantine, as received, with its reason.
            target: Path | None = None
            refusal, full = outcome.refusal, self._quarantine_full(incoming) if quarantined else ""
            if quarantined and not full:
                target = self._final_path(incoming, quarantined=True)
            elif quarantined:
                refusal = f"{refusal} ({full})"
            elif source is not None:
                target = self.store.receipt(filename, now=now)
            if outcome.submission is not None:
                outcome.submission.stored_path = str(target or "") if quarantined else ""
            status = (
                IntakeOutcome.QUARANTINED
                if quarantined
                else (IntakeOutcome.DUPLICATE if outcome.duplicate else IntakeOutcome.PROCESSED)
            )
            row = self._intake_row(
                session,
                incoming,
                target or "",
                "export",
                status,
                refusal,
                outcome.school,
                submission_id=outcome.submission.id if outcome.submission else None,
            )
        if quarantined and target is not None:
            self._settle(incoming, target)
            self.store.write_reason(target, refusal, original=filename, now=now)
        elif source is not None and target is not None:
            self.store.write_receipt(target, outcome.message, original=filename, now=now)
            self.store.unlink_dropped(source)
        return IntakeResult(
            status,
            filename,
            "export",
            reason=refusal,
            uai=outcome.school.uai if outcome.school else None,
            message=outcome.message,
            intake_id=row.id,
            submission_id=outcome.submission.id if outcome.submission else None,
            stored_path=str(target or ""),
            detail=outcome.check,
        )

    # ---- helpers ------------------------------------------------------------------------
    def _school_for(
        self, session: Session, content_uai: str | None, given: str | None, hint: str, kind: str
    ) -> School:
        """The school a document belongs to: its content, else the page it was given on, else a
        UAI in the file or folder name. Refused when they disagree or nothing tells."""
        candidates: list[str] = []
        if content_uai:
            try:
                candidates.append(parse_uai(content_uai))
            except InvalidUAI as exc:
                raise Refused(f"UAI du document invalide : {exc}", kind=kind) from exc
        if given and given not in candidates:
            if candidates:
                raise Refused(
                    f"ce document est celui de l'école {candidates[0]}, pas de {given}", kind=kind
                )
            candidates.append(given)
        if not candidates:
            named = find_uais(hint)
            if len(named) > 1:
                raise Refused(
                    f"plusieurs UAI dans le nom ({', '.join(named)}) : école ambiguë", kind=kind
                )
            candidates = named
        if not candidates:
            raise Refused(
                "école inconnue : le fichier ne dit pas de quelle école il vient ; nommez-le avec "
                "l'UAI (0441234C-CSVExtraction.csv) ou déposez-le dans un dossier 0441234C/",
                kind=kind,
            )
        school = get_school(session, uai=candidates[0])
        if school is None or not school.active:
            raise Refused(f"école {candidates[0]} inconnue de cette installation", kind=kind)
        return school

    def _duplicate(self, incoming: Incoming) -> IntakeResult | None:
        """The answer for a file already read, else None. A file given for one school (its page,
        the API) is only a duplicate of that school's files: the same bytes taken for another
        school are read again, and refused as that school's document."""
        filename, now = incoming.filename, incoming.now
        with transaction(self.app.engine) as session:
            query = select(IntakeFile).where(
                IntakeFile.sha256 == incoming.sha, col(IntakeFile.document_id).is_not(None)
            )
            if incoming.school_uai:
                given = get_school(session, uai=incoming.school_uai)
                if given is None:
                    return None
                query = query.where(IntakeFile.school_id == given.id)
            first = session.exec(query.order_by(col(IntakeFile.id))).first()
            if first is None:
                return None
            target = self._final_path(incoming)
            school = session.get(School, first.school_id) if first.school_id else None
            message = f"fichier identique à celui reçu le {first.received_at:%d/%m/%Y} : ignoré"
            row = self._intake_row(
                session,
                incoming,
                target,
                first.kind,
                IntakeOutcome.DUPLICATE,
                message,
                school,
                document_id=first.document_id,
            )
            if school is not None:
                record_event(
                    session,
                    at=now,
                    kind=EventKind.DUPLICATE_FILE,
                    school_id=school.id,
                    message=f"{filename} : {message}",
                )
        self._settle(incoming, target)
        return IntakeResult(
            IntakeOutcome.DUPLICATE,
            filename,
            first.kind,
            reason=message,
            uai=school.uai if school else None,
            message=f"{filename} : {message}",
            intake_id=row.id,
            document_id=first.document_id,
            stored_path=str(target),
        )

    def _record_refusal(self, refused: Refused, incoming: Incoming) -> IntakeResult:
        filename, now = incoming.filename, incoming.now
        target, reason = self._keep_in_quarantine(incoming, refused.reason)
        with transaction(self.app.engine) as session:
            school = refused.school or named_school(
                session,
                given=incoming.school_uai,
                name=incoming.hint or incoming.filename,
                data=incoming.data,
            )
            row = self._intake_row(
                session,
                incoming,
                target or "",
                refused.kind,
                IntakeOutcome.QUARANTINED,
                reason,
                school,
            )
            if school is not None:
                record_event(
                    session,
                    at=now,
                    kind=EventKind.FILE_QUARANTINED,
                    school_id=school.id,
                    message=f"{filename} mis en quarantaine : {reason}",
                )
        log.warning("intake quarantined file=%s reason=%s", filename, reason)
        return IntakeResult(
            IntakeOutcome.QUARANTINED,
            filename,
            refused.kind,
            reason=reason,
            uai=school.uai if school else None,
            message=f"{filename} : mis en quarantaine ({reason})",
            intake_id=row.id,
            stored_path=str(target or ""),
        )

    def _keep_in_quarantine(self, incoming: Incoming, reason: str) -> tuple[Path | None, str]:
        """Keep a refused file in quarantine with its reason: where, and the reason to record
        (saying the bytes were not kept when the quarantine quotas are reached)."""
        full = self._quarantine_full(incoming)
        if full:
            return None, f"{reason} ({full})"
        target = self._final_path(incoming, quarantined=True)
        self._settle(incoming, target)
        self.store.write_reason(target, reason, original=incoming.filename, now=incoming.now)
        return target, reason

    def _quarantine_full(self, incoming: Incoming) -> str:
        """'' when the bytes of a refused file fit in quarantine, else why they are not kept.
        Files sent by a page, the API or the command line count against the quotas (per
        school given and in total); a dropped file is moved within its disk, not copied."""
        if incoming.source is not None:
            return ""
        settings, size = self.app.settings.intake, len(incoming.data)
        with reading(self.app.engine) as session:
            total = quarantine_usage(session)
            school = (
                quarantine_usage(session, uai=incoming.school_uai) if incoming.school_uai else 0
            )
        if incoming.school_uai and school + size > settings.quarantine_max_mb_per_school * MB:
            return "fichier non conservé : la quarantaine de cette école est pleine"
        if total + size > settings.quarantine_max_mb_total * MB:
            return "fichier non conservé : la quarantaine est pleine"
        return ""

    def _final_path(self, incoming: Incoming, quarantined: bool = False) -> Path:
        return self.store.destination(
            incoming.filename,
            quarantined=quarantined,
            from_drop=incoming.source is not None,
            now=incoming.now,
        )

    def _kept(self, data: bytes) -> bytes:
        """What is stored of a file: the file, except an ONDE extraction, of which only the
        columns relance reads are kept (never the addresses nor the responsables)."""
        if data.startswith(ZIP_MAGIC) or b"%PDF-" in data[:1024]:
            return data
        reduced = kept_columns(data, self.labels)
        return data if reduced is None else reduced

    def _settle(self, incoming: Incoming, target: Path) -> None:
        """Put the file where the row says: move a drop-folder file, else write the bytes
        (a dropped extraction is written without its addresses, and the dropped file goes)."""
        if incoming.source is not None and incoming.kept is incoming.data:
            self.store.move(incoming.source, target)
            return
        self.store.write(target, incoming.kept)
        if incoming.source is not None:
            self.store.unlink_dropped(incoming.source)

    @staticmethod
    def _intake_row(
        session: Session,
        incoming: Incoming,
        target: Path | str,
        kind: str,
        outcome: IntakeOutcome,
        reason: str,
        school: School | None,
        document_id: int | None = None,
        submission_id: int | None = None,
    ) -> IntakeFile:
        row = IntakeFile(
            original_name=incoming.filename[:500],
            stored_path=str(target)[:500],
            sha256=incoming.sha,
            size=len(incoming.data),
            received_at=incoming.now,
            channel=incoming.channel,
            kind=kind,
            outcome=outcome,
            reason=reason[:1000],
            school_id=school.id if school else None,
            document_id=document_id,
            submission_id=submission_id,
            given_uai=incoming.school_uai or "",
            origin=(incoming.hint or "")[:500],
        )
        session.add(row)
        session.flush()
        return row


def named_school(
    session: Session, *, given: str | None, name: str, data: bytes = b""
) -> School | None:
    """The school a refused file names, so that the quarantine page and the school's history
    show it: the one UAI of a known school its name (or folder) carries, else the one its text
    carries. None when nothing says or several schools are named, and for a file given for a
    school (a page, the API): its refusal was answered there, and may be that it is another's."""
    if given:
        return None
    for text in (name, _text_head(data)):
        named = [uai for uai in find_uais(text) if get_school(session, uai=uai) is not None]
        if len(named) == 1:
            return get_school(session, uai=named[0])
        if named:
            return None
    return None


def _text_head(data: bytes) -> str:
    """The start of a file's text, if it is text at all (a PDF or a zip says nothing here)."""
    head = data[:65536]
    if head.startswith((b"%PDF", ZIP_MAGIC)) or b"\x00" in head[:2048]:
        return ""
    return head.decode("utf-8", errors="replace")


__all__ = ["Intake", "IntakeResult", "is_junk", "named_school"]
