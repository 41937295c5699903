"""The director's page: reached from the signed link of a mail, scoped to one school and one
campaign, expiring. It shows what is open and the next step, and offers four actions — drop a
file, "relancez-moi le …", "j'ai un problème", "j'ai validé le constat" — each a POST form with a
confirm step (design note 8: a link never acts by itself).

The school always comes from the token, never from the request: a link for one school cannot
read or act on another. The token leaves the address at once: the link's first visit puts it in
the session cookie (HttpOnly, for `web.link_session_minutes`) and redirects to `/ecole`, so
that the pages, their forms and what a proxy logs carry no token. A link is revoked when the
school's link version moves on (a new director address, « renouveler le lien »). Files go
through the one ingest path, `Intake.take_bytes`, with the channel "page" and the link's
school.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Form, HTTPException, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session

from daemon.app import App
from daemon.codes import printable
from daemon.ingest.exports.records import ERROR, WARNING, ArchiveCheck
from daemon.ingest.intake.intake import IntakeResult
from daemon.ingest.intake.kinds import ACCEPTED, upload_refusal
from daemon.ingest.intake.scans import in_progress
from daemon.ingest.intake.staging import StagingRefused
from daemon.ingest.reports.records import CompteRendu, Report
from daemon.reminders.problem import recipient_for, report_sentence, route_problem
from daemon.school.actions import (
    PROBLEM_LABELS,
    ActionRefused,
    ProblemCategory,
    declare_validated,
    snooze,
)
from daemon.school.links import LinkInvalid, SchoolLink, read_token, secret_key
from daemon.school.ocr_review import ocr_unconfirmed
from daemon.school.open_items import OpenItems, load_open_items
from daemon.school.stage import Stage, french_date
from daemon.web.common import current_campaign, intake_for, relance_app, staging_for
from daemon.web.csrf import verify_csrf
from daemon.web.render import render
from daemon.wording import plural
from db.engine import reading, transaction
from db.models import Campaign, School
from db.schools import get_school
from db.states import IntakeOutcome

log = logging.getLogger(__name__)


ACTOR = "direction (page de l'école)"
FORM_OVERHEAD = 64 * 1024  # the multipart envelope and the other fields of the form


def limit_body(request: Request) -> None:
    """Refuse a body larger than the upload limit from its declared length, before the form
    (and the file in it) is read for the CSRF check."""
    declared = request.headers.get("content-length", "")
    limit = relance_app(request).settings.web.max_upload_mb * 1024 * 1024
    if declared.isdigit() and int(declared) > limit + FORM_OVERHEAD:
        raise HTTPException(413, f"Le fichier dépasse la limite de {limit // (1024 * 1024)} Mo.")


router = APIRouter(
    dependencies=[Depends(limit_body), Depends(verify_csrf)], include_in_schema=False
)
DONE_MESSAGES = {
    "relance": "C'est noté : nous ne vous relancerons pas avant la date choisie.",
    "probleme": "Votre problème est enregistré.",
    "valide": "Merci ! Le constat est noté comme validé : les relances s'arrêtent.",
}
KIND_LABELS = {
    "compte_rendu": "compte rendu d'import",
    "onde_extraction": "extraction ONDE",
    "export": "archive d'export",
}
FEMININE_KINDS = {"onde_extraction", "export"}
# A scan or a photo: read by OCR in a worker, the result shown on the school's page.
READING_WORDS = (
    "reçu. C'est un scan ou une photo : il est en cours de lecture, et le résultat "
    "apparaîtra sur la page de votre école dans quelques minutes"
)
# What became of a file, agreeing with its kind (« archive reçue et lue », « fichier non retenu »).
OUTCOME_WORDS = {
    "processed": ("reçu et lu", "reçue et lue"),
    "duplicate": ("déjà reçu, rien de nouveau", "déjà reçue, rien de nouveau"),
    "quarantined": ("non retenu", "non retenue"),
    "ignored": ("ignoré", "ignorée"),
    "reading": (READING_WORDS, READING_WORDS),
}
OUTCOME_LABELS = {
    IntakeOutcome.PROCESSED: "Fichier reçu et lu",
    IntakeOutcome.DUPLICATE: "Fichier déjà reçu",
    IntakeOutcome.QUARANTINED: "Fichier non retenu",
    IntakeOutcome.IGNORED: "Fichier ignoré",
    IntakeOutcome.READING: "Compte rendu en cours de lecture",
}


class PageError(Exception):
    """Stop here and show a French page with this status."""

    def __init__(self, status: int, title: str, message: str) -> None:
        super().__init__(message)
        self.status, self.title, self.message = status, title, message


@dataclass
class Scope:
    """What a valid link opens: one school in one campaign."""

    token: str
    app: App
    school: School
    campaign: Campaign
    now: dt.datetime

    @property
    def base(self) -> str:
        return PAGE


# ---- the link -------------------------------------------------------------------------------
PAGE = "/ecole"
LINK_KEY, LINK_AT = "ecole", "ecole_depuis"  # the link's token in the session, and since when
ACTIONS = {"depot", "relance", "probleme", "valide"}
NO_LINK = PageError(
    401,
    "Lien à ouvrir",
    "ouvrez le lien du dernier message reçu pour accéder à la page de votre école",
)


def open_link(request: Request, token: str) -> Scope:
    app = relance_app(request)
    now = app.now()
    try:
        link = read_token(
            secret_key(app.settings),
            token,
            max_age_days=app.settings.web.link_ttl_days,
            now=now,
        )
    except LinkInvalid as exc:
        if exc.expired:
            raise PageError(410, "Lien expiré", str(exc)) from exc
        raise PageError(403, "Lien invalide", str(exc)) from exc
    return _scope(app, token, link, now)


def linked(request: Request) -> Scope:
    """The school of the link opened in this browser (kept in its session for a while)."""
    token, since = request.session.get(LINK_KEY), request.session.get(LINK_AT)
    if not isinstance(token, str) or not isinstance(since, str):
        raise NO_LINK
    app = relance_app(request)
    minutes = app.settings.web.link_session_minutes
    try:
        opened = dt.datetime.fromisoformat(since)
    except ValueError as exc:
        raise NO_LINK from exc
    if app.now() - opened > dt.timedelta(minutes=minutes):
        raise PageError(
            401, "Session terminée", "ouvrez de nouveau le lien du dernier message reçu"
        )
    return open_link(request, token)


def _scope(app: App, token: str, link: SchoolLink, now: dt.datetime) -> Scope:
    with reading(app.engine) as session:
        campaign = current_campaign(app, session)  # a new school year's once it is opened
        if link.campaign != campaign.name:
            raise PageError(
                410,
                "Lien d'une campagne terminée",
                "ce lien concerne une campagne terminée : utilisez celui du dernier message reçu",
            )
        school = get_school(session, uai=link.uai)
        if school is None or not school.active:
            raise PageError(
                403, "École inconnue", "cette école n'est plus suivie : contactez la coordination"
            )
        for row in (school, campaign):  # kept readable after the reading session ends
            if row in session:
                session.expunge(row)
    if link.version != school.link_version:
        raise PageError(
            410,
            "Lien remplacé",
            "ce lien a été remplacé par un plus récent : utilisez celui du dernier message reçu",
        )
    return Scope(token, app, school, campaign, now)


def error_page(request: Request, error: PageError) -> Response:
    return render(
        request,
        "director/error.html",
        {"title": error.title, "message": error.message},
        status=error.status,
    )


# ---- the page -------------------------------------------------------------------------------
@router.api_route("/ecole/{token}", methods=["GET", "HEAD"])
def link_visit(request: Request, token: str) -> Response:
    """The link of a mail: checked, kept in the session, and the token out of the address.
    A `HEAD` (mail scanners check links so) gets the same answer without opening anything."""
    if token in ACTIONS:  # `GET /ecole/relance`: an action's address, not a link
        raise HTTPException(405, "Cette adresse ne s'utilise pas ainsi.")
    try:
        scope = open_link(request, token)
    except PageError as error:
        return error_page(request, error)
    if request.method != "HEAD":
        request.session[LINK_KEY] = scope.token
        request.session[LINK_AT] = scope.now.isoformat()
    return RedirectResponse(PAGE, status_code=303)


@router.api_route(PAGE, methods=["GET", "HEAD"])
def school_page(request: Request, fait: str = "") -> Response:
    try:
        scope = linked(request)
    except PageError as error:
        return error_page(request, error)
    done = DONE_MESSAGES.get(fait, "")
    if fait == "probleme":
        with reading(scope.app.engine) as session:
            done = report_sentence(session, school=scope.school, campaign=scope.campaign) or done
    return _page(request, scope, done=done)


def _page(
    request: Request,
    scope: Scope,
    *,
    done: str = "",
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    settings = scope.app.settings
    items = _open_items(scope)
    with reading(scope.app.engine) as session:
        scans, checking = _ocr_status(session, scope.school)
    zone = ZoneInfo(scope.campaign.timezone)
    today = scope.now.astimezone(zone).date()
    latest_snooze = today + dt.timedelta(days=settings.reminders.max_snooze_days)
    return render(
        request,
        "director/page.html",
        {
            "title": f"{scope.school.name} ({scope.school.uai})",
            "scope": scope,
            "school": scope.school,
            "campaign": scope.campaign,
            "items": items,
            "stage_label": items.stage.stage.label,
            "validated": items.stage.stage == Stage.VALIDATED,
            "observation_date": french_date(scope.campaign.observation_date),
            "deadline": french_date(scope.campaign.deadline),
            "snoozed_until": french_date(items.snoozed_until) if items.snoozed_until else "",
            "snooze_min": (today + dt.timedelta(days=1)).isoformat(),
            "snooze_max": latest_snooze.isoformat(),
            "max_snooze_days": settings.reminders.max_snooze_days,
            "max_upload_mb": settings.web.max_upload_mb,
            "accept": ",".join(ACCEPTED),
            "categories": [(c.value, PROBLEM_LABELS[c]) for c in ProblemCategory],
            "done": done,
            "errors": errors or {},
            "french_date": french_date,
            "scans": scans,
            "checking": checking,
        },
        status=status,
    )


def _ocr_status(
    session: Session, school: School
) -> tuple[list[str], list[tuple[str, dt.datetime]]]:
    """The school's scans « en cours de lecture », and those read by OCR that the coordination
    is checking (name, date received)."""
    assert school.id is not None
    scans = [r.original_name for r in in_progress(session, school_id=school.id)]
    checking = [(d.filename, d.received_at) for d in ocr_unconfirmed(session, school_id=school.id)]
    return scans, checking


# ---- dropping a file: stage it, confirm, then the one ingest path ---------------------------


def read_limited(upload: UploadFile, limit: int) -> bytes | None:
    """The upload's bytes, or None when it is larger than `limit`."""
    chunks: list[bytes] = []
    size = 0
    while chunk := upload.file.read(256 * 1024):
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _too_big(scope: Scope) -> PageError:
    mb = scope.app.settings.web.max_upload_mb
    return PageError(413, "Fichier trop gros", f"le fichier dépasse la limite de {mb} Mo")


