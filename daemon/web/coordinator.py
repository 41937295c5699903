"""Coordinator pages (sign-in required): dashboard, school table, school page, quarantine."""

from __future__ import annotations

import datetime as dt
import logging
import math
from collections.abc import Iterator
from typing import Annotated, Any, BinaryIO, Literal
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import RedirectResponse, Response, StreamingResponse
from sqlmodel import Session

from daemon.app import App
from daemon.ingest.intake import quarantine
from daemon.ingest.intake.nofollow import Refused
from daemon.ingest.intake.scans import in_progress
from daemon.mailbox.replies import latest_reply
from daemon.reminders.announce import announced
from daemon.reminders.calendar import SchoolCalendar
from daemon.reminders.sweep import campaign_context
from daemon.school import actions
from daemon.school.headcounts import headcounts
from daemon.school.ocr_review import reviews_for
from daemon.school.open_items import INE_STATUS_LABELS
from daemon.school.stage import STAGE_ORDER, Stage, french_date
from daemon.web.auth import Coordinator, require_coordinator
from daemon.web.cache import TTLCache
from daemon.web.charts import SERIES, progress_svg
from daemon.web.common import (
    current_campaign,
    intake_for,
    reading,
    relance_app,
    viewed_campaign,
)
from daemon.web.csrf import verify_csrf
from daemon.web.csv_exports import csv_response
from daemon.web.render import render
from daemon.web.sessions import end_all_sessions
from daemon.web.stage_table import stage_rows
from db.attention import Attention, AttentionRow, needing_attention
from db.dashboard import (
    SchoolFilters,
    awaiting_confirmation_count,
    circonscriptions,
    contracts,
    nothing_scheduled,
    progress_by_day,
    quarantined,
    stage_counts,
)
from db.engine import transaction
from db.models import Campaign, FollowUp, School
from db.school_file import school_file, stored_original
from db.school_table import SORTS, Page, parse_cursor, school_total, table_page
from db.schools import get_school

log = logging.getLogger(__name__)
router = APIRouter(
    dependencies=[Depends(require_coordinator), Depends(verify_csrf)], include_in_schema=False
)

PER_PAGE = 50
CONTRACT_LABELS = {
    "association": "Sous contrat d'association",
    "simple": "Sous contrat simple",
    "hors": "Hors contrat",
    "sans_objet": "Sans objet (public)",
}
SORT_LABELS = {
    "uai": "UAI",
    "nom": "Nom",
    "commune": "Commune",
    "circonscription": "Circonscription",
    "etape": "Étape",
    "depuis": "Dans l'étape depuis",
    "relance": "Prochaine relance",
}
ACTIONS = {
    "pause": "Suspendre les relances",
    "confirmer": "Confirmer le constat",
    "relancer": "Relancer maintenant",
    "adresse": "Modifier l'adresse du directeur",
    "lien": "Renouveler le lien du directeur",
    "note": "Ajouter une note",
    "traite": "Marquer le problème signalé comme traité",
}
DONE = {
    "pause": "Relances suspendues.",
    "confirmer": "Constat confirmé.",
    "relancer": "Relance programmée : elle partira au prochain passage de l'envoi.",
    "adresse": "Adresse du directeur enregistrée : les anciens liens ne marchent plus.",
    "lien": "Lien renouvelé : les anciens liens ne marchent plus ; le prochain message porte "
    "le nouveau.",
    "note": "Note ajoutée.",
    "traite": "Problème signalé marqué comme traité.",
    "reprendre": "Fichier repris.",
    "supprimer": "Fichier écarté.",
    "ocr": "Ligne du compte rendu lu par OCR enregistrée.",
}


