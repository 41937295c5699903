"""Recording a parsed compte rendu or extraction for a school, and what follows from it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlmodel import Session, col, select

from daemon.ingest.reports.records import CompteRendu, Extraction, Report
from daemon.school.followup import refresh_stage
from daemon.school.stage import french_date
from daemon.school.tracking import (
    Changes,
    apply_compte_rendu,
    apply_extraction,
    document_counts,
    summary_text,
)
from daemon.wording import plural
from db.campaigns import follow_up_for
from db.events import record_event
from db.models import Campaign, Document, School
from db.schools import lock_school
from db.states import INGESTED


@dataclass(frozen=True)
class FileFacts:
    """What intake knows of the file itself."""

    filename: str
    size: int
    sha256: str
    channel: str
    stored_path: str


@dataclass
class Recorded:
    document: Document
    changes: Changes | None  # None: an older document, kept without effect
    message: str


def record_document(
    session: Session,
    *,
    school: School,
    campaign: Campaign,
    result: Report,
    facts: FileFacts,
    now: dt.datetime,
    actor: str = "system",
) -> Recorded:
    """Store the document, apply it if it is the newest of its kind, write the event, and
    recompute the stage — all in the caller's transaction."""
    assert school.id is not None and campaign.id is not None
    lock_school(session, school_id=school.id)  # another process may record for it too
    document = _new_document(school, campaign, result, facts, now)
    session.add(document)
    session.flush()
    changes: Changes | None
    if isinstance(result, Extraction):
        extracted = apply_extraction(session, document=document, result=result, now=now)
        changes, message = extracted, summary_text(document, extracted)
    else:
        changes, message = _apply_if_newest(session, document, result, now)
    if changes and (changes.resolved or changes.ine_attributed):
        follow_up = follow_up_for(session, school_id=school.id, campaign_id=campaign.id, now=now)
        follow_up.last_progress_at = now
    record_event(
        session,
        at=now,
        kind=INGESTED[document.kind],
        school_id=school.id,
        campaign_id=campaign.id,
        actor=actor,
        message=message,
        data={"document_id": document.id, "needs_review": document.needs_review},
    )
    refresh_stage(session, school=school, campaign=campaign, now=now, actor=actor)
    return Recorded(document, changes, message)


def _new_document(
    school: School, campaign: Campaign, result: Report, facts: FileFacts, now: dt.datetime
) -> Document:
    reasons = list(result.review_reasons)
    if not reasons:
        reasons = [f"ligne non reconnue : {u}" for u in result.unclassified[:5]]
        reasons += result.warnings
    cr = result if isinstance(result, CompteRendu) else None
    unknown = sum(1 for a in cr.anomalies if not a.severity) if cr else 0
    if unknown:
        reasons.append(
            f"gravité non lue pour {plural(unknown, 'anomalie')} : ni rejet ni avertissement"
        )
    return Document(
        school_id=school.id,
        campaign_id=campaign.id,  # type: ignore[arg-type]
        kind=result.kind,
        filename=facts.filename[:255],
        size=facts.size,
        sha256=facts.sha256,
        received_at=now,
        channel=facts.channel,
        submitted_at=cr.submitted_at if cr else None,
        processed_at=cr.processed_at if cr else None,
        counts=document_counts(result).as_json(),
        result=result.as_json(),
        needs_review=result.needs_review or bool(reasons),
        review_reasons=reasons[:20],
        stored_path=facts.stored_path[:500],
    )


def _effective(document: Document) -> dt.datetime:
    return document.processed_at or document.received_at


def _apply_if_newest(
    session: Session, document: Document, result: CompteRendu, now: dt.datetime
) -> tuple[Changes | None, str]:
    others = session.exec(
        select(Document).where(
            Document.school_id == document.school_id,
            Document.campaign_id == document.campaign_id,
            col(Document.duplicate_of_id).is_(None),
            Document.id != document.id,
        )
    ).all()
    reports = [d for d in others if d.kind == "compte_rendu"]
    newest = max(reports, key=_effective, default=None)
    if newest is not None and _effective(newest) > _effective(document):
        document.superseded_by_id = newest.id
        return None, (
            f"Compte rendu du {french_date(_effective(document))} enregistré sans effet : "
            f"plus ancien que celui du {french_date(_effective(newest))}"
        )
    for older in reports:
        if older.superseded_by_id is None:
            older.superseded_by_id = document.id
    extractions = [d.received_at for d in others if d.kind == "onde_extraction"]
    apply_ine = not extractions or max(extractions) <= _effective(document)
    changes = apply_compte_rendu(
        session, document=document, result=result, now=now, apply_ine=apply_ine
    )
    if not apply_ine:
        changes.notes.append("INE laissés à l'extraction ONDE plus récente")
    return changes, summary_text(document, changes)