@router.post(PAGE + "/depot")
def stage_upload(request: Request, fichier: UploadFile | None = None) -> Response:
    try:
        scope = linked(request)
        limit = scope.app.settings.web.max_upload_mb * 1024 * 1024
        if fichier is None or not fichier.filename:
            return _page(
                request, scope, errors={"depot": "choisissez un fichier à déposer"}, status=422
            )
        filename = printable(Path(fichier.filename).name, 255) or "fichier"
        data = read_limited(fichier, limit)
        if data is None:
            raise _too_big(scope)
        if not data:
            return _page(request, scope, errors={"depot": "le fichier est vide"}, status=422)
        wrong = upload_refusal(filename, data[:4096])
        if wrong:
            return _page(request, scope, errors={"depot": wrong}, status=415)
    except PageError as error:
        return error_page(request, error)
    try:
        staged = staging_for(request).stage(
            scope.school.uai, filename, data, at=scope.now.isoformat()
        )
    except StagingRefused as refused:
        return _page(request, scope, errors={"depot": str(refused)}, status=413)
    return _confirm(
        request,
        scope,
        action="depot/confirmer",
        question=f"Déposer le fichier « {filename} » ({_size(len(data))}) pour votre école ?",
        explain="Le fichier sera lu tout de suite et le résultat affiché.",
        fields={"fichier_id": staged},
        button="Oui, déposer ce fichier",
    )


