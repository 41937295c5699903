"""What is still open for one school, in the order to act: the next step, the pupils in error,
the pupils without INE, and whom to ask for help. Read by the reminder mails and the pages."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session

from daemon.config.settings import ContactSettings
from daemon.school.followup import load_evidence, schools_evidence
from daemon.school.next_step import NextStep, StepContext, next_step
from daemon.school.rows import FollowUpFacts, SchoolFacts
from daemon.school.stage import StageResult, school_stage
from daemon.wording import plural
from db.campaigns import get_follow_up
from db.models import Campaign, School
from db.pupils import (
    open_anomalies,
    pupils_by_id,
    pupils_without_ine,
    schools_open_anomalies,
    schools_pupils_without_ine,
)

INE_STATUS_LABELS = {
    "en_attente": "en attente d'INE",
    "litige": "en litige",
    "erreur": "en erreur",
    "non_traite": "non traité",
    "bloque": "bloqué",
    "attribue": "INE attribué",
    "inconnu": "inconnu",
}
CONTACT_LABELS = {
    "export": "Support export / Ange",
    "onde": "Assistance ONDE de l'académie",
    "ine": "Contact pour les INE (immatriculation)",
    "other": "Coordination du constat",
}


@dataclass(frozen=True)
class OpenAnomaly:
    last_name: str
    first_name: str
    birth_date: dt.date | None
    field: str
    message: str
    severity: str  # rejet | avertissement
    category: str
    first_seen_at: dt.datetime


@dataclass(frozen=True)
class PendingPupil:
    last_name: str
    first_name: str
    birth_date: dt.date | None
    status: str
    status_label: str
    level: str
    class_label: str


@dataclass(frozen=True)
class Contact:
    category: str
    label: str
    email: str


@dataclass(frozen=True)
class OpenItems:
    stage: StageResult
    next_step: NextStep
    anomalies: tuple[OpenAnomaly, ...]
    pending: tuple[PendingPupil, ...]
    contacts: tuple[Contact, ...]
    snoozed_until: dt.datetime | None

    @property
    def rejections(self) -> int:
        return sum(1 for a in self.anomalies if a.severity == "rejet")

    @property
    def warnings(self) -> int:
        return sum(1 for a in self.anomalies if a.severity != "rejet")

    @property
    def summary(self) -> str:
        """What is still open, as the pages say it: « 5 rejets, 1 avertissement, 2 élèves sans
        INE » ("" when nothing is)."""
        parts = []
        if self.rejections:
            parts.append(plural(self.rejections, "rejet"))
        if self.warnings:
            parts.append(plural(self.warnings, "avertissement"))
        if self.pending:
            parts.append(plural(len(self.pending), "élève sans INE", "élèves sans INE"))
        return ", ".join(parts)


def contact_for(contacts: ContactSettings, category: str) -> Contact | None:
    email = {
        "export": contacts.export_support_email,
        "onde": contacts.onde_support_email,
        "ine": contacts.ine_support_email,
        "other": contacts.other_support_email or contacts.coordinator_email,
    }.get(category, "")
    return Contact(category, CONTACT_LABELS.get(category, category), email) if email else None


def load_open_items(
    session: Session,
    *,
    school: School,
    campaign: Campaign,
    contacts: ContactSettings,
    onde_url: str,
    now: dt.datetime,
) -> OpenItems:
    assert school.id is not None and campaign.id is not None
    stage = school_stage(load_evidence(session, school_id=school.id, campaign=campaign), now)
    anomalies = _anomalies(session, school.id, campaign.id)
    pending = tuple(
        pending_pupil(p)
        for p in pupils_without_ine(session, school_id=school.id, campaign_id=campaign.id)
    )
    follow_up = get_follow_up(session, school_id=school.id, campaign_id=campaign.id)
    found = Found(stage, anomalies, pending, follow_up.snoozed_until if follow_up else None)
    return _open_items(found, school, campaign, contacts, onde_url, now)


def schools_open_items(
    session: Session,
    *,
    schools: Sequence[tuple[SchoolFacts, FollowUpFacts]],
    campaign: Campaign,
    contacts: ContactSettings,
    onde_url: str,
    now: dt.datetime,
) -> dict[int, OpenItems]:
    """`load_open_items` of several schools (with their follow-up in the campaign), in four
    queries whatever their number: keyed by school id."""
    assert campaign.id is not None
    ids = [s.id for s, _f in schools if s.id is not None]
    evidence = schools_evidence(session, follow_ups=[f for _s, f in schools], campaign=campaign)
    anomalies = schools_open_anomalies(session, school_ids=ids, campaign_id=campaign.id)
    pending = schools_pupils_without_ine(session, school_ids=ids, campaign_id=campaign.id)
    items = {}
    for school, follow_up in schools:
        assert school.id is not None
        found = Found(
            school_stage(evidence[school.id], now),
            tuple(open_anomaly(a, a) for a in anomalies[school.id]),
            tuple(pending_pupil(p) for p in pending[school.id]),
            follow_up.snoozed_until,
        )
        items[school.id] = _open_items(found, school, campaign, contacts, onde_url, now)
    return items


@dataclass(frozen=True)
class Found:
    """What was read for one school, before the next step and contacts are derived."""

    stage: StageResult
    anomalies: tuple[OpenAnomaly, ...]
    pending: tuple[PendingPupil, ...]
    snoozed_until: dt.datetime | None


def _open_items(
    found: Found,
    school: SchoolFacts,
    campaign: Campaign,
    contacts: ContactSettings,
    onde_url: str,
    now: dt.datetime,
) -> OpenItems:
    today = now.astimezone(ZoneInfo(campaign.timezone)).date()
    step = next_step(
        found.stage.stage,
        StepContext(
            uai=school.uai,
            observation_date=campaign.observation_date,
            deadline=campaign.deadline,
            today=today,
            onde_url=onde_url,
            onde_problems=any(a.category == "onde" for a in found.anomalies),
        ),
    )
    return OpenItems(
        stage=found.stage,
        next_step=step,
        anomalies=found.anomalies,
        pending=found.pending,
        contacts=_contacts(contacts, step, found.anomalies),
        snoozed_until=found.snoozed_until,
    )


def pending_pupil(p: Any) -> PendingPupil:
    """From a `Pupil`, or a row of `db.pupils.PENDING_COLUMNS`."""
    return PendingPupil(
        p.last_name,
        p.first_name,
        p.birth_date,
        p.ine_status,
        INE_STATUS_LABELS.get(p.ine_status, p.ine_status),
        p.level,
        p.class_label,
    )


def open_anomaly(a: Any, pupil: Any | None) -> OpenAnomaly:
    """From an anomaly and its pupil (None: unknown), or a row of `db.pupils.ANOMALY_COLUMNS`
    given twice (its pupil's columns are None when it names no known pupil)."""
    if pupil is not None and pupil.last_name is None:
        pupil = None
    return OpenAnomaly(
        pupil.last_name if pupil is not None else "?",
        pupil.first_name if pupil is not None else "?",
        pupil.birth_date if pupil is not None else None,
        a.field,
        a.message,
        a.severity,
        a.category or "export",
        a.first_seen_at,
    )


def _anomalies(session: Session, school_id: int, campaign_id: int) -> tuple[OpenAnomaly, ...]:
    rows = open_anomalies(session, school_id=school_id, campaign_id=campaign_id)
    pupils = pupils_by_id(session, ids=[a.pupil_id for a in rows if a.pupil_id])
    return tuple(open_anomaly(a, pupils.get(a.pupil_id or 0)) for a in rows)


def _contacts(
    contacts: ContactSettings, step: NextStep, anomalies: tuple[OpenAnomaly, ...]
) -> tuple[Contact, ...]:
    """The contacts for this kind of problem: the step's first, then the anomalies', then the
    coordination."""
    order = [step.help_category, *(a.category for a in anomalies), "other"]
    found: list[Contact] = []
    for category in order:
        contact = contact_for(contacts, category)
        if contact and contact.email not in {c.email for c in found}:
            found.append(contact)
    return tuple(found)