FINDING_LABELS = {
    "erreur": "erreur",
    "avertissement": "avertissement",
    "donnee_non_autorisee": "donnée non autorisée",
}
STAGE_COLUMNS = [(stage.value, stage.label) for stage in STAGE_ORDER]  # read once, not per cell
IDLE_SCHOOL_DAYS = 10  # « sans mouvement » after that many school days
ATTENTION_LABELS = {
    Attention.PROBLEM: "Problème signalé et sans réponse",
    Attention.ESCALATED: "Escaladée",
    Attention.EMAIL_FAILING: "Adresse du directeur en échec",
    Attention.NO_EMAIL: "Aucune adresse de directeur : aucune relance ne part",
    Attention.AWAITING_CONFIRMATION: "Constat déclaré validé, à confirmer",
    Attention.OCR_UNCONFIRMED: "Lu par OCR — à vérifier",
    Attention.TO_REVIEW: "Document à vérifier",
    Attention.OVERDUE: "Date limite dépassée",
    Attention.ERRORS: "Erreurs ouvertes",
    Attention.IDLE: f"Sans mouvement depuis {IDLE_SCHOOL_DAYS} jours de classe",
}


def attention_reason(row: AttentionRow) -> str:
    """Why the school is on the dashboard's list, in French: the ladder steps taken, the
    address's failure, the problem's category."""
    label = ATTENTION_LABELS[row.why]
    if not row.detail:
        return label
    if row.why is Attention.PROBLEM:
        return f"{label} ({PROBLEM_CATEGORY_LABELS.get(row.detail, row.detail)})"
    return (
        f"{label} ({row.detail})" if row.why is Attention.ESCALATED else f"{label} : {row.detail}"
    )


PROBLEM_CATEGORY_LABELS = {c.value: c.label for c in actions.ProblemCategory}


def _attention(session: Session, campaign: Campaign, now: dt.datetime) -> list[AttentionRow]:
    """The list, with « sans mouvement » counted in school days of the campaign's calendar."""
    assert campaign.id is not None
    calendar = SchoolCalendar.for_campaign(campaign, dt.time(0), dt.time(23, 59))
    today = calendar.local_day(now)
    idle_day = calendar.school_days_before(today, IDLE_SCHOOL_DAYS)
    return needing_attention(
        session,
        campaign_id=campaign.id,
        now=now,
        idle_since=dt.datetime.combine(idle_day, dt.time(0), calendar.timezone),
        overdue=today > campaign.deadline,
    )


def _zone(campaign: Campaign) -> ZoneInfo:
    return ZoneInfo(campaign.timezone or "Europe/Paris")


# ---- dashboard --------------------------------------------------------------------------------
# `?campagne=NAME`: a past campaign still kept, shown read only (the followed one by default)
CampaignChoice = Annotated[str, Query(alias="campagne", max_length=40)]


@router.get("/")
def dashboard(request: Request, user: Coordinator, campagne: CampaignChoice = "") -> Response:
    app = relance_app(request)
    now = app.now()
    with reading(app.engine) as session:
        view = viewed_campaign(app, session, campagne)
        campaign = view.campaign
        assert campaign.id is not None
        zone = _zone(campaign)
        today = now.astimezone(zone).date()
        deadline_end = dt.datetime.combine(
            campaign.deadline + dt.timedelta(days=1), dt.time(0), zone
        )
        cache: TTLCache = request.app.state.dashboard_cache
        campaign_id = campaign.id
        # ~50 ms at 45,000 schools even with covering indexes: memoised like the chart, and the
        # page says when the figures were computed
        counted_at, (district, per_circonscription) = cache.get(
            ("stages", campaign_id, deadline_end),
            lambda: (
                now,
                stage_counts(session, campaign_id=campaign_id, deadline_end=deadline_end),
            ),
        )
        chart_end = min(max(today, campaign.start), campaign.deadline + dt.timedelta(days=14))
        days = cache.get(
            ("progress", campaign_id, campaign.start, chart_end),
            lambda: progress_by_day(
                session, campaign_id=campaign_id, start=campaign.start, end=chart_end
            ),
        )
        to_act = {} if view.past else _to_act(session, cache, campaign, now)
    context = {
        "title": "Tableau de bord",
        "campaign": campaign,
        "view": view,
        "today": today,
        "days_to_observation": (campaign.observation_date - today).days,
        "days_to_deadline": (campaign.deadline - today).days,
        "district": district,
        "per_circonscription": per_circonscription,
        "stage_columns": STAGE_COLUMNS,
        "stage_rows": stage_rows(
            district,
            per_circonscription,
            [v for v, _l in STAGE_COLUMNS],
            campaign=campaign.name if view.past else "",
        ),
        "counted_at": counted_at,
        **_chart(days),
        **to_act,
        "attention_reason": attention_reason,
        "french_date": french_date,
    }
    return render(request, "dashboard.html", context)