@router.post(PAGE + "/depot/confirmer")
def take_upload(request: Request, fichier_id: str = Form("")) -> Response:
    try:
        scope = linked(request)
    except PageError as error:
        return error_page(request, error)
    waiting = staging_for(request).take(scope.school.uai, fichier_id)
    if waiting is None:
        return _page(
            request,
            scope,
            errors={"depot": "fichier introuvable ou déjà déposé : choisissez-le à nouveau"},
            status=404,
        )
    filename, data = waiting
    result = intake_for(request).take_bytes(
        data,
        filename=filename,
        channel="page",
        now=scope.now,
        school_uai=scope.school.uai,
        actor=ACTOR,
    )
    return _upload_result(request, scope, result)


def _open_items(scope: Scope) -> OpenItems:
    """What is still open for the link's school, now."""
    with reading(scope.app.engine) as session:
        return load_open_items(
            session,
            school=scope.school,
            campaign=scope.campaign,
            contacts=scope.app.settings.contacts,
            onde_url=scope.app.settings.contacts.onde_url,
            now=scope.now,
        )


def _upload_result(request: Request, scope: Scope, result: IntakeResult) -> Response:
    items = _open_items(scope)
    accepted = result.outcome.recorded or result.outcome is IntakeOutcome.READING
    return render(
        request,
        "director/result.html",
        {
            "title": OUTCOME_LABELS.get(result.outcome, result.outcome),
            "scope": scope,
            "school": scope.school,
            "result": result,
            "accepted": accepted,
            "outcome_line": outcome_line(result),
            "summary": _summary(result),
            "items": items,
            "stage_label": items.stage.stage.label,
        },
        status=200 if accepted else 422,
    )


