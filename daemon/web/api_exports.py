"""`POST /api/v1/schools/{uai}/exports`: the school software or a script submits one school's
export archive `<UAI>.zip` and gets the check result back as JSON.

Authentication: `Authorization: Bearer <token>`, the installation's token (`web.api_token`,
any school) or the school's own (`web.school_tokens[UAI]`, that school only). The archive goes
through the one ingest path (`Intake.take_bytes`, channel "api", the school of the URL expected),
so it is recorded, or quarantined with its reason, exactly like a dropped file.
"""

from __future__ import annotations

import datetime as dt
import hmac
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from daemon.codes import InvalidUAI, parse_uai, printable
from daemon.ingest.exports.records import ArchiveCheck
from daemon.web.api import bearer
from daemon.web.api_school import ApiError, HeadcountOut
from daemon.web.common import intake_for, relance_app

router = APIRouter(tags=["API"])


class PupilOut(BaseModel):
    last_name: str
    first_name: str
    birth_date: dt.date | None


class FindingAnswer(BaseModel):
    id_eleve: str | None
    pupil: PupilOut | None
    member: str
    field: str
    message: str
    severity: str = Field(description="erreur, avertissement ou donnee_non_autorisee.")


class ExportAnswer(BaseModel):
    """The check of the archive, and what the intake did with it."""

    uai: str | None
    accepted: bool
    refusal: str | None = Field(description="Pourquoi l'archive est refusée (null : acceptée).")
    members: list[str]
    headcount: HeadcountOut | None
    findings: list[FindingAnswer]
    outcome: str = Field(description="processed, duplicate ou quarantined.")
    message: str


def _failed(description: str) -> dict[str, object]:
    return {"model": ApiError, "description": description}


def _error(status: int, message: str, **headers: str) -> JSONResponse:
    """An error in the shape of every other API answer (FastAPI's `detail`)."""
    return JSONResponse({"detail": message}, status_code=status, headers=headers or None)


def _same(given: str, expected: str) -> bool:
    return bool(expected) and hmac.compare_digest(given.encode(), expected.encode())


def authorise(request: Request, uai: str) -> JSONResponse | None:
    """None when the bearer token may submit for `uai`, else the refusal to send."""
    web = relance_app(request).settings.web
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        return _error(
            401, "jeton manquant (Authorization: Bearer …)", **{"WWW-Authenticate": "Bearer"}
        )
    if _same(token, web.api_token):
        return None
    tokens = {parse_uai_or_none(k) or k: v for k, v in web.school_tokens.items()}
    if _same(token, tokens.get(uai, "")):
        return None
    if any(_same(token, v) for v in tokens.values()):
        return _error(403, f"ce jeton n'autorise pas l'école {uai}")
    return _error(401, "jeton invalide", **{"WWW-Authenticate": 'Bearer error="invalid_token"'})


def parse_uai_or_none(raw: str) -> str | None:
    try:
        return parse_uai(raw)
    except InvalidUAI:
        return None


async def _body(request: Request, uai: str, limit: int) -> tuple[bytes, str] | JSONResponse:
    """The archive's bytes and file name: the raw body, or the `file` part of a form."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit + 64 * 1024:
        return _error(413, f"archive trop grosse (limite {limit // (1024 * 1024)} Mo)")
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("multipart/form-data"):
        form = await request.form()
        part = form.get("file")
        if not isinstance(part, UploadFile):
            return _error(400, "champ « file » absent du formulaire")
        data = await part.read(limit + 1)
        name = printable(Path(part.filename or "").name, 255) or f"{uai}.zip"
    else:
        chunks: list[bytes] = []
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:  # refused whole: never a truncated archive taken as the archive
                return _error(413, f"archive trop grosse (limite {limit // (1024 * 1024)} Mo)")
            chunks.append(chunk)
        data = b"".join(chunks)
        name = f"{uai}.zip"
    if len(data) > limit:
        return _error(413, f"archive trop grosse (limite {limit // (1024 * 1024)} Mo)")
    if not data:
        return _error(400, "corps de la requête vide : envoyez l'archive")
    if not name.lower().endswith(".zip"):
        return _error(415, f"« {name} » n'est pas une archive .zip")
    return data, name


@router.post(
    "/api/v1/schools/{uai}/exports",
    status_code=201,
    response_model=ExportAnswer,
    responses={
        201: {"model": ExportAnswer, "description": "Archive reçue : le résultat du contrôle"},
        400: _failed("Corps vide, ou champ « file » absent du formulaire"),
        401: _failed("Jeton manquant ou invalide"),
        403: _failed("Jeton d'une autre école"),
        404: _failed("UAI invalide"),
        413: _failed("Archive trop grosse"),
        415: _failed("Fichier qui n'est pas une archive .zip"),
        422: {
            "model": ExportAnswer,
            "description": "Archive refusée : le résultat du contrôle dit pourquoi",
        },
    },
    summary="Déposer l'archive d'export d'une école",
    openapi_extra={
        "requestBody": {
            "required": True,
            "description": "L'archive <UAI>.zip : le corps brut, ou la partie `file` d'un "
            "formulaire multipart.",
            "content": {
                "application/zip": {"schema": {"type": "string", "format": "binary"}},
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "properties": {"file": {"type": "string", "format": "binary"}},
                        "required": ["file"],
                    }
                },
            },
        }
    },
)
async def submit_export(
    request: Request,
    uai: str,
    _credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)] = None,
) -> JSONResponse:
    """Check and record a school's export archive; the answer is the check result."""
    wanted = parse_uai_or_none(uai)
    if wanted is None:
        return _error(404, f"UAI invalide : {printable(uai, 20)}")
    refused = authorise(request, wanted)
    if refused is not None:
        return refused
    app = relance_app(request)
    body = await _body(request, wanted, app.settings.web.max_upload_mb * 1024 * 1024)
    if isinstance(body, JSONResponse):
        return body
    data, name = body
    result = await run_in_threadpool(  # the check and the database are blocking work
        intake_for(request).take_bytes,
        data,
        filename=name,
        channel="api",
        now=app.now(),
        school_uai=wanted,
        actor="api",
    )
    detail = result.detail
    if not isinstance(detail, ArchiveCheck):  # refused before the check (empty, not a zip…)
        detail = ArchiveCheck.refused(result.uai, result.reason)
    accepted = result.outcome.recorded and detail.accepted
    answer = detail.as_json() | {"outcome": result.outcome, "message": result.message}
    return JSONResponse(answer, status_code=201 if accepted else 422)
