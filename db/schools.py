"""Schools: add, update from the annuaire, edit by hand, list, deactivate."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from typing import Any, Literal

from sqlmodel import Session, col, select

from db.events import record_event
from db.folding import fold
from db.models import FollowUp, School
from db.states import EventKind

# Fields the annuaire provides (the director's address only while nobody edited it by hand).
DIRECTORY_FIELDS = (
    "name",
    "commune",
    "postal_code",
    "departement",
    "circonscription",
    "sector",
    "contract",
    "nature",
    "director_email",
)
EDITABLE_FIELDS = (*DIRECTORY_FIELDS, "director_name")

FIELD_LABELS = {
    "name": "nom",
    "commune": "commune",
    "postal_code": "code postal",
    "departement": "département",
    "circonscription": "circonscription",
    "sector": "secteur",
    "contract": "contrat",
    "nature": "nature",
    "director_email": "adresse du directeur",
    "director_name": "nom du directeur",
}

Outcome = Literal["added", "updated", "unchanged"]


def get_school(session: Session, *, uai: str) -> School | None:
    return session.exec(select(School).where(School.uai == uai)).first()


def lock_school(session: Session, *, school_id: int | None) -> None:
    """Hold the school's row until the transaction ends, so that two processes recording
    evidence for one school (its pupils, its stage) take turns instead of colliding on
    PostgreSQL. On SQLite a writing transaction holds the whole database already."""
    session.exec(select(School.id).where(School.id == school_id).with_for_update()).first()


def upsert_from_directory(
    session: Session, *, now: dt.datetime, uai: str, fields: dict[str, Any], actor: str
) -> Outcome:
    """Add a school or bring it up to date with the directory; one event per change."""
    school = get_school(session, uai=uai)
    if school is None:
        school = School(uai=uai, source="annuaire", created_at=now, updated_at=now, **fields)
        refresh_search_keys(school)
        session.add(school)
        session.flush()
        record_event(
            session,
            at=now,
            kind=EventKind.SCHOOL_ADDED,
            school_id=school.id,
            actor=actor,
            message=f"École ajoutée depuis l'annuaire : {school.name}",
        )
        return "added"
    wanted = dict(fields)
    if school.director_email_by_hand:
        wanted.pop("director_email", None)
    changed = _apply(school, wanted)  # a school deactivated by hand stays so (`activate`)
    if not changed:
        return "unchanged"
    school.updated_at = now
    record_event(
        session,
        at=now,
        kind=EventKind.SCHOOL_UPDATED,
        school_id=school.id,
        actor=actor,
        message="Mise à jour depuis l'annuaire : " + ", ".join(_labels(changed)),
        data={"fields": changed},
    )
    return "updated"


def add_school(
    session: Session, *, now: dt.datetime, uai: str, actor: str, **fields: Any
) -> School:
    """Add a school by hand (raises ValueError if the UAI is already known)."""
    if get_school(session, uai=uai) is not None:
        raise ValueError(f"l'école {uai} existe déjà")
    school = School(uai=uai, source="manual", created_at=now, updated_at=now, **fields)
    refresh_search_keys(school)
    school.director_email_by_hand = bool(fields.get("director_email"))
    session.add(school)
    session.flush()
    record_event(
        session,
        at=now,
        kind=EventKind.SCHOOL_ADDED,
        school_id=school.id,
        actor=actor,
        message=f"École ajoutée à la main : {school.name}",
    )
    return school


def edit_school(
    session: Session, *, now: dt.datetime, school: School, actor: str, **changes: Any
) -> list[str]:
    """Edit fields by hand; returns the changed field names (an event if any)."""
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"champ non modifiable : {', '.join(sorted(unknown))}")
    changed = _apply(school, changes)
    if "director_email" in changed:
        school.director_email_by_hand = True
        school.email_failing_since = None
        school.email_failure = ""
    if changed:
        school.updated_at = now
        record_event(
            session,
            at=now,
            kind=EventKind.SCHOOL_EDITED,
            school_id=school.id,
            actor=actor,
            message="Modifié à la main : " + ", ".join(_labels(changed)),
            data={"fields": changed},
        )
    return changed


def inactive_uais(session: Session) -> set[str]:
    """The UAIs of the schools deactivated by hand."""
    return set(session.exec(select(School.uai).where(col(School.active).is_(False))))


def set_active(
    session: Session, *, now: dt.datetime, school: School, active: bool, actor: str
) -> bool:
    """Activate or deactivate a school (an inactive school gets no reminder)."""
    if school.active == active:
        return False
    school.active = active
    school.updated_at = now
    record_event(
        session,
        at=now,
        kind=EventKind.SCHOOL_ACTIVATED if active else EventKind.SCHOOL_DEACTIVATED,
        school_id=school.id,
        actor=actor,
        message="École réactivée" if active else "École désactivée : plus aucune relance",
    )
    return True


def list_schools(
    session: Session,
    *,
    active: bool | None = True,
    circonscription: str | None = None,
    stages: Sequence[str] | None = None,
    campaign_id: int | None = None,
    search: str | None = None,
) -> list[tuple[School, FollowUp | None]]:
    """Schools with their follow-up in a campaign, filtered, ordered by UAI."""
    query = select(School, FollowUp).outerjoin(
        FollowUp,
        (col(FollowUp.school_id) == School.id) & (col(FollowUp.campaign_id) == campaign_id),
    )
    if active is not None:
        query = query.where(School.active == active)
    if circonscription:
        query = query.where(col(School.circonscription_key).contains(search_form(circonscription)))
    if stages:
        query = query.where(col(FollowUp.stage).in_(list(stages)))
    if search:
        query = query.where(col(School.search_key).contains(search_form(search)))
    rows = session.exec(query.order_by(School.uai)).all()
    return [(school, follow_up) for school, follow_up in rows]


def _apply(school: School, values: dict[str, Any]) -> list[str]:
    changed = []
    for name, value in values.items():
        if getattr(school, name) != value:
            setattr(school, name, value)
            changed.append(name)
    if changed:
        refresh_search_keys(school)
    if "director_email" in changed:  # links sent to the former address stop working
        school.link_version += 1
    return changed


def search_form(text: str) -> str:
    """Accent- and case-insensitive form used by the search columns."""
    return " ".join(re.sub(r"[^\w@.]+", " ", fold(text).casefold()).split())


def refresh_search_keys(school: School) -> None:
    parts = (school.name, school.uai, school.commune, school.postal_code)
    school.search_key = search_form(" ".join(parts))[:600]
    school.circonscription_key = search_form(school.circonscription)[:200]


def _labels(fields: list[str]) -> list[str]:
    return [FIELD_LABELS.get(f, f) for f in fields]
