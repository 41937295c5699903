"""The payload of a school's reminder, of an escalation to a support contact and of a
director's problem report."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from daemon.config import Settings
from daemon.reminders.compose import render
from daemon.reminders.policy import POLICY_LABELS
from daemon.school.actions import PROBLEM_LABELS, ProblemCategory, open_problem
from daemon.school.links import school_url
from daemon.school.open_items import (
    CONTACT_LABELS,
    Contact,
    OpenItems,
    contact_for,
    load_open_items,
)
from daemon.school.rows import FollowUpFacts, SchoolFacts
from daemon.wording import plural
from db.models import Campaign, School
from db.states import LedgerKind


@dataclass(frozen=True)
class Mail:
    recipient: str
    payload: dict[str, Any]

    @property
    def category(self) -> str:
        """The support contact's category (escalations and problem reports)."""
        return str(self.payload.get("category", ""))


def open_items(
    session: Session, settings: Settings, school: School, campaign: Campaign, now: dt.datetime
) -> OpenItems:
    return load_open_items(
        session,
        school=school,
        campaign=campaign,
        contacts=settings.contacts,
        onde_url=settings.contacts.onde_url,
        now=now,
    )


def open_count(items: OpenItems) -> int:
    """What progress is measured on: open anomalies plus pupils without INE."""
    return len(items.anomalies) + len(items.pending)


def anomaly_summary(items: OpenItems) -> str:
    """« 5 rejets, 1 avertissement », as the pages count the open anomalies."""
    parts = [plural(items.rejections, "rejet")] if items.rejections else []
    if items.warnings:
        parts.append(plural(items.warnings, "avertissement"))
    return ", ".join(parts)


def reminder_payload(
    settings: Settings,
    *,
    school: SchoolFacts,
    campaign: Campaign,
    items: OpenItems,
    stage: str,
    number: int,
    now: dt.datetime,
) -> dict[str, Any]:
    """The director's mail: next step, pupils in error, pupils without INE, help contacts."""
    link = school_url(
        settings, uai=school.uai, campaign=campaign.name, now=now, version=school.link_version
    )
    context = {
        "school": school,
        "campaign": campaign.name,
        "director_name": school.director_name,
        "stage": stage,
        "step": items.next_step,
        "anomalies": items.anomalies,
        "anomaly_summary": anomaly_summary(items),
        "pending": items.pending,
        "contacts": items.contacts,
        "link": link,
        "deadline": campaign.deadline,
        "coordinator_name": settings.contacts.coordinator_name,
        "reply_to": settings.contacts.coordinator_email,
    }
    mail = render(settings.templates_path, LedgerKind.REMINDER, context)
    return {
        **mail,
        "reply_to": settings.contacts.coordinator_email,
        "stage": stage,
        "school_stage": items.stage.stage.value,  # checked again when a sender claims it
        "school_name": school.name,
        "number": number,
        "open_count": open_count(items),
        "next_step": items.next_step.title,
        # the link is signed again when the mail leaves (`daemon.delivery.sender`)
        "link": {
            "url": link,
            "uai": school.uai,
            "campaign": campaign.name,
            "version": school.link_version,
        },
    }


def escalation_category(follow_up: FollowUpFacts, items: OpenItems) -> str:
    """Whom a stuck school is routed to: the problem it reported while it is still open, else
    what is open now (its anomalies, else its step's kind)."""
    problem = open_problem(follow_up)
    if problem is not None:
        return problem.value
    if items.anomalies:
        return "onde" if any(a.category == "onde" for a in items.anomalies) else "export"
    return items.next_step.help_category


def escalation_mail(
    settings: Settings,
    *,
    school: SchoolFacts,
    campaign: Campaign,
    follow_up: FollowUpFacts,
    items: OpenItems,
    stage: str,
    count: int,
) -> Mail | None:
    """The mail to the support contact of the school's problem category (None: no address)."""
    category = escalation_category(follow_up, items)
    contact = contact_for(settings.contacts, category) or contact_for(settings.contacts, "other")
    if contact is None:
        return None
    problem = ""
    reported = open_problem(follow_up)
    if reported is not None:
        detail = follow_up.problem_detail
        problem = PROBLEM_LABELS[reported] + (f" : {detail}" if detail else "")
    context = {
        "school": school,
        "campaign": campaign.name,
        "category_label": CONTACT_LABELS.get(category, category),
        "count": count,
        "stage_label": POLICY_LABELS.get(stage, stage),
        "reason": items.stage.reason,
        "problem": problem,
        "director_email": school.director_email,
        "rejections": items.rejections,
        "warnings": items.warnings,
        "pending_count": len(items.pending),
        "deadline": campaign.deadline,
        "coordinator_name": settings.contacts.coordinator_name,
    }
    mail = render(settings.templates_path, LedgerKind.ESCALATION, context)
    return Mail(
        contact.email,
        {
            **mail,
            "reply_to": settings.contacts.coordinator_email,
            "category": category,
            "stage": stage,
            "school_stage": items.stage.stage.value,  # checked again when a sender claims it
            "count": count,
        },
    )


def coordinator_school_url(settings: Settings, school: School) -> str:
    return f"{settings.web.base_url.rstrip('/')}/ecoles/{school.uai}"


def problem_mail(
    settings: Settings,
    *,
    school: School,
    campaign: Campaign,
    category: ProblemCategory,
    detail: str,
    items: OpenItems,
    contact: Contact,
    earlier: int = 0,
    earlier_on: dt.date | None = None,
) -> Mail:
    """The mail to the contact: school, director, category, message, stage, what is open
    (`earlier`: mails already queued today for this category, which this one follows;
    `earlier_on`: their day, when this one leaves on another day)."""
    context: dict[str, Any] = {
        "school": school,
        "campaign": campaign.name,
        "director_name": school.director_name,
        "director_email": school.director_email,
        "category_label": CONTACT_LABELS.get(category.value, category.value),
        "problem_label": PROBLEM_LABELS[category],
        "detail": detail,
        "earlier": earlier,
        "earlier_on": earlier_on,
        "stage_label": items.stage.stage.label,
        "reason": items.stage.reason,
        "next_step": items.next_step.title,
        "rejections": items.rejections,
        "warnings": items.warnings,
        "pending_count": len(items.pending),
        "school_page": coordinator_school_url(settings, school),
        "deadline": campaign.deadline,
        "coordinator_name": settings.contacts.coordinator_name,
    }
    mail = render(settings.templates_path, LedgerKind.PROBLEM, context)
    return Mail(
        contact.email,
        {
            **mail,
            "reply_to": school.director_email or settings.contacts.coordinator_email,
            "category": category.value,
            "stage": items.stage.stage.value,
            "detail": detail,
        },
    )