def _to_act(
    session: Session, cache: TTLCache, campaign: Campaign, now: dt.datetime
) -> dict[str, Any]:
    """What the dashboard asks coordinators to act on (the campaign followed only)."""
    assert campaign.id is not None
    idle_count, idle = nothing_scheduled(session, campaign_id=campaign.id)
    return {
        "attention": cache.get(
            ("attention", campaign.id, now.replace(second=0, microsecond=0)),
            lambda: _attention(session, campaign, now),
        ),
        "to_confirm": awaiting_confirmation_count(session, campaign_id=campaign.id),
        "idle_count": idle_count,
        "idle": idle,
    }


def _chart(days: list[Any]) -> dict[str, Any]:
    """The progress chart of the dashboard and its legend's totals."""
    return {
        "chart": progress_svg(days),
        "series": SERIES,
        "chart_days": days,
        "totals": {
            "validated": sum(d.validated for d in days),
            "exported": sum(d.exported for d in days),
            "errors": sum(d.errors for d in days),
        },
    }


# ---- school table ------------------------------------------------------------------------------
def _table_page(
    session: Session,
    campaign_id: int,
    filters: SchoolFilters,
    numbers: tuple[int, int, int],
    after: str,
    before: str,
) -> tuple[Page, int]:
    """The page asked for and its number: after or before a cursor, the last page (its
    number, without a cursor: as many rows as remain), else the first."""
    page, pages, total = numbers
    cursor = parse_cursor(after or before, filters.sort) if after or before else None
    if cursor is not None and 1 < page <= pages:
        found = table_page(
            session,
            campaign_id=campaign_id,
            filters=filters,
            after=None if before else cursor,
            before=cursor if before else None,
            limit=PER_PAGE,
        )
        return found, page
    if page >= pages > 1:
        rest = total - (pages - 1) * PER_PAGE
        found = table_page(
            session, campaign_id=campaign_id, filters=filters, from_end=True, limit=rest
        )
        return found, pages
    return table_page(session, campaign_id=campaign_id, filters=filters, limit=PER_PAGE), 1


def _filters(
    etape: str = "",
    circonscription: str = "",
    contrat: str = "",
    q: str = "",
    tri: str = "uai",
    ordre: str = "asc",
    confirmation: str = "",
) -> SchoolFilters:
    stage = etape if etape in {s.value for s in Stage} else ""
    return SchoolFilters(
        stage=stage,
        circonscription=circonscription[:200],
        contract=contrat[:20],
        search=q[:200],
        sort=tri if tri in SORTS else "uai",
        descending=ordre == "desc",
        awaiting_confirmation=confirmation == "attente",
    )


Filters = Annotated[SchoolFilters, Depends(_filters)]


def _query_string(filters: SchoolFilters, **extra: Any) -> str:
    values = {
        "etape": filters.stage,
        "circonscription": filters.circonscription,
        "contrat": filters.contract,
        "q": filters.search,
        "tri": filters.sort,
        "ordre": "desc" if filters.descending else "asc",
        "confirmation": "attente" if filters.awaiting_confirmation else "",
    }
    values.update(extra)
    return urlencode({k: v for k, v in values.items() if v not in ("", None)})


