"""Comptes rendus read by OCR, on the coordinator's school page: the pages as OCR saw them
beside the rows read, and one button per row that confirms it as read or saves it corrected
(the values in its form, changed or not). The work is the school room's
(`daemon.school.ocr_confirm.confirm_ocr_row`); this router shows and posts."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session

from daemon.school.ocr_confirm import confirm_ocr_row
from daemon.school.ocr_review import page_image
from daemon.web.auth import Coordinator, require_coordinator
from daemon.web.common import current_campaign, reading, relance_app
from daemon.web.csrf import verify_csrf
from daemon.web.render import render
from db.engine import transaction
from db.models import School
from db.schools import get_school

router = APIRouter(
    dependencies=[Depends(require_coordinator), Depends(verify_csrf)], include_in_schema=False
)
ROW_FIELDS = ("last_name", "first_name", "birth_date", "field", "message", "severity")
INE_FIELDS = ("last_name", "first_name", "birth_date", "status", "ine")
Text = Annotated[str | None, Form(max_length=1000)]


@router.get("/ecoles/{uai}/ocr/{document_id}/pages/{number}")
def page(request: Request, user: Coordinator, uai: str, document_id: int, number: int) -> Response:
    """A page of a compte rendu read by OCR, as OCR saw it (upright and straight)."""
    app = relance_app(request)
    with reading(app.engine) as session:
        school = get_school(session, uai=uai.strip().upper()[:8])
        if school is None or school.id is None:
            raise HTTPException(404, "École inconnue.")
        image = page_image(session, school_id=school.id, document_id=document_id, number=number)
    if image is None:
        raise HTTPException(404, "Page introuvable.")
    return Response(image, media_type="image/jpeg", headers={"Cache-Control": "private"})


@router.post("/ecoles/{uai}/ocr/{document_id}/lignes")
def review_row(
    request: Request,
    user: Coordinator,
    uai: str,
    document_id: int,
    table: Annotated[str, Form(max_length=20)],
    index: Annotated[int, Form(ge=0, le=10_000)] = 0,
    last_name: Text = None,
    first_name: Text = None,
    birth_date: Text = None,
    field: Text = None,
    message: Text = None,
    severity: Text = None,
    status: Text = None,
    ine: Text = None,
) -> Response:
    """One click: the row confirmed as read, or saved with the values corrected."""
    app = relance_app(request)
    given = {
        "last_name": last_name,
        "first_name": first_name,
        "birth_date": birth_date,
        "field": field,
        "message": message,
        "severity": severity,
        "status": status,
        "ine": ine,
    }
    wanted = ROW_FIELDS if table == "anomalies" else INE_FIELDS
    values = {k: v for k, v in given.items() if k in wanted and v is not None}
    try:
        with transaction(app.engine) as session:
            school = _school(session, uai)
            confirm_ocr_row(
                session,
                school=school,
                campaign=session.merge(current_campaign(app, session)),
                document_id=document_id,
                table=table,
                index=index,
                values=values or None,
                actor=user.email,
                now=app.now(),
            )
    except ValueError as exc:
        return _refused(request, str(exc), f"/ecoles/{uai}#ocr-{document_id}")
    request.app.state.dashboard_cache.clear()
    return RedirectResponse(f"/ecoles/{school.uai}?fait=ocr#ocr-{document_id}", status_code=303)


def _school(session: Session, uai: str) -> School:
    school = get_school(session, uai=uai.strip().upper()[:8])
    if school is None:
        raise HTTPException(404, "École inconnue.")
    return school


def _refused(request: Request, text: str, back: str) -> Response:
    context = {
        "title": "Ligne non enregistrée",
        "message": text[:1].upper() + text[1:] + ".",
        "status": 400,
        "back": back,
    }
    return render(request, "error.html", context, status=400)
