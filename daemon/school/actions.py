"""What people do to a school's follow-up: snooze, declare or confirm the constat, report a
problem, write a note. Used by the director pages, the coordinator pages and the command line.

Each action is one transaction in the caller's session: the follow-up columns it changes, one
event, and the stage recomputed from the evidence.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlmodel import Session

from daemon.codes import EMAIL as EMAIL  # re-exported: the command line checks addresses too
from daemon.codes import is_email_address
from daemon.school.followup import refresh_stage
from daemon.school.rows import FollowUpFacts
from daemon.school.stage import french_date
from db.campaigns import follow_up_for
from db.events import record_event
from db.models import Campaign, FollowUp, School
from db.states import EventKind, Stage


class ActionRefused(ValueError):
    """The action cannot be done; the message is French, for the person who asked."""


class ProblemCategory(StrEnum):
    ONDE = "onde"  # ONDE access: no OTP key, no "Accès directeur"
    EXPORT = "export"  # export / Ange / school software
    INE = "ine"  # an INE long pending, or in dispute (LITIGE)
    OTHER = "other"

    @property
    def label(self) -> str:
        return PROBLEM_LABELS[self]


PROBLEM_LABELS = {
    ProblemCategory.ONDE: "accès à ONDE (clé OTP, « Accès directeur »)",
    ProblemCategory.EXPORT: "export depuis Ange ou le logiciel de l'école",
    ProblemCategory.INE: "INE en attente depuis longtemps, en litige",
    ProblemCategory.OTHER: "autre problème",
}


def open_problem(follow_up: FollowUpFacts) -> ProblemCategory | None:
    """The category of the problem the director reported, while it is still open: reported
    since the school's stage last changed (a problem about the export, reported weeks ago, says
    nothing about the constat the school now has to validate) and not marked treated since."""
    reported, since = follow_up.problem_reported_at, follow_up.stage_since
    if reported is None or not problem_unanswered(follow_up):
        return None
    if since is not None and reported < since:
        return None
    try:
        return ProblemCategory(follow_up.problem_category)
    except ValueError:
        return None


def problem_unanswered(follow_up: FollowUpFacts) -> bool:
    """The director reported a problem and nobody marked it treated since (a report made after
    the answer is unanswered again). A director's own reply by mail answers nothing."""
    reported, answered = follow_up.problem_reported_at, follow_up.problem_answered_at
    return reported is not None and (answered is None or answered < reported)


def _follow_up(session: Session, school: School, campaign: Campaign, now: dt.datetime) -> FollowUp:
    assert school.id is not None and campaign.id is not None
    return follow_up_for(session, school_id=school.id, campaign_id=campaign.id, now=now)


def snooze(
    session: Session,
    *,
    school: School,
    campaign: Campaign,
    until: dt.datetime,
    now: dt.datetime,
    max_days: int,
    actor: str,
) -> FollowUp:
    """ "Je m'en occupe, relancez-moi le …": no reminder before `until` (at most max_days)."""
    if until <= now:
        raise ActionRefused("la date de relance doit être dans le futur")
    if until - now > dt.timedelta(days=max_days):
        raise ActionRefused(f"au plus {max_days} jours de pause")
    follow_up = _follow_up(session, school, campaign, now)
    if follow_up.stage == Stage.VALIDATED:
        raise ActionRefused("le constat est validé : plus de relance à suspendre")
    follow_up.snoozed_until = until
    follow_up.updated_at = now
    record_event(
        session,
        at=now,
        kind=EventKind.SNOOZED,
        school_id=school.id,
        campaign_id=campaign.id,
        actor=actor,
        message=f"Relances suspendues jusqu'au {french_date(until)}",
        data={"until": until.isoformat()},
    )
    return follow_up


def declare_validated(
    session: Session, *, school: School, campaign: Campaign, now: dt.datetime, actor: str
) -> FollowUp:
    """The director says the constat is validated in ONDE."""
    follow_up = _follow_up(session, school, campaign, now)
    if follow_up.declared_validated_at is not None:
        raise ActionRefused(
            f"constat déjà déclaré validé le {french_date(follow_up.declared_validated_at)}"
        )
    follow_up.declared_validated_at = now
    follow_up.updated_at = now
    record_event(
        session,
        at=now,
        kind=EventKind.VALIDATION_DECLARED,
        school_id=school.id,
        campaign_id=campaign.id,
        actor=actor,
        message="Constat déclaré validé par l'école",
    )
    refresh_stage(session, school=school, campaign=campaign, now=now, actor=actor)
    return follow_up


def confirm_validation(
    session: Session, *, school: School, campaign: Campaign, now: dt.datetime, actor: str
) -> FollowUp:
    """A coordinator confirms the constat (and declares it if the school did not)."""
    follow_up = _follow_up(session, school, campaign, now)
    if follow_up.validation_confirmed_at is not None:
        raise ActionRefused("constat déjà confirmé")
    if follow_up.declared_validated_at is None:
        follow_up.declared_validated_at = now
    follow_up.validation_confirmed_at = now
    follow_up.confirmed_by = actor[:254]
    follow_up.updated_at = now
    record_event(
        session,
        at=now,
        kind=EventKind.VALIDATION_CONFIRMED,
        school_id=school.id,
        campaign_id=campaign.id,
        actor=actor,
        message="Constat confirmé par la coordination",
    )
    refresh_stage(session, school=school, campaign=campaign, now=now, actor=actor)
    return follow_up


