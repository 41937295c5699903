"""The JSON API (`/api/v1`): schools, their stage, counts per stage. Bearer-token access:
settings.web.api_token sees every school; a per-school token (settings.web.school_tokens)
sees only its school."""

from __future__ import annotations

import datetime as dt
import hmac
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field

from daemon.reminders.announce import announced
from daemon.reminders.sweep import campaign_context
from daemon.school.headcounts import headcounts
from daemon.school.stage import Stage
from daemon.web.api_school import SchoolFacts, answers, school_facts
from daemon.web.common import current_campaign, reading, relance_app
from db.dashboard import SchoolFilters, school_count, school_rows, stage_totals
from db.models import FollowUp, School
from db.school_file import school_file
from db.schools import get_school

router = APIRouter(prefix="/api/v1", tags=["API"])
bearer = HTTPBearer(auto_error=False, description="Jeton de l'API ou jeton d'une école.")


@dataclass(frozen=True)
class ApiClient:
    uai: str | None  # None: every school


def api_client(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> ApiClient:
    """Who calls: the district token, or one school's token."""
    denied = HTTPException(401, "Jeton absent ou invalide.", {"WWW-Authenticate": "Bearer"})
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise denied
    token = credentials.credentials.encode()
    web = relance_app(request).settings.web
    if web.api_token and hmac.compare_digest(token, web.api_token.encode()):
        return ApiClient(None)
    found: str | None = None
    for uai, school_token in web.school_tokens.items():
        if school_token and hmac.compare_digest(token, school_token.encode()):
            found = uai.upper()
    if found is None:
        raise denied
    return ApiClient(found)


Client = Annotated[ApiClient, Depends(api_client)]


class SchoolOut(BaseModel):
    uai: str = Field(description="Code UAI de l'école.")
    name: str
    commune: str
    circonscription: str
    contract: str
    stage: Stage = Field(description="Étape du constat de rentrée.")
    stage_label: str
    stage_reason: str
    stage_since: dt.datetime | None
    next_reminder_at: dt.datetime | None
    validated_at: dt.datetime | None


class SchoolPage(BaseModel):
    total: int
    offset: int
    limit: int
    schools: list[SchoolOut]


class StageCount(BaseModel):
    stage: Stage
    label: str
    count: int


class Counts(BaseModel):
    campaign: str
    total: int
    stages: list[StageCount]


def school_out(
    school: School, follow_up: FollowUp | None, next_reminder_at: dt.datetime | None
) -> SchoolOut:
    stage = Stage(follow_up.stage) if follow_up else Stage.AWAITING_EXPORT
    return SchoolOut(
        uai=school.uai,
        name=school.name,
        commune=school.commune,
        circonscription=school.circonscription,
        contract=school.contract,
        stage=stage,
        stage_label=stage.label,
        stage_reason=follow_up.stage_reason if follow_up else "",
        stage_since=follow_up.stage_since if follow_up else None,
        next_reminder_at=next_reminder_at,
        validated_at=follow_up.declared_validated_at if follow_up else None,
    )


@router.get(
    "/schools",
    response_model=SchoolPage,
    summary="Écoles et leur étape",
    responses=answers(401),
)
def list_schools(
    request: Request,
    client: Client,
    stage: Stage | None = None,
    circonscription: str = "",
    search: Annotated[str, Query(max_length=200)] = "",
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> SchoolPage:
    app = relance_app(request)
    filters = SchoolFilters(
        stage=stage.value if stage else "",
        circonscription=circonscription,
        search=search,
        uai=client.uai or "",
    )
    with reading(app.engine) as session:
        campaign = current_campaign(app, session)
        assert campaign.id is not None
        rows = school_rows(
            session, campaign_id=campaign.id, filters=filters, offset=offset, limit=limit
        )
        total = school_count(session, campaign_id=campaign.id, filters=filters)
        ctx, now = campaign_context(app, campaign), app.now()
    return SchoolPage(
        total=total,
        offset=offset,
        limit=limit,
        schools=[school_out(s, f, announced(s, f, ctx, now)) for s, f in rows],
    )


class SchoolDetail(SchoolOut, SchoolFacts):
    """One school: what the table says, and what its page shows."""


@router.get(
    "/schools/{uai}", response_model=SchoolDetail, summary="Une école", responses=answers(401, 404)
)
def one_school(request: Request, client: Client, uai: str) -> SchoolDetail:
    uai = uai.strip().upper()
    if client.uai is not None and client.uai != uai:
        raise HTTPException(404, "École inconnue.")
    app = relance_app(request)
    with reading(app.engine) as session:
        school = get_school(session, uai=uai)
        if school is None or school.id is None:
            raise HTTPException(404, "École inconnue.")
        campaign = current_campaign(app, session)
        assert campaign.id is not None
        found = school_file(session, school_id=school.id, campaign_id=campaign.id)
        follow_up = found.follow_up
        next_at = announced(school, follow_up, campaign_context(app, campaign), app.now())
        facts = school_facts(found, headcounts(found.submissions, found.documents))
        return SchoolDetail(**school_out(school, follow_up, next_at).model_dump(), **dict(facts))


@router.get(
    "/stages",
    response_model=Counts,
    summary="Nombre d'écoles par étape",
    responses=answers(401, 403),
)
def counts(request: Request, client: Client) -> Counts:
    if client.uai is not None:
        raise HTTPException(403, "Ce jeton ne donne accès qu'à une école.")
    app = relance_app(request)
    with reading(app.engine) as session:
        campaign = current_campaign(app, session)
        assert campaign.id is not None
        totals = stage_totals(session, campaign_id=campaign.id)
    stages = [StageCount(stage=s, label=s.label, count=totals.get(s.value, 0)) for s in Stage]
    return Counts(campaign=campaign.name, total=sum(totals.values()), stages=stages)
