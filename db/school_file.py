"""A school's file for one campaign, as its page shows it: the follow-up, the history, the
archives and documents received, the anomalies, the pupils without INE, the mails.

The coordinators' school page reads it through `school_file` (and a stored original through
`stored_original`) instead of writing its own queries.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, TypeVar

from sqlmodel import Session, col, select

from db.campaigns import get_follow_up
from db.events import school_events
from db.ledger import school_mails
from db.models import Anomaly, Document, Event, ExportSubmission, FollowUp, Pupil, Reminder
from db.pupils import open_anomalies, pupils_by_id, pupils_without_ine, resolved_anomalies


@dataclass(frozen=True)
class SchoolFile:
    follow_up: FollowUp | None
    events: list[Event]  # newest first
    submissions: list[ExportSubmission]  # archives, newest first
    documents: list[Document]  # comptes rendus and extractions, newest first
    open_anomalies: list[Anomaly]
    resolved_anomalies: list[Anomaly]
    pupils: dict[int, Pupil]  # the pupils the anomalies name, by id
    without_ine: list[Pupil]
    mails: list[Reminder]  # the ledger rows, latest due first


Received = TypeVar("Received", Document, ExportSubmission)


def received(
    session: Session, table: type[Received], *, school_id: int, campaign_id: int
) -> list[Received]:
    """The school's archives or documents in the campaign, newest first."""
    query = (
        select(table)
        .where(table.school_id == school_id, table.campaign_id == campaign_id)
        .order_by(col(table.received_at).desc())
    )
    return list(session.exec(query))


def school_file(session: Session, *, school_id: int, campaign_id: int) -> SchoolFile:
    ids = {"school_id": school_id, "campaign_id": campaign_id}
    opened = open_anomalies(session, **ids)
    resolved = resolved_anomalies(session, **ids)
    pupil_ids = [a.pupil_id for a in [*opened, *resolved] if a.pupil_id is not None]
    return SchoolFile(
        follow_up=get_follow_up(session, **ids),
        events=school_events(session, **ids),
        submissions=received(session, ExportSubmission, **ids),
        documents=received(session, Document, **ids),
        open_anomalies=opened,
        resolved_anomalies=resolved,
        pupils=pupils_by_id(session, ids=pupil_ids),
        without_ine=pupils_without_ine(session, **ids),
        mails=school_mails(session, **ids),
    )


def stored_original(
    session: Session, *, school_id: int, kind: Literal["document", "submission"], file_id: int
) -> Document | ExportSubmission | None:
    """A document or an archive of this school (None for another school's)."""
    row: Document | ExportSubmission | None
    if kind == "document":
        row = session.get(Document, file_id)
    else:
        row = session.get(ExportSubmission, file_id)
    return row if row is not None and row.school_id == school_id else None
