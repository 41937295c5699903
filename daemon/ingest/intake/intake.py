"""The one ingest path: every file — drop folder, command line, upload page, API — goes through
`Intake.take_bytes` (or `take_path` for a file on disk), ends as processed, duplicate or
quarantined with a reason, and is recorded as an `IntakeFile` row. Nothing is lost: a file that
cannot be used is kept in quarantine with its reason, and the caller keeps running.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, select

from daemon.app import App
from daemon.codes import InvalidUAI, find_uais, parse_uai, printable
from daemon.ingest.exports.records import ArchiveCheck
from daemon.ingest.intake.storage import Store, is_junk
from daemon.ingest.reports import ReportRefused, parse_report
from daemon.ingest.reports.labels import load_labels
from daemon.ingest.reports.records import CompteRendu, Report
from daemon.school.archives import ArchiveIntake
from daemon.school.documents import FileFacts, record_document
from db.engine import transaction
from db.events import record_event
from db.models import IntakeFile, School
from db.schools import get_school
from db.states import EventKind, IntakeOutcome

log = logging.getLogger(__name__)
ZIP_MAGIC = b"PK\x03\x04"


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


@dataclass
class IntakeResult:
    outcome: IntakeOutcome
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

    def __init__(self, app: App) -> None:
        self.app = app
        settings = app.settings
        self.labels = load_labels(settings.intake.labels_file or None)
        self.max_bytes = settings.intake.max_file_mb * 1024 * 1024
        self.store = Store(state_dir=settings.state_path, drop_dir=settings.drop_path)
        self.archives = ArchiveIntake(settings)

    # ---- files on disk -------------------------------------------------------------------
    def take_path(
        self, path: Path, *, channel: str, now: dt.datetime, root: Path | None = None
    ) -> IntakeResult:
        """A file from the drop folder (moved to processed/ or quarantine/) or given on the
        command line (copied under the state folder). `root` is the folder it was found in:
        a UAI in the sub-folder names tells the school of a file that does not say it."""
        from_drop = channel == "folder"
        name = printable(path.name, 255) or "fichier"
        hint = str(path.relative_to(root)) if root and path.is_relative_to(root) else name
        if path.is_symlink():
            return self._quarantine_unread(path, name, "lien symbolique refusé", channel, now)
        try:
            size = path.stat().st_size
        except FileNotFoundError:
            return IntakeResult(
                IntakeOutcome.IGNORED, name, reason="fichier disparu avant d'être lu"
            )
        if size > self.max_bytes:
            reason = (
                f"fichier trop gros ({size // (1024 * 1024)} Mo ; limite "
                f"{self.max_bytes // (1024 * 1024)} Mo) : non lu"
            )
            return self._quarantine_unread(path, name, reason, channel, now, size=size)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return IntakeResult(
                IntakeOutcome.IGNORED, name, reason="fichier disparu pendant la lecture"
            )
        except OSError as exc:
            return self._quarantine_unread(path, name, f"illisible : {exc.strerror}", channel, now)
        return self.take_bytes(
            data,
            filename=name,
            channel=channel,
            now=now,
            hint=hint,
            source=path if from_drop else None,
        )

    def _quarantine_unread(
        self, path: Path, name: str, reason: str, channel: str, now: dt.datetime, size: int = 0
    ) -> IntakeResult:
        target = self.store.destination(name, quarantined=True, from_drop=True, now=now)
        if channel == "folder":
            self.store.move(path, target)
            self.store.write_reason(target, reason, original=name, now=now)
        stored = str(target) if channel == "folder" else ""
        with transaction(self.app.engine) as session:
            row = IntakeFile(
                original_name=name[:500],
                stored_path=stored,
                size=size,
                received_at=now,
                channel=channel,
                outcome=IntakeOutcome.QUARANTINED,
                reason=reason[:1000],
            )
            session.add(row)
            session.flush()
        log.warning("intake quarantined file=%s channel=%s reason=%s", name, channel, reason)
        return IntakeResult(
            IntakeOutcome.QUARANTINED,
            name,
            reason=reason,
            intake_id=row.id,
            stored_path=stored,
            message=f"{name} : mis en quarantaine ({reason})",
        )

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
        )
        try:
            result = self._process(incoming)
        except Exception as exc:  # one bad file never stops the daemon; it is kept with its reason
            log.exception("intake failed file=%s channel=%s", filename, channel)
            result = self._record_refusal(
                Refused(f"erreur interne pendant le traitement ({type(exc).__name__})"), incoming
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
        filename, now = incoming.filename, incoming.now
        try:
            parsed = parse_report(
                incoming.data,
                filename,
                labels=self.labels,
                max_pages=self.app.settings.intake.max_pdf_pages,
            )
        except ReportRefused as exc:
            raise Refused(exc.reason) from exc
        content_uai = parsed.uai if isinstance(parsed, CompteRendu) else None  # a CR names it
        with transaction(self.app.engine) as session:
            campaign = self.app.campaign(session, now, follow_ups=False)
            school = self._school_for(
                session, content_uai, incoming.school_uai, incoming.hint or filename, parsed.kind
            )
            target = self._final_path(incoming)
            facts = FileFacts(
                filename, len(incoming.data), incoming.sha, incoming.channel, str(target)
            )
            recorded = record_document(
                session,
                school=school,
                campaign=campaign,
                result=parsed,
                facts=facts,
                now=now,
                actor=incoming.actor,
            )
            row = self._intake_row(
                session,
                incoming,
                target,
                parsed.kind,
                IntakeOutcome.PROCESSED,
                "",
                school,
                document_id=recorded.document.id,
            )
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
            if quarantined:
                target = self._final_path(incoming, quarantined=True)
            elif source is not None:
                target = self.store.receipt(filename, now=now)
            if outcome.submission is not None:
                outcome.submission.stored_path = str(target) if quarantined else ""
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
                outcome.refusal,
                outcome.school,
                submission_id=outcome.submission.id if outcome.submission else None,
            )
        if quarantined:
            assert target is not None
            self._settle(incoming, target)
            self.store.write_reason(target, outcome.refusal, original=filename, now=now)
        elif source is not None:
            assert target is not None
            self.store.write_receipt(target, outcome.message, original=filename, now=now)
            source.unlink(missing_ok=True)
        return IntakeResult(
            status,
            filename,
            "export",
            reason=outcome.refusal,
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
        target = self._final_path(incoming, quarantined=True)
        self._settle(incoming, target)
        self.store.write_reason(target, refused.reason, original=filename, now=now)
        with transaction(self.app.engine) as session:
            school = refused.school
            row = self._intake_row(
                session,
                incoming,
                target,
                refused.kind,
                IntakeOutcome.QUARANTINED,
                refused.reason,
                school,
            )
            if school is not None:
                record_event(
                    session,
                    at=now,
                    kind=EventKind.FILE_QUARANTINED,
                    school_id=school.id,
                    message=f"{filename} mis en quarantaine : {refused.reason}",
                )
        log.warning("intake quarantined file=%s reason=%s", filename, refused.reason)
        return IntakeResult(
            IntakeOutcome.QUARANTINED,
            filename,
            refused.kind,
            reason=refused.reason,
            uai=school.uai if school else None,
            message=f"{filename} : mis en quarantaine ({refused.reason})",
            intake_id=row.id,
            stored_path=str(target),
        )

    def _final_path(self, incoming: Incoming, quarantined: bool = False) -> Path:
        return self.store.destination(
            incoming.filename,
            quarantined=quarantined,
            from_drop=incoming.source is not None,
            now=incoming.now,
        )

    def _settle(self, incoming: Incoming, target: Path) -> None:
        """Put the file where the row says: move a drop-folder file, else write the bytes."""
        if incoming.source is not None:
            self.store.move(incoming.source, target)
        else:
            self.store.write(target, incoming.data)

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
        )
        session.add(row)
        session.flush()
        return row


__all__ = ["Intake", "IntakeResult", "is_junk"]