def outcome_line(result: IntakeResult) -> str:
    """« Archive d'export « 0441234C.zip » : reçue et lue. », the words agreeing with the kind."""
    label = KIND_LABELS.get(result.kind, "fichier")
    masculine, feminine = OUTCOME_WORDS.get(result.outcome, ("traité", "traitée"))
    words = feminine if result.kind in FEMININE_KINDS else masculine
    return f"{label[:1].upper()}{label[1:]} « {result.filename} » : {words}."


def _summary(result: IntakeResult) -> list[str]:
    """What was read, in a few French lines (no pupil names: those are in the tables)."""
    detail = result.detail
    if isinstance(detail, ArchiveCheck):
        return _check_summary(detail)
    return [] if detail is None else _report_summary(detail)


def _check_summary(check: ArchiveCheck) -> list[str]:
    lines: list[str] = []
    if check.headcount is not None:
        lines.append(f"{plural(check.headcount.total, 'élève')} dans l'archive")
    if check.findings:
        errors, warnings = check.count(ERROR), check.count(WARNING)
        lines.append(
            f"Test de cohérence : {plural(errors, 'erreur')}, {plural(warnings, 'avertissement')}"
        )
    return lines


def _report_summary(report: Report) -> list[str]:
    lines: list[str] = []
    if isinstance(report, CompteRendu):
        counts = report.counts
        for value, singular, plural_form in (
            (counts.read, "élève lu", "élèves lus"),
            (counts.integrated, "élève intégré", "élèves intégrés"),
            (counts.rejected, "élève rejeté", "élèves rejetés"),
            (counts.warnings, "avertissement", "avertissements"),
        ):
            if value is not None:
                lines.append(plural(value, singular, plural_form))
        lines.append(plural(len(report.anomalies), "anomalie signalée", "anomalies signalées"))
        if report.ine.pending is not None:
            lines.append(
                plural(report.ine.pending, "élève sans INE attribué", "élèves sans INE attribué")
            )
    else:
        lines.append(f"{plural(len(report.pupils), 'élève')} dans l'extraction")
    if report.needs_review:
        lines.append(
            "Une partie du document n'a pas pu être lue avec certitude : la coordination vérifiera."
        )
    return lines


def _size(size: int) -> str:
    if size < 1024 * 1024:
        return f"{max(1, size // 1024)} Ko"
    return f"{size / (1024 * 1024):.1f} Mo".replace(".", ",")


# ---- the three actions: first POST asks, second POST (confirmer=oui) acts --------------------
def _confirm(
    request: Request,
    scope: Scope,
    *,
    action: str,
    question: str,
    explain: str,
    fields: dict[str, str],
    button: str,
    warning: str = "",
) -> Response:
    return render(
        request,
        "director/confirm.html",
        {
            "title": "Confirmer",
            "scope": scope,
            "school": scope.school,
            "action": f"{scope.base}/{action}",
            "question": question,
            "explain": explain,
            "fields": fields,
            "button": button,
            "warning": warning,
        },
    )


def _still_open(scope: Scope) -> str:
    """What relance still sees open, said before a director declares the constat validated
    (still allowed: ONDE is the authority)."""
    items = _open_items(scope)
    if not items.summary:
        return ""
    return (
        f"D'après les derniers documents reçus, il reste {items.summary}. Si ONDE a bien "
        "validé votre constat, confirmez : ONDE fait foi."
    )


def _done(scope: Scope, what: str) -> Response:
    return RedirectResponse(f"{scope.base}?fait={what}", status_code=303)


