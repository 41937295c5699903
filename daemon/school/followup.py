"""Gather a school's evidence, derive its stage, and keep the follow-up's cached stage current.

Called by every path that records evidence (ingest, exports, declarations) inside its own
transaction, so the stage and its event land with the evidence or not at all.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from daemon.school.rows import FollowUpFacts
from daemon.school.stage import (
    ArchiveEvidence,
    DocumentEvidence,
    Evidence,
    Stage,
    StageResult,
    school_stage,
)
from daemon.school.tracking import DocumentCounts
from db.campaigns import follow_up_for
from db.events import record_event
from db.models import Campaign, Document, ExportSubmission, FollowUp, School
from db.states import EventKind


def load_evidence(session: Session, *, school_id: int, campaign: Campaign) -> Evidence:
    """Everything recorded for the school in the campaign that the stage rules read."""
    assert campaign.id is not None
    exports = session.exec(
        select(
            ExportSubmission.received_at, ExportSubmission.filename, ExportSubmission.headcount
        ).where(
            ExportSubmission.school_id == school_id,
            ExportSubmission.campaign_id == campaign.id,
            col(ExportSubmission.duplicate_of_id).is_(None),
            col(ExportSubmission.accepted).is_(True),
        )
    ).all()
    documents = session.exec(
        select(Document).where(
            Document.school_id == school_id,
            Document.campaign_id == campaign.id,
            col(Document.duplicate_of_id).is_(None),
        )
    ).all()
    follow_up = session.exec(
        select(FollowUp).where(FollowUp.school_id == school_id, FollowUp.campaign_id == campaign.id)
    ).first()
    return Evidence(
        exports=tuple(at for at, _name, _headcount in exports),
        archives=tuple(
            ArchiveEvidence(at, name, _total(headcount)) for at, name, headcount in exports
        ),
        documents=tuple(document_evidence(d) for d in documents),
        declared_validated_at=follow_up.declared_validated_at if follow_up else None,
        validation_confirmed_at=follow_up.validation_confirmed_at if follow_up else None,
        requires_confirmation=campaign.validation_requires_confirmation,
    )


def _total(headcount: Mapping[str, Any] | None) -> int | None:
    total = (headcount or {}).get("total")
    return total if isinstance(total, int) else None


def schools_evidence(
    session: Session, *, follow_ups: Sequence[FollowUpFacts], campaign: Campaign
) -> dict[int, Evidence]:
    """`load_evidence` of the schools of several follow-ups, in two queries and reading only
    the columns the stage rules read (a document's counts and archive name, never its whole
    parsed result)."""
    assert campaign.id is not None
    ids = [f.school_id for f in follow_ups]
    exports: dict[int, list[Any]] = {i: [] for i in ids}
    documents: dict[int, list[DocumentEvidence]] = {i: [] for i in ids}
    for row in session.connection().execute(
        sa_select(*EXPORT_COLUMNS).where(
            col(ExportSubmission.school_id).in_(ids),
            col(ExportSubmission.campaign_id) == campaign.id,
            col(ExportSubmission.duplicate_of_id).is_(None),
            col(ExportSubmission.accepted).is_(True),
        )
    ):
        exports[row.school_id].append(row)
    for row in session.connection().execute(
        sa_select(*DOCUMENT_COLUMNS).where(
            col(Document.school_id).in_(ids),
            col(Document.campaign_id) == campaign.id,
            col(Document.duplicate_of_id).is_(None),
        )
    ):
        documents[row.school_id].append(_evidence(row, row.archive))
    return {
        f.school_id: Evidence(
            exports=tuple(e.received_at for e in exports[f.school_id]),
            archives=tuple(
                ArchiveEvidence(e.received_at, e.filename, _total(e.headcount))
                for e in exports[f.school_id]
            ),
            documents=tuple(documents[f.school_id]),
            declared_validated_at=f.declared_validated_at,
            validation_confirmed_at=f.validation_confirmed_at,
            requires_confirmation=campaign.validation_requires_confirmation,
        )
        for f in follow_ups
    }


EXPORT_COLUMNS: tuple[Any, ...] = (
    ExportSubmission.school_id,
    ExportSubmission.received_at,
    ExportSubmission.filename,
    ExportSubmission.headcount,
)
DOCUMENT_COLUMNS: tuple[Any, ...] = (
    Document.school_id,
    Document.kind,
    Document.received_at,
    Document.processed_at,
    Document.submitted_at,
    Document.counts,
    col(Document.result)["archive"].as_string().label("archive"),
)


def document_evidence(document: Document) -> DocumentEvidence:
    return _evidence(document, (document.result or {}).get("archive"))


def _evidence(document: Any, archive: Any) -> DocumentEvidence:
    """From a `Document` or a row of `DOCUMENT_COLUMNS`, with the archive its result names."""
    counts = DocumentCounts.from_json(document.counts or {})
    return DocumentEvidence(
        kind=document.kind,
        received_at=document.received_at,
        processed_at=document.processed_at,
        rejections=counts.rejections,
        warnings=counts.warnings,
        pending_ine=counts.pending_ine,
        archive=archive if isinstance(archive, str) else None,
        submitted_at=document.submitted_at,
        pupils_read=counts.read,
    )


def refresh_stage(
    session: Session,
    *,
    school: School,
    campaign: Campaign,
    now: dt.datetime,
    actor: str = "system",
) -> StageResult:
    """Recompute the stage; on a change, update the follow-up and write a `stage_changed` event."""
    assert school.id is not None and campaign.id is not None
    result = school_stage(load_evidence(session, school_id=school.id, campaign=campaign), now)
    follow_up = follow_up_for(session, school_id=school.id, campaign_id=campaign.id, now=now)
    previous = follow_up.stage
    follow_up.stage_reason = result.reason[:500]
    if previous != result.stage:
        follow_up.stage = result.stage
        follow_up.stage_since = now
        follow_up.updated_at = now
        record_event(
            session,
            at=now,
            kind=EventKind.STAGE_CHANGED,
            school_id=school.id,
            campaign_id=campaign.id,
            actor=actor,
            message=f"{Stage(previous).label} → {result.stage.label} : {result.reason}",
            data={"from": previous, "to": result.stage.value},
            stage=result.stage,
        )
    return result