def reopen_validation(
    session: Session,
    *,
    school: School,
    campaign: Campaign,
    now: dt.datetime,
    actor: str,
    reason: str,
) -> FollowUp:
    """Undo a declaration or confirmation made by mistake; reminders resume."""
    follow_up = _follow_up(session, school, campaign, now)
    if follow_up.declared_validated_at is None:
        raise ActionRefused("le constat n'est pas déclaré validé")
    follow_up.declared_validated_at = None
    follow_up.validation_confirmed_at = None
    follow_up.confirmed_by = ""
    follow_up.updated_at = now
    record_event(
        session,
        at=now,
        kind=EventKind.VALIDATION_REOPENED,
        school_id=school.id,
        campaign_id=campaign.id,
        actor=actor,
        message="Validation annulée" + (f" : {reason.strip()[:300]}" if reason.strip() else ""),
    )
    refresh_stage(session, school=school, campaign=campaign, now=now, actor=actor)
    return follow_up


def report_problem(
    session: Session,
    *,
    school: School,
    campaign: Campaign,
    category: ProblemCategory,
    detail: str,
    now: dt.datetime,
    actor: str,
) -> FollowUp:
    """ "J'ai un problème": recorded here. The director's page calls it through
    `daemon.reminders.problem.route_problem`, which also queues the mail to the category's
    contact; the escalation ladder's support step reads the category later on."""
    follow_up = _follow_up(session, school, campaign, now)
    follow_up.problem_category = category.value
    follow_up.problem_reported_at = now
    follow_up.problem_detail = detail.strip()[:2000]
    follow_up.updated_at = now
    record_event(
        session,
        at=now,
        kind=EventKind.PROBLEM_REPORTED,
        school_id=school.id,
        campaign_id=campaign.id,
        actor=actor,
        message=f"Problème signalé : {category.label}",
        data={"category": category.value, "detail": follow_up.problem_detail},
    )
    return follow_up


def answer_problem(
    session: Session, *, school: School, campaign: Campaign, now: dt.datetime, actor: str
) -> FollowUp:
    """« Marquer comme traité »: a coordinator answered the problem the director reported."""
    follow_up = _follow_up(session, school, campaign, now)
    if not problem_unanswered(follow_up):
        raise ActionRefused("aucun problème signalé en attente de réponse")
    follow_up.problem_answered_at = now
    follow_up.problem_answered_by = actor[:254]
    follow_up.updated_at = now
    labels = {c.value: c.label for c in ProblemCategory}
    category = labels.get(follow_up.problem_category, follow_up.problem_category)
    record_event(
        session,
        at=now,
        kind=EventKind.PROBLEM_ANSWERED,
        school_id=school.id,
        campaign_id=campaign.id,
        actor=actor,
        message=f"Problème signalé traité par la coordination : {category}",
        data={"category": follow_up.problem_category, "reported_at": _iso(follow_up)},
    )
    return follow_up


def _iso(follow_up: FollowUp) -> str:
    reported = follow_up.problem_reported_at
    return reported.isoformat() if reported else ""


def add_note(
    session: Session,
    *,
    school: School,
    campaign: Campaign,
    text: str,
    now: dt.datetime,
    actor: str,
) -> None:
    """A coordinator's note on the school's timeline."""
    text = text.strip()
    if not text:
        raise ActionRefused("la note est vide")
    record_event(
        session,
        at=now,
        kind=EventKind.NOTE,
        school_id=school.id,
        campaign_id=campaign.id,
        actor=actor,
        message=f"Note : {text[:900]}",
    )


def resend_now(
    session: Session, *, school: School, campaign: Campaign, now: dt.datetime, actor: str
) -> FollowUp:
    """A coordinator asks for the next reminder now (the sweep sends it at its next tick)."""
    follow_up = _follow_up(session, school, campaign, now)
    if follow_up.stage == "validated":
        raise ActionRefused("le constat est validé : plus de relance")
    if not school.active:
        raise ActionRefused("école désactivée : aucune relance")
    follow_up.next_reminder_at = now
    follow_up.snoozed_until = None
    follow_up.updated_at = now
    record_event(
        session,
        at=now,
        kind=EventKind.RESEND_REQUESTED,
        school_id=school.id,
        campaign_id=campaign.id,
        actor=actor,
        message="Relance demandée maintenant par la coordination",
    )
    return follow_up


def set_director_email(
    session: Session, *, school: School, email: str, now: dt.datetime, actor: str
) -> bool:
    """Edit the director's address by hand (a re-import of the annuaire keeps it)."""
    from db.schools import edit_school

    email = email.strip()
    if not email:
        raise ActionRefused("l'adresse est vide")
    if not is_email_address(email):
        raise ActionRefused(f"adresse e-mail invalide : {email}")
    changed = edit_school(session, now=now, school=school, actor=actor, director_email=email)
    return bool(changed)


def renew_link(session: Session, *, school: School, now: dt.datetime, actor: str) -> None:
    """« Renouveler le lien »: the links to the school's page sent so far stop working; the
    next mail carries a new one (a link forwarded, or a mailbox that changed hands)."""
    school.link_version += 1
    school.updated_at = now
    record_event(
        session,
        at=now,
        kind=EventKind.LINK_RENEWED,
        school_id=school.id,
        actor=actor,
        message="Lien de la page de l'école renouvelé : les liens déjà envoyés ne marchent plus",
        data={"version": school.link_version},
    )