def _snooze_until(raw: str, scope: Scope) -> dt.datetime:
    try:
        day = dt.date.fromisoformat(raw.strip())
    except ValueError as exc:
        raise ActionRefused("indiquez une date (jj/mm/aaaa)") from exc
    # Reminders go out from the sending window's start on the chosen day.
    start = scope.app.settings.reminders.window_start
    return dt.datetime.combine(day, start, ZoneInfo(scope.campaign.timezone)).astimezone(dt.UTC)


@router.post(PAGE + "/relance")
def snooze_form(request: Request, date: str = Form(""), confirmer: str = Form("")) -> Response:
    try:
        scope = linked(request)
    except PageError as error:
        return error_page(request, error)
    settings = scope.app.settings
    try:
        until = _snooze_until(date, scope)
        if confirmer != "oui":
            # check before asking: the same rules as the action itself
            if until <= scope.now:
                raise ActionRefused("la date de relance doit être dans le futur")
            if until - scope.now > dt.timedelta(days=settings.reminders.max_snooze_days):
                raise ActionRefused(f"au plus {settings.reminders.max_snooze_days} jours de pause")
            return _confirm(
                request,
                scope,
                action="relance",
                question=f"Ne plus recevoir de relance avant le {french_date(until)} ?",
                explain="Vous vous occupez du constat ; nous vous relancerons ce jour-là "
                "s'il reste quelque chose à faire.",
                fields={
                    "date": until.astimezone(ZoneInfo(scope.campaign.timezone)).date().isoformat()
                },
                button="Oui, me relancer à cette date",
            )
        with transaction(scope.app.engine) as session:
            snooze(
                session,
                school=_attached(session, scope.school),
                campaign=_attached(session, scope.campaign),
                until=until,
                now=scope.now,
                max_days=settings.reminders.max_snooze_days,
                actor=ACTOR,
            )
    except ActionRefused as refused:
        return _page(request, scope, errors={"relance": str(refused)}, status=422)
    return _done(scope, "relance")


@router.post(PAGE + "/probleme")
def problem_form(
    request: Request,
    categorie: str = Form(""),
    detail: str = Form(""),
    confirmer: str = Form(""),
) -> Response:
    try:
        scope = linked(request)
    except PageError as error:
        return error_page(request, error)
    try:
        category = ProblemCategory(categorie)
    except ValueError:
        return _page(
            request, scope, errors={"probleme": "choisissez le type de problème"}, status=422
        )
    detail = detail.strip()[:2000]
    if confirmer != "oui":
        return _confirm(
            request,
            scope,
            action="probleme",
            question=f"Signaler un problème : {category.label} ?",
            explain=_who_helps(scope, category)
            + (f" Votre message : « {detail} »" if detail else ""),
            fields={"categorie": category.value, "detail": detail},
            button="Oui, signaler ce problème",
        )
    with transaction(scope.app.engine) as session:
        route_problem(
            scope.app,
            session,
            school=_attached(session, scope.school),
            campaign=_attached(session, scope.campaign),
            category=category,
            detail=detail,
            now=scope.now,
            actor=ACTOR,
        )
    return _done(scope, "probleme")


def _who_helps(scope: Scope, category: ProblemCategory) -> str:
    contact, cc = recipient_for(scope.app, category)
    if contact is None:
        return "Votre message sera enregistré pour la coordination du constat."
    copy = ", avec copie à la coordination" if cc else ""
    return f"Votre message sera transmis à : {contact.label} ({contact.email}){copy}."


@router.post(PAGE + "/valide")
def validated_form(request: Request, confirmer: str = Form("")) -> Response:
    try:
        scope = linked(request)
    except PageError as error:
        return error_page(request, error)
    if confirmer != "oui":
        return _confirm(
            request,
            scope,
            action="valide",
            question="Avez-vous validé le constat des effectifs dans ONDE ?",
            explain="Les relances s'arrêtent. Ne confirmez qu'après avoir cliqué sur "
            "« Valider » dans ONDE.",
            fields={},
            button="Oui, j'ai validé le constat",
            warning=_still_open(scope),
        )
    try:
        with transaction(scope.app.engine) as session:
            declare_validated(
                session,
                school=_attached(session, scope.school),
                campaign=_attached(session, scope.campaign),
                now=scope.now,
                actor=ACTOR,
            )
    except ActionRefused as refused:
        return _page(request, scope, errors={"valide": str(refused)}, status=422)
    return _done(scope, "valide")


def _attached(session: Any, row: Any) -> Any:
    """The row loaded in this session (the scope's rows come from a closed reading session)."""
    return session.get(type(row), row.id)