@router.get("/ecoles")
def school_table(
    request: Request,
    user: Coordinator,
    filters: Filters,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    apres: Annotated[str, Query(max_length=2000)] = "",
    avant: Annotated[str, Query(max_length=2000)] = "",
    campagne: CampaignChoice = "",
) -> Response:
    """One page of the table, read by keyset: « Suivante » continues after the page's last
    row (`apres`), « Précédente » before its first (`avant`), « Dernière » from the end;
    `page` only numbers it."""
    app = relance_app(request)
    with reading(app.engine) as session:
        view = viewed_campaign(app, session, campagne)
        campaign = view.campaign
        assert campaign.id is not None
        total = school_total(session, campaign_id=campaign.id, filters=filters)
        pages = max(1, math.ceil(total / PER_PAGE))
        found, page = _table_page(session, campaign.id, filters, (page, pages, total), apres, avant)
        rows = found.rows
        ctx, now = campaign_context(app, campaign), app.now()
        # a past campaign is never swept: no next reminder to announce
        next_reminders = {s.uai: None if view.past else announced(s, f, ctx, now) for s, f in rows}
        cache: TTLCache = request.app.state.dashboard_cache
        all_circonscriptions = cache.get("circonscriptions", lambda: circonscriptions(session))
        all_contracts = cache.get("contracts", lambda: contracts(session))
    context = {
        "title": "Écoles",
        "view": view,
        "rows": rows,
        "next_reminders": next_reminders,
        "filters": filters,
        "total": total,
        "page": page,
        "pages": pages,
        "circonscriptions": all_circonscriptions,
        "contracts": all_contracts,
        "contract_labels": CONTRACT_LABELS,
        "sort_labels": SORT_LABELS,
        **_table_links(filters, campaign.name if view.past else "", (page, pages), found),
    }
    return render(request, "schools.html", context)


def _table_links(
    filters: SchoolFilters, campaign: str, numbers: tuple[int, int], found: Page
) -> dict[str, Any]:
    """The table's sort, page and CSV links, with its filters and the past campaign shown;
    « Précédente » and « Suivante » carry the cursor of the page's first or last row."""
    keep = {"campagne": campaign}
    page, pages = numbers

    def page_link(number: int, **cursor: str) -> str:
        shown = number if number > 1 else ""
        return "/ecoles?" + _query_string(filters, page=shown, **cursor, **keep)

    def sort_link(key: str) -> str:
        descending = filters.sort == key and not filters.descending
        order = "desc" if descending else "asc"
        return "/ecoles?" + _query_string(filters, tri=key, ordre=order, **keep)

    return {
        "sort_link": sort_link,
        "first_link": page_link(1),
        "previous_link": page_link(page - 1, avant=found.first.token) if found.first else "",
        "next_link": page_link(page + 1, apres=found.last.token) if found.last else "",
        "last_link": page_link(pages),
        "csv_link": "/ecoles.csv?" + _query_string(filters, **keep),
    }


CSV_COLUMNS = (
    "UAI",
    "Nom",
    "Commune",
    "Code postal",
    "Circonscription",
    "Contrat",
    "Étape",
    "Dans l'étape depuis",
    "Motif",
    "Prochaine relance",
    "Adresse du directeur",
)


@router.get("/ecoles.csv")
def school_csv(
    request: Request, user: Coordinator, filters: Filters, campagne: CampaignChoice = ""
) -> Response:
    app = relance_app(request)
    with reading(app.engine) as session:
        view = viewed_campaign(app, session, campagne)
        campaign = view.campaign
        assert campaign.id is not None
        zone = _zone(campaign)
        total = school_total(session, campaign_id=campaign.id, filters=filters)
        # the whole view in the page's own order (the same segments, read to the end)
        rows = table_page(session, campaign_id=campaign.id, filters=filters, limit=total).rows
    ctx, now = campaign_context(app, campaign), app.now()

    def moment(value: dt.datetime | None) -> str:
        return value.astimezone(zone).strftime("%d/%m/%Y %H:%M") if value else ""

    def line(school: School, follow_up: FollowUp | None) -> tuple[str, ...]:
        stage = Stage(follow_up.stage) if follow_up else Stage.AWAITING_EXPORT
        return (
            school.uai,
            school.name,
            school.commune,
            school.postal_code,
            school.circonscription,
            CONTRACT_LABELS.get(school.contract, school.contract),
            stage.label,
            moment(follow_up.stage_since if follow_up else None),
            follow_up.stage_reason if follow_up else "",
            "" if view.past else moment(announced(school, follow_up, ctx, now)),
            school.director_email,
        )

    day = app.now().astimezone(zone).date()
    name = f"ecoles-{campaign.name}-{day:%Y-%m-%d}" if view.past else f"ecoles-{day:%Y-%m-%d}"
    return csv_response(f"{name}.csv", CSV_COLUMNS, [line(*r) for r in rows])


