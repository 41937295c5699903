"""Deleting the personal data of a finished campaign, keeping the counts.

What goes: pupils (names, birth dates, INEs), the text of anomalies, the files directors dropped
(originals and quarantine), the parse results and archive findings that name pupils, the mail
bodies kept on the ledger, and every text a person typed or named for the campaign: problem
messages, coordinators' notes and reasons, file names (on the files' rows and in the history),
refusal reasons (they may quote a file), delivery errors. What stays: schools, each school's
follow-up and history (its events, their free text blanked), the documents' and archives'
counts, the headcount tables, the ledger's dates. Files are deleted through the store (never
through a link); the caller then compacts the database (`db.engine.compact`), so that nothing
deleted lingers in the SQLite file.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Executable, and_, delete, or_, update
from sqlalchemy.engine import CursorResult
from sqlmodel import Session, col, select

from daemon.ingest.intake.nofollow import Refused
from daemon.ingest.intake.storage import Store
from db.events import record_event
from db.models import (
    Anomaly,
    Campaign,
    Document,
    Event,
    ExportSubmission,
    FollowUp,
    IntakeFile,
    MailboxMessage,
    Pupil,
    Reminder,
)
from db.states import EventKind

log = logging.getLogger(__name__)


class PurgeRefused(Exception):
    """Purging now would lose data the campaign still needs (French message)."""


@dataclass
class PurgeReport:
    pupils: int = 0
    anomalies: int = 0
    documents: int = 0
    submissions: int = 0
    files: int = 0
    reminders: int = 0
    missing_files: list[str] = field(default_factory=list)


def purge_due(campaign: Campaign, today: dt.date) -> bool:
    """True once the retention period after the deadline is over."""
    return campaign.purged_at is None and today > campaign.deadline + dt.timedelta(
        days=campaign.retention_days
    )


def purge_campaign(
    session: Session,
    *,
    campaign: Campaign,
    store: Store,
    now: dt.datetime,
    force: bool = False,
    actor: str = "system",
) -> PurgeReport:
    """Purge in the caller's transaction; files are deleted once the rows are gone."""
    _check_purgeable(campaign, now, force)
    report = PurgeReport()
    paths = _stored_files(session, campaign)
    names = _file_names(session, campaign)
    report.anomalies = _count_delete(session, Anomaly, campaign)
    report.pupils = _count_delete(session, Pupil, campaign)
    report.documents = _strip_documents(session, campaign)
    report.submissions = _strip_submissions(session, campaign)
    report.reminders = _blank_mails(session, campaign)
    _strip_free_text(session, campaign, names)
    campaign.purged_at = now
    campaign.active = False
    record_event(
        session,
        at=now,
        kind=EventKind.CAMPAIGN_PURGED,
        campaign_id=campaign.id,
        actor=actor,
        message=f"Données personnelles de la campagne {campaign.name} purgées "
        f"({report.pupils} élèves, {len(paths)} fichiers)",
    )
    session.flush()
    for path in paths:
        report.files += _unlink(store, Path(path), report)
    log.info("purge campaign=%s pupils=%d files=%d", campaign.name, report.pupils, report.files)
    return report


def _check_purgeable(campaign: Campaign, now: dt.datetime, force: bool) -> None:
    """Raise PurgeRefused for a campaign purged already, or still kept (unless `force`)."""
    if campaign.purged_at is not None:
        raise PurgeRefused(f"campagne {campaign.name} déjà purgée le {campaign.purged_at:%d/%m/%Y}")
    if not force and not purge_due(campaign, now.date()):
        until = campaign.deadline + dt.timedelta(days=campaign.retention_days)
        raise PurgeRefused(
            f"la campagne {campaign.name} est conservée jusqu'au {until:%d/%m/%Y} "
            "(réglage campaign.retention_days) ; --force pour purger quand même"
        )


def _blank_mails(session: Session, campaign: Campaign) -> int:
    """Mails sent and read keep their dates and addresses, not their text; how many sent."""
    sent = _rowcount(
        session,
        update(Reminder)
        .where(col(Reminder.campaign_id) == campaign.id)
        .values(payload={}, last_error=""),
    )
    # a subject may name a pupil ("CR de Léa Martin"): the mailbox keeps only sender and dates
    _rowcount(
        session,
        update(MailboxMessage)
        .where(col(MailboxMessage.campaign_id) == campaign.id)
        .values(subject="", reason=""),
    )
    return sent


def _count_delete(session: Session, model: type[Anomaly] | type[Pupil], campaign: Campaign) -> int:
    return _rowcount(session, delete(model).where(col(model.campaign_id) == campaign.id))


def _rowcount(session: Session, statement: Executable) -> int:
    result = cast(CursorResult[Any], session.execute(statement))
    return int(result.rowcount or 0)


