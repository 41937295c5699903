"""« J'ai un problème » routed at once: the director's report becomes a ledger row to the
contact of its category, copied to the coordinator, with the director as reply-to.

`route_problem` records the report (`daemon.school.actions.report_problem`), then writes, in the
same transaction, one ledger row of kind "problem" keyed `<UAI>:<campaign>:problem:<day>:<category>`
and an event "Problème signalé … transmis à …". A second report of the same category the same
day with a different message is a new mail (key suffixed `:2`, `:3`…, up to
`MAX_MAILS_PER_DAY`), saying that it follows an earlier one: what the director adds reaches the
contact. The same message again, or past that cap, is no mail: the report is recorded on the
timeline and named "déjà transmis".

When it leaves: a director's explicit request is not a reminder, but it is still a mail from the
district office to a support desk, so it follows the same sending window and school days as every
other mail: due at once inside the window, else at the next opening of the window (a report on
Saturday leaves on Monday at the window's start). The escalation ladder's support step keeps
using the reported category later on (`mails.escalation_category`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from daemon.app import App
from daemon.reminders.compose import PARIS, long_date
from daemon.reminders.mails import open_items, problem_mail
from daemon.reminders.sweep import campaign_context
from daemon.school.actions import PROBLEM_LABELS, ProblemCategory, report_problem
from daemon.school.open_items import Contact, contact_for
from db import ledger
from db.events import record_event
from db.models import Campaign, Event, Reminder, School
from db.states import EventKind, LedgerKind

# Mails per school, category and day: a director adding details is heard, a form sent over and
# over does not flood the support desk.
MAX_MAILS_PER_DAY = 3


@dataclass(frozen=True)
class Routed:
    """Where a report went: what the director's page tells them."""

    category: ProblemCategory
    contact: Contact | None  # None: no address configured at all
    cc: tuple[str, ...]
    key: str
    due_at: dt.datetime | None
    already: bool  # the same category was already routed today: no second mail

    @property
    def sentence(self) -> str:
        return routed_sentence(self.contact, self.cc, self.due_at, self.already)


def routed_sentence(
    contact: Contact | None,
    cc: tuple[str, ...] | list[str],
    due_at: dt.datetime | None,
    already: bool = False,
    now: dt.datetime | None = None,
) -> str:
    """The French sentence the director reads after reporting."""
    if contact is None:
        return (
            "Votre problème est enregistré ; aucune adresse d'assistance n'est configurée : "
            "la coordination le voit sur le suivi de votre école."
        )
    copy = f", avec copie à la coordination ({', '.join(cc)})" if cc else ""
    if already:
        return (
            f"Ce problème a déjà été transmis aujourd'hui à : {contact.label} ({contact.email})"
            f"{copy}. Votre nouveau signalement est noté dans le suivi de l'école."
        )
    when = ""
    if due_at is not None and now is not None and due_at > now + dt.timedelta(minutes=5):
        local = due_at.astimezone(PARIS)
        when = (
            f" Hors des heures d'envoi : le message partira le {long_date(due_at)} "
            f"à {local.hour} h {local.minute:02d}."
        )
    return (
        f"Votre problème a été transmis à : {contact.label} ({contact.email}){copy}. "
        f"Les réponses vous parviendront à votre adresse.{when}"
    )


def recipient_for(app: App, category: ProblemCategory) -> tuple[Contact | None, tuple[str, ...]]:
    """The contact of the category (else the "other" contact, else the coordinator) and the
    copy to the coordinator (none when the coordinator is the recipient)."""
    contacts = app.settings.contacts
    contact = contact_for(contacts, category.value) or contact_for(contacts, "other")
    coordinator = contacts.coordinator_email
    if contact is None:
        return None, ()
    cc = (coordinator,) if coordinator and coordinator.lower() != contact.email.lower() else ()
    return contact, cc


def problem_key(
    school: School, campaign: Campaign, day: dt.date, category: str, number: int = 1
) -> str:
    """The ledger key of the day's `number`-th mail for this category (the first has no
    number)."""
    detail: tuple[str | int, ...] = (category,) if number == 1 else (category, number)
    return ledger.ledger_key(
        LedgerKind.PROBLEM, campaign=campaign.name, day=day, uai=school.uai, detail=detail
    )


def same_message(first: str, second: str) -> bool:
    """Two reports say the same thing (spaces and case aside)."""
    return " ".join(first.split()).casefold() == " ".join(second.split()).casefold()


def routed_today(
    session: Session, school: School, campaign: Campaign, day: dt.date, category: str
) -> list[Reminder]:
    """The day's problem rows for this category, in the order they were written."""
    keys = [
        problem_key(school, campaign, day, category, n) for n in range(1, MAX_MAILS_PER_DAY + 1)
    ]
    return ledger.with_keys(session, keys)


@dataclass(frozen=True)
class ProblemReport:
    """One report being routed: the school's, where it goes and under which ledger key."""

    school: School
    campaign: Campaign
    category: ProblemCategory
    detail: str
    now: dt.datetime
    actor: str
    day: dt.date  # the campaign's local day of `now`
    contact: Contact | None  # None: no address configured at all
    cc: tuple[str, ...]
    key: str  # of the mail this report would be

    @property
    def label(self) -> str:
        return PROBLEM_LABELS[self.category]