# ---- one school --------------------------------------------------------------------------------
def _school_or_404(session: Session, uai: str) -> School:
    school = get_school(session, uai=uai.strip().upper()[:8])
    if school is None or school.id is None:
        raise HTTPException(404, "École inconnue.")
    return school


@router.get("/ecoles/{uai}")
def school_page(
    request: Request, user: Coordinator, uai: str, fait: str = "", campagne: CampaignChoice = ""
) -> Response:
    """The school's file in the campaign followed, or in a past one kept (read only)."""
    app = relance_app(request)
    with reading(app.engine) as session:
        school = _school_or_404(session, uai)
        view = viewed_campaign(app, session, campagne)
        campaign = view.campaign
        assert school.id is not None and campaign.id is not None
        found = school_file(session, school_id=school.id, campaign_id=campaign.id)
        reply = latest_reply(session, school=school)
        ocr_reviews = reviews_for(session, school_id=school.id, campaign_id=campaign.id)
        readings = in_progress(session, school_id=school.id)
    follow_up = found.follow_up
    now = app.now()
    context = {
        "title": f"{school.name} ({school.uai})",
        "view": view,
        "next_reminder": None
        if view.past
        else announced(school, follow_up, campaign_context(app, campaign), now),
        "headcounts": headcounts(found.submissions, found.documents),
        "finding_labels": FINDING_LABELS,
        "school": school,
        "campaign": campaign,
        "follow_up": follow_up,
        "stage": Stage(follow_up.stage) if follow_up else Stage.AWAITING_EXPORT,
        "events": found.events,
        "reply": reply,
        "submissions": found.submissions,
        "documents": found.documents,
        "ocr_reviews": ocr_reviews,
        "readings": readings,
        "open_anomalies": found.open_anomalies,
        "resolved_anomalies": found.resolved_anomalies,
        "pupils": found.pupils,
        "without_ine": found.without_ine,
        "reminders": found.mails,
        "actions": ACTIONS,
        "flash": DONE.get(fait, ""),
        "contract_labels": CONTRACT_LABELS,
        "ine_labels": INE_STATUS_LABELS,
        "problem_labels": {c.value: c.label for c in actions.ProblemCategory},
        "problem_unanswered": follow_up is not None and actions.problem_unanswered(follow_up),
        "max_snooze_days": app.settings.reminders.max_snooze_days,
        "today": now.astimezone(_zone(campaign)).date(),
    }
    return render(request, "school.html", context)


def _kept_file(request: Request, stored_path: str, filename: str) -> Response:
    """A kept original, streamed from a descriptor opened without following a link (a file
    swapped for a link after intake is refused, never served)."""
    try:
        handle = intake_for(request).store.open(stored_path)
    except Refused as refused:
        raise HTTPException(404, f"Fichier non disponible : {refused.reason}.") from refused
    return StreamingResponse(
        _chunks(handle),
        media_type="application/octet-stream",
        headers={"Content-Disposition": _attachment(filename)},
    )


def _chunks(handle: BinaryIO) -> Iterator[bytes]:
    with handle:
        while chunk := handle.read(256 * 1024):
            yield chunk


def _attachment(filename: str) -> str:
    ascii_name = filename.encode("ascii", "replace").decode().replace('"', "'").replace("?", "_")
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"