def _intake_rows(session: Session, campaign: Campaign) -> list[IntakeFile]:
    """Files taken for the campaign: linked to its documents or archives, or quarantined during
    it (a quarantined file belongs to no school's campaign)."""
    docs = select(Document.id).where(Document.campaign_id == campaign.id)
    subs = select(ExportSubmission.id).where(ExportSubmission.campaign_id == campaign.id)
    start, end = _period(campaign)
    return list(
        session.exec(
            select(IntakeFile).where(
                or_(
                    col(IntakeFile.document_id).in_(docs),
                    col(IntakeFile.submission_id).in_(subs),
                    and_(
                        col(IntakeFile.document_id).is_(None),
                        col(IntakeFile.submission_id).is_(None),
                        col(IntakeFile.received_at) >= start,
                        col(IntakeFile.received_at) < end,
                    ),
                )
            )
        )
    )


def _stored_files(session: Session, campaign: Campaign) -> list[str]:
    docs = session.exec(
        select(Document.stored_path).where(Document.campaign_id == campaign.id)
    ).all()
    subs = session.exec(
        select(ExportSubmission.stored_path).where(ExportSubmission.campaign_id == campaign.id)
    ).all()
    intake = [row.stored_path for row in _intake_rows(session, campaign)]
    return sorted({p for p in (*docs, *subs, *intake) if p})


def _strip_documents(session: Session, campaign: Campaign) -> int:
    for row in _intake_rows(session, campaign):
        row.stored_path = ""
    return _rowcount(
        session,
        update(Document)
        .where(col(Document.campaign_id) == campaign.id)
        .values(result={}, review_reasons=[], stored_path=""),
    )


def _strip_submissions(session: Session, campaign: Campaign) -> int:
    rows = session.exec(
        select(ExportSubmission).where(ExportSubmission.campaign_id == campaign.id)
    ).all()
    for row in rows:
        findings = row.findings or []
        row.findings = [{"severity": f.get("severity"), "field": f.get("field")} for f in findings]
        row.stored_path = ""
    return len(rows)


def _unlink(store: Store, path: Path, report: PurgeReport) -> int:
    """Delete a kept file and its reason (the entry itself, never through a link)."""
    try:
        if store.remove(path):
            return 1
    except Refused:
        pass  # outside the kept folders, or reached through a link: not deleted from here
    report.missing_files.append(str(path))
    return 0


# ---- free text ---------------------------------------------------------------------------------
NEUTRAL_NAME = "fichier"
BLANKED = {  # events whose whole message is what a person wrote
    "note": "Note (texte effacé à la purge)",
    "validation_reopened": "Validation annulée",
}


def _file_names(session: Session, campaign: Campaign) -> set[str]:
    """The names files of the campaign came with (a person chose them: they may name a pupil)."""
    names = {row.original_name for row in _intake_rows(session, campaign)}
    names |= set(session.exec(select(Document.filename).where(Document.campaign_id == campaign.id)))
    names |= set(
        session.exec(
            select(ExportSubmission.filename).where(ExportSubmission.campaign_id == campaign.id)
        )
    )
    return {n for n in names if len(n) >= 3}


def _neutral(name: str) -> str:
    suffix = Path(name).suffix.lower()
    return NEUTRAL_NAME + (suffix if suffix.isascii() and len(suffix) <= 6 else "")


def _strip_free_text(session: Session, campaign: Campaign, names: set[str]) -> None:
    follow_ups = update(FollowUp).where(col(FollowUp.campaign_id) == campaign.id)
    session.execute(follow_ups.values(problem_detail=""))
    for row in _intake_rows(session, campaign):
        row.original_name, row.reason = _neutral(row.original_name), ""
    for document in session.exec(select(Document).where(Document.campaign_id == campaign.id)):
        document.filename = _neutral(document.filename)
    archives = select(ExportSubmission).where(ExportSubmission.campaign_id == campaign.id)
    for archive in session.exec(archives):
        archive.filename = _neutral(archive.filename)
    longest_first = sorted(names, key=len, reverse=True)
    for event in session.exec(_campaign_events(campaign)):
        message = BLANKED.get(event.kind, event.message)
        for name in longest_first:
            message = message.replace(name, NEUTRAL_NAME)
        if message != event.message:
            event.message = message
        if "detail" in (event.data or {}):
            event.data = {k: v for k, v in event.data.items() if k != "detail"}


def _campaign_events(campaign: Campaign) -> Any:
    """The campaign's events, and the school events of its period that carry no campaign (a
    file quarantined before it was known whose it was)."""
    start, end = _period(campaign)
    return select(Event).where(
        or_(
            col(Event.campaign_id) == campaign.id,
            and_(
                col(Event.campaign_id).is_(None),
                col(Event.school_id).is_not(None),
                col(Event.at) >= start,
                col(Event.at) < end,
            ),
        )
    )


def _period(campaign: Campaign) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime.combine(campaign.start - dt.timedelta(days=90), dt.time(), tzinfo=dt.UTC)
    end = dt.datetime.combine(
        campaign.deadline + dt.timedelta(days=campaign.retention_days + 1), dt.time(), tzinfo=dt.UTC
    )
    return start, end
