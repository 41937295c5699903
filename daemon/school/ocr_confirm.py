"""The coordinator's click on a row of a compte rendu read by OCR: confirmed, or corrected.

One room function for the pages (`confirm_ocr_row`): the row's state and, for a correction,
the record change; the compte rendu applied again when a row changed or once every row is
confirmed (it may then resolve what it no longer lists); one event; the stage recomputed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from sqlmodel import Session

from daemon.ingest.reports.records import CompteRendu
from daemon.school.documents import apply_again
from daemon.school.followup import refresh_stage
from daemon.school.ocr_review import (
    CORRECTED,
    all_confirmed,
    drop_misread,
    effective_names,
    review_data,
    row_message,
    rows_of,
    set_row,
)
from daemon.school.pupils import row_key
from daemon.school.tracking import summary_text
from db.events import record_event
from db.models import Campaign, Document, School
from db.states import EventKind

WHOLE = "none"  # the `table` of a reading with no row at all, confirmed as such


def _document(session: Session, school: School, campaign: Campaign, document_id: int) -> Document:
    document = session.get(Document, document_id)
    if (
        document is None
        or document.school_id != school.id
        or document.campaign_id != campaign.id
        or not document.review
    ):
        raise ValueError("compte rendu lu par OCR introuvable pour cette école")
    return document


def confirm_ocr_row(
    session: Session,
    *,
    school: School,
    campaign: Campaign,
    document_id: int,
    table: str,
    index: int,
    values: Mapping[str, str] | None,
    actor: str,
    now: dt.datetime,
) -> str:
    """Confirm a row as read (`values` None or unchanged) or correct it; the timeline's line.
    ValueError (one French sentence) when the row or a value cannot be."""
    document = _document(session, school, campaign, document_id)
    result = CompteRendu.from_json(document.result)
    if table == WHOLE and not any(rows_of(result).values()):
        state, message = "confirmed", "Compte rendu lu par OCR, sans ligne, confirmé tel quel"
    else:
        result, state = set_row(
            document, result, table=table, index=index, values=values, actor=actor, now=now
        )
        message = row_message(document, table, index, state)
    done = all_confirmed(document, result)
    if state == CORRECTED:
        keys = {row_key(row) for rows in rows_of(result).values() for row in rows}
        drop_misread(session, document, keys)
    if state == CORRECTED or done:
        names = effective_names(document, result)
        changes = apply_again(
            session, document=document, result=result, names=names, confirmed=done, now=now
        )
        if done:
            message += " ; toutes ses lignes sont vérifiées"
        if changes is not None:
            message += f" — {summary_text(document, changes)}"
    if done:
        document.ocr_unconfirmed = document.needs_review = False
    record_event(
        session,
        at=now,
        kind=EventKind.OCR_ROW_REVIEWED,
        school_id=school.id,
        campaign_id=campaign.id,
        actor=actor,
        message=message,
        data=review_data(document, table, index),
    )
    refresh_stage(session, school=school, campaign=campaign, now=now, actor=actor)
    return message