def route_problem(
    app: App,
    session: Session,
    *,
    school: School,
    campaign: Campaign,
    category: ProblemCategory,
    detail: str,
    now: dt.datetime,
    actor: str,
) -> Routed:
    """Record the report and queue its mail to the right contact (the caller's transaction)."""
    follow_up = report_problem(
        session,
        school=school,
        campaign=campaign,
        category=category,
        detail=detail,
        now=now,
        actor=actor,
    )
    contact, cc = recipient_for(app, category)
    calendar = campaign_context(app, campaign).calendar
    day = calendar.local_day(now)
    earlier = routed_today(session, school, campaign, day, category.value)
    key = problem_key(school, campaign, day, category.value, len(earlier) + 1)
    report = ProblemReport(
        school, campaign, category, follow_up.problem_detail, now, actor, day, contact, cc, key
    )
    if contact is None:
        message = f"Problème signalé ({report.label}) : aucun contact d'assistance configuré"
        _note(session, report, message, {})
        return Routed(category, None, (), key, None, False)
    repeated = [r for r in earlier if same_message(str(r.payload.get("detail", "")), report.detail)]
    if repeated or len(earlier) >= MAX_MAILS_PER_DAY:
        return _already(session, report, (repeated or earlier)[-1])
    return _queue(app, session, report, len(earlier), calendar.next_send_moment(now))


def _day_of(app: App, campaign: Campaign, moment: dt.datetime) -> dt.date:
    """The campaign's day of `moment` (a complément leaving on another day names the day the
    others went)."""
    return campaign_context(app, campaign).calendar.local_day(moment)


def _day_end(app: App, campaign: Campaign, due: dt.datetime) -> dt.datetime:
    """The end of the sending window of the day the mail is due: never retried at night nor on
    Saturday, cancelled with its reason past it."""
    return campaign_context(app, campaign).calendar.sending_slot(due)[1]


def _queue(
    app: App, session: Session, report: ProblemReport, earlier: int, due: dt.datetime
) -> Routed:
    """The report's mail, queued to leave at `due` (`earlier`: mails already queued today for
    this category, which it follows)."""
    contact = report.contact
    assert contact is not None
    items = open_items(session, app.settings, report.school, report.campaign, report.now)
    mail = problem_mail(
        app.settings,
        school=report.school,
        campaign=report.campaign,
        category=report.category,
        detail=report.detail,
        items=items,
        contact=contact,
        earlier=earlier,
        earlier_on=None if _day_of(app, report.campaign, due) == report.day else report.day,
    )
    entry = ledger.Entry(
        kind=LedgerKind.PROBLEM,
        key=report.key,
        recipient=mail.recipient,
        payload=mail.payload,
        day=report.day,
        due_at=due,
        created_at=report.now,
        school_id=report.school.id,
        campaign_id=report.campaign.id,
        stage=items.stage.stage.value,
        cc=report.cc,
        send_before=_day_end(app, report.campaign, due),
    )
    queued = ledger.enqueue(session, entry)
    if not queued.new:
        # The same report at the same instant (double click, two daemons): one mail, a repeat.
        return _already(session, report, queued.row)
    copy = f" (copie : {', '.join(report.cc)})" if report.cc else ""
    _note(
        session,
        report,
        f"Problème signalé ({report.label}) transmis à {contact.label} ({contact.email}){copy}",
        {
            "to": contact.email,
            "cc": list(report.cc),
            "label": contact.label,
            "due_at": due.isoformat(),
        },
    )
    return Routed(report.category, contact, report.cc, report.key, due, False)


def _already(session: Session, report: ProblemReport, existing: Reminder) -> Routed:
    """Sent today already: the timeline says so, no new mail."""
    assert report.contact is not None
    cc = tuple(existing.cc or ())
    _note(
        session,
        report,
        f"Problème signalé de nouveau ({report.label}) : déjà transmis aujourd'hui à "
        f"{existing.recipient}",
        {"to": existing.recipient, "cc": list(cc), "label": report.contact.label, "already": True},
    )
    return Routed(report.category, report.contact, cc, existing.key, existing.due_at, True)


def _note(session: Session, report: ProblemReport, message: str, data: dict[str, Any]) -> None:
    """The report's event on the school's timeline (`report_sentence` reads it back)."""
    record_event(
        session,
        at=report.now,
        kind=EventKind.PROBLEM_ROUTED,
        school_id=report.school.id,
        campaign_id=report.campaign.id,
        actor=report.actor,
        message=message,
        data={"category": report.category.value, "key": report.key, **data},
    )


def report_sentence(session: Session, *, school: School, campaign: Campaign) -> str:
    """What the director's page says after a report: to whom the latest one went."""
    query = (
        select(Event)
        .where(
            Event.school_id == school.id,
            Event.campaign_id == campaign.id,
            Event.kind == EventKind.PROBLEM_ROUTED,
        )
        .order_by(col(Event.at).desc(), col(Event.id).desc())
        .limit(1)
    )
    found = session.exec(query).first()
    if found is None:
        return ""
    data = found.data or {}
    if not data.get("to"):
        return routed_sentence(None, (), None)
    contact = Contact(str(data.get("category", "")), str(data.get("label", "")), str(data["to"]))
    due = dt.datetime.fromisoformat(data["due_at"]) if data.get("due_at") else None
    return routed_sentence(
        contact, list(data.get("cc") or []), due, bool(data.get("already")), found.at
    )
