"""A compte rendu read by OCR, under the coordinator's review.

What OCR read is evidence like any other (`documents.record_document`), but it is « lu par OCR
— à vérifier » until a coordinator has confirmed or corrected each row: the pages as OCR saw
them are kept beside the rows (`DocumentPage`), with how each name matched the school's known
pupils (`Document.review["names"]`). Confirming a row, or correcting it, is one click and one
event. A correction changes the record and applies the compte rendu again (what the misread
row created is removed: it never existed). Once every row is confirmed, the compte rendu is
applied again as confirmed: it may then resolve what it no longer lists.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from sqlmodel import Session, col, delete, select

from daemon.ingest.reports.ocr.pupils import Check, NameChecks
from daemon.ingest.reports.records import AnomalyRow, CompteRendu, IneRow
from daemon.school.corrections import corrected_row
from daemon.school.stage import french_date
from db.models import Anomaly, Document, DocumentPage, Pupil

TABLES = {"anomalies": "tableau des anomalies", "ine": "tableau des INE"}
CONFIRMED, CORRECTED = "confirmed", "corrected"


@dataclass(frozen=True)
class ReviewRow:
    """One row read by OCR, as the review page shows it."""

    table: str  # anomalies | ine
    index: int
    row: AnomalyRow | IneRow
    name_check: Check
    state: str  # "" (to check) | confirmed | corrected
    by: str = ""


def start_review(
    session: Session, document: Document, names: NameChecks, views: Sequence[bytes]
) -> None:
    """A document read by OCR waits for the coordinator, its pages beside its rows."""
    assert document.id is not None
    document.ocr_unconfirmed = True
    document.review = {"names": names.as_json(), "rows": {}}
    for number, image in enumerate(views, 1):
        session.add(DocumentPage(document_id=document.id, number=number, image=image))


def rows_of(result: CompteRendu) -> dict[str, Sequence[AnomalyRow | IneRow]]:
    return {"anomalies": result.anomalies, "ine": result.ine.pupils}


def names_of(document: Document) -> NameChecks:
    """How each name matched (`unchecked` for a document stored without its check)."""
    stored = document.review.get("names")
    return NameChecks.from_json(stored) if stored else NameChecks()


def review_rows(document: Document, result: CompteRendu) -> list[ReviewRow]:
    names, states = names_of(document), document.review.get("rows", {})
    checks: dict[str, Sequence[Check]] = {"anomalies": names.anomalies, "ine": names.ine}
    found: list[ReviewRow] = []
    for table, rows in rows_of(result).items():
        for index, row in enumerate(rows):
            state = states.get(f"{table}:{index}", {})
            check = checks[table][index] if index < len(checks[table]) else "unchecked"
            found.append(
                ReviewRow(table, index, row, check, state.get("state", ""), state.get("by", ""))
            )
    return found


def effective_names(document: Document, result: CompteRendu) -> NameChecks:
    """The name checks, a row a coordinator confirmed or corrected counting as known."""
    rows = review_rows(document, result)

    def checks(table: str) -> tuple[Check, ...]:
        return tuple("exact" if r.state else r.name_check for r in rows if r.table == table)

    return NameChecks(checks("anomalies"), checks("ine"))


def all_confirmed(document: Document, result: CompteRendu) -> bool:
    return all(r.state for r in review_rows(document, result))


def set_row(
    document: Document,
    result: CompteRendu,
    *,
    table: str,
    index: int,
    values: Mapping[str, str] | None,
    actor: str,
    now: dt.datetime,
) -> tuple[CompteRendu, str]:
    """Confirm a row (`values` None, or the values read) or correct it: the new result and
    the state the row took. ValueError (in French) for a row or a value that cannot be."""
    rows = rows_of(result).get(table)
    if rows is None or not 0 <= index < len(rows):
        raise ValueError("ligne introuvable dans ce compte rendu")
    row = rows[index]
    new = row if values is None else corrected_row(row, values)
    state = CONFIRMED if new == row else CORRECTED
    review = dict(document.review)
    review["rows"] = {
        **review.get("rows", {}),
        f"{table}:{index}": {"state": state, "by": actor, "at": now.isoformat()},
    }
    document.review = review
    if state == CONFIRMED:
        return result, state
    if isinstance(new, AnomalyRow):
        anomalies = tuple(new if i == index else r for i, r in enumerate(result.anomalies))
        return replace(result, anomalies=anomalies), state
    pupils = tuple(new if i == index else r for i, r in enumerate(result.ine.pupils))
    return replace(result, ine=replace(result.ine, pupils=pupils)), state


def drop_misread(session: Session, document: Document, keep: set[str]) -> int:
    """Delete the pupils this document created whose key it no longer has (a misread name
    corrected), with the anomalies it opened for them: they never existed."""
    phantoms = session.exec(
        select(Pupil).where(
            Pupil.school_id == document.school_id,
            Pupil.campaign_id == document.campaign_id,
            Pupil.last_document_id == document.id,
            Pupil.first_seen_at == document.received_at,
            Pupil.source == document.kind,
        )
    ).all()
    gone = [p.id for p in phantoms if p.match_key not in keep]
    if gone:
        session.exec(delete(Anomaly).where(col(Anomaly.pupil_id).in_(gone)))
        session.exec(delete(Pupil).where(col(Pupil.id).in_(gone)))
    return len(gone)


def row_message(document: Document, table: str, index: int, state: str) -> str:
    """The timeline's line (never a pupil's name)."""
    when = french_date(document.processed_at or document.received_at)
    done = "confirmée" if state == CONFIRMED else "corrigée"
    return (
        f"Compte rendu lu par OCR du {when} : ligne {index + 1} du {TABLES[table]} {done} "
        "par la coordination"
    )


def review_data(document: Document, table: str, index: int) -> dict[str, Any]:
    return {"document_id": document.id, "table": table, "row": index}


@dataclass(frozen=True)
class Review:
    """A compte rendu read by OCR waiting for the coordinator: its rows and its pages."""

    document: Document
    rows: list[ReviewRow]
    pages: list[int]  # page numbers (their images: `page_image`)
    warnings: tuple[str, ...]  # what the reading itself says is doubtful

    @property
    def to_check(self) -> int:
        return sum(1 for r in self.rows if not r.state)


def reviews_for(session: Session, *, school_id: int, campaign_id: int) -> list[Review]:
    """The school's comptes rendus read by OCR still waiting for review, newest first."""
    documents = session.exec(
        select(Document)
        .where(
            Document.school_id == school_id,
            Document.campaign_id == campaign_id,
            col(Document.ocr_unconfirmed).is_(True),
        )
        .order_by(col(Document.received_at).desc())
    ).all()
    found = []
    for document in documents:
        result = CompteRendu.from_json(document.result)
        pages = session.exec(
            select(DocumentPage.number)
            .where(DocumentPage.document_id == document.id)
            .order_by(col(DocumentPage.number))
        ).all()
        found.append(Review(document, review_rows(document, result), list(pages), result.warnings))
    return found


def page_image(session: Session, *, school_id: int, document_id: int, number: int) -> bytes | None:
    """A page of a document read by OCR (JPEG), when it is the school's."""
    page = session.exec(
        select(DocumentPage)
        .join(Document, col(Document.id) == DocumentPage.document_id)
        .where(
            DocumentPage.document_id == document_id,
            DocumentPage.number == number,
            Document.school_id == school_id,
        )
    ).first()
    return page.image if page else None


def ocr_unconfirmed(session: Session, *, school_id: int) -> list[Document]:
    """The school's comptes rendus read by OCR that the coordination has not checked yet."""
    return list(
        session.exec(
            select(Document)
            .where(Document.school_id == school_id, col(Document.ocr_unconfirmed).is_(True))
            .order_by(col(Document.received_at))
        )
    )