@router.get("/ecoles/{uai}/fichiers/{kind}/{file_id}")
def download(request: Request, user: Coordinator, uai: str, kind: str, file_id: int) -> Response:
    if kind not in FILE_KINDS:
        raise HTTPException(404)
    app = relance_app(request)
    with reading(app.engine) as session:
        school = _school_or_404(session, uai)
        assert school.id is not None
        row = stored_original(session, school_id=school.id, kind=FILE_KINDS[kind], file_id=file_id)
        if row is None:
            raise HTTPException(404, "Fichier introuvable.")
    return _kept_file(request, row.stored_path, row.filename)


FILE_KINDS: dict[str, Literal["document", "submission"]] = {
    "document": "document",
    "envoi": "submission",
}


def _action_or_404(action: str) -> str:
    if action not in ACTIONS:
        raise HTTPException(404, "Action inconnue.")
    return action


def _parse_day(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        return None


@router.get("/ecoles/{uai}/actions/{action}")
def confirm_action(
    request: Request,
    user: Coordinator,
    uai: str,
    action: str,
    jusquau: str = "",
    adresse: Annotated[str, Query(max_length=254)] = "",
    note: Annotated[str, Query(max_length=900)] = "",
) -> Response:
    """The confirm step: what will be done, and a POST form to do it."""
    _action_or_404(action)
    app = relance_app(request)
    with reading(app.engine) as session:
        school = _school_or_404(session, uai)
        campaign = current_campaign(app, session)
    return _confirm_page(request, school, campaign, action, jusquau, adresse, note)


def _confirm_page(
    request: Request,
    school: School,
    campaign: Campaign,
    action: str,
    until: str,
    email: str,
    note: str,
    error: str = "",
) -> Response:
    day = _parse_day(until)
    context = {
        "title": ACTIONS[action],
        "school": school,
        "action": action,
        "action_label": ACTIONS[action],
        "until": until,
        "until_label": french_date(day) if day else "",
        "email": email,
        "note": note,
        "error": error,
    }
    return render(request, "confirm_action.html", context, status=400 if error else 200)


def _act(
    app: App,
    session: Session,
    school: School,
    campaign: Campaign,
    action: str,
    form: tuple[str, str, str],
    now: dt.datetime,
    actor: str,
) -> None:
    """Do one of `ACTIONS` (`form`: the day to resume, the address, the note)."""
    until_day, email, note = form
    if action == "pause":
        day = _parse_day(until_day)
        if day is None:
            raise actions.ActionRefused("indiquez la date de reprise des relances")
        reminders = app.settings.reminders
        until = dt.datetime.combine(day, reminders.window_start, _zone(campaign))
        actions.snooze(
            session,
            school=school,
            campaign=campaign,
            until=until,
            now=now,
            max_days=reminders.max_snooze_days,
            actor=actor,
        )
    elif action == "confirmer":
        actions.confirm_validation(session, school=school, campaign=campaign, now=now, actor=actor)
    elif action == "relancer":
        actions.resend_now(session, school=school, campaign=campaign, now=now, actor=actor)
    elif action == "adresse":
        actions.set_director_email(session, school=school, email=email, now=now, actor=actor)
    elif action == "lien":
        actions.renew_link(session, school=school, now=now, actor=actor)
    elif action == "note":
        actions.add_note(session, school=school, campaign=campaign, text=note, now=now, actor=actor)
    elif action == "traite":
        actions.answer_problem(session, school=school, campaign=campaign, now=now, actor=actor)


@router.post("/ecoles/{uai}/actions/{action}")
def do_action(
    request: Request,
    user: Coordinator,
    uai: str,
    action: str,
    jusquau: Annotated[str, Form(max_length=20)] = "",
    adresse: Annotated[str, Form(max_length=254)] = "",
    note: Annotated[str, Form(max_length=900)] = "",
) -> Response:
    _action_or_404(action)
    app = relance_app(request)
    now = app.now()
    actor = user.email
    try:
        with transaction(app.engine) as session:
            school = _school_or_404(session, uai)
            campaign = current_campaign(app, session)
            campaign = session.merge(campaign)
            _act(app, session, school, campaign, action, (jusquau, adresse, note), now, actor)
    except actions.ActionRefused as exc:
        with reading(app.engine) as session:
            school = _school_or_404(session, uai)
            campaign = current_campaign(app, session)
        message = str(exc)
        return _confirm_page(
            request,
            school,
            campaign,
            action,
            jusquau,
            adresse,
            note,
            error=message[:1].upper() + message[1:] + ".",
        )
    request.app.state.dashboard_cache.clear()
    return RedirectResponse(f"/ecoles/{school.uai}?fait={action}", status_code=303)


# ---- quarantine --------------------------------------------------------------------------------
QUARANTINE_ACTIONS = {"reprendre": "Reprendre le fichier", "supprimer": "Écarter le fichier"}


@router.get("/quarantaine")
def quarantine_page(request: Request, user: Coordinator, fait: str = "") -> Response:
    app = relance_app(request)
    with reading(app.engine) as session:
        rows = quarantined(session)
    return render(
        request,
        "quarantine.html",
        {"title": "Fichiers en quarantaine", "rows": rows, "flash": DONE.get(fait, "")},
    )


def _quarantined_or_404(session: Session, intake_id: int) -> quarantine.QuarantinedFile:
    try:
        return quarantine.quarantined_file(session, intake_id)
    except quarantine.NotQuarantined as exc:
        raise HTTPException(404, str(exc)) from exc


@router.get("/quarantaine/{intake_id}/fichier")
def quarantine_download(request: Request, user: Coordinator, intake_id: int) -> Response:
    app = relance_app(request)
    with reading(app.engine) as session:
        found = _quarantined_or_404(session, intake_id)
    return _kept_file(request, found.row.stored_path, found.row.original_name)


@router.get("/quarantaine/{intake_id}/{action}")
def quarantine_confirm(
    request: Request, user: Coordinator, intake_id: int, action: str
) -> Response:
    if action not in QUARANTINE_ACTIONS:
        raise HTTPException(404, "Action inconnue.")
    app = relance_app(request)
    with reading(app.engine) as session:
        found = _quarantined_or_404(session, intake_id)
    context = {
        "title": QUARANTINE_ACTIONS[action],
        "row": found.row,
        "school": found.school,
        "given": found.given,
        "origin": found.origin,
        "action": action,
        "action_label": QUARANTINE_ACTIONS[action],
    }
    return render(request, "confirm_quarantine.html", context)


@router.post("/quarantaine/{intake_id}/{action}")
def quarantine_act(request: Request, user: Coordinator, intake_id: int, action: str) -> Response:
    """« Reprendre » and « écarter » are the intake's (`ingest.intake.quarantine`)."""
    if action not in QUARANTINE_ACTIONS:
        raise HTTPException(404, "Action inconnue.")
    intake, now = intake_for(request), relance_app(request).now()
    try:
        if action == "supprimer":
            quarantine.discard(intake, intake_id, now=now, actor=user.email)
            return RedirectResponse("/quarantaine?fait=supprimer", status_code=303)
        with reading(intake.app.engine) as session:
            row = _quarantined_or_404(session, intake_id).row
        result = quarantine.retry(intake, intake_id, now=now, actor=user.email)
    except quarantine.NotQuarantined as exc:
        raise HTTPException(404, str(exc)) from exc
    request.app.state.dashboard_cache.clear()
    return render(
        request,
        "quarantine_result.html",
        {"title": "Fichier repris", "row": row, "result": result},
    )


# ---- the account ---------------------------------------------------------------------------------
@router.post("/deconnexion/partout")
def logout_everywhere(request: Request, user: Coordinator) -> Response:
    """« Fermer toutes mes sessions »: every session of the account ends, this one too."""
    app = relance_app(request)
    assert user.id is not None
    with transaction(app.engine) as session:
        ended = end_all_sessions(session, user_id=user.id, now=app.now())
    log.info("web: %d sessions of account %d ended by its owner", ended, user.id)
    request.session.clear()
    return RedirectResponse("/connexion?fermees=1", status_code=303)
