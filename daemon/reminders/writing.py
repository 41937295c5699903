"""Writing a sweep's decisions: the ledger rows (reminders, escalations, digests), the
follow-up's new columns and the events, inside the caller's transaction.

A `SweepWriter` holds what is the same for every school of one sweep (the session, the campaign,
`now`, the report); a `SchoolTurn` what one school's reminder is written from. Every ledger row
goes through `db.ledger.enqueue` under a key from `db.ledger.ledger_key`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import bindparam, update
from sqlmodel import Session

from daemon.config import Settings
from daemon.reminders.batch import Batch, load_batch
from daemon.reminders.compose import long_date
from daemon.reminders.digest import (
    DigestScope,
    coordinator_entries,
    digest_day,
    digest_payload,
    write_coordinator_entries,
)
from daemon.reminders.due import (
    CampaignContext,
    Decision,
    not_counted,
    with_escalations,
    with_progress,
)
from daemon.reminders.mails import Mail, escalation_mail, open_count, reminder_payload
from daemon.reminders.policy import (
    POLICY_LABELS,
    EscalationStep,
    Notify,
    ladder_json,
    stored_ladder,
)
from daemon.reminders.report import Planned, SweepReport
from daemon.school.open_items import OpenItems
from daemon.school.rows import FollowUpRow, SchoolRow
from daemon.wording import plural
from db import ledger
from db.events import event_values, record_events
from db.models import Campaign, FollowUp
from db.states import EventKind, LedgerKind


def columns(follow_up_id: int, d: Decision) -> dict[str, Any]:
    """The follow-up's new columns; the ladder only when a stage starts (or a reminder left)."""
    values: dict[str, Any] = {
        "id": follow_up_id,
        "next_reminder_at": d.next_reminder_at,
        "ladder_stage": d.policy_stage if d.next_reminder_at else "",
        "reminders_without_progress": d.reminders_without_progress,
    }
    if d.started or d.send:
        values["ladder"] = ladder_json(d.ladder)
        values["escalations_done"] = list(d.escalations_done)
        values["escalated"] = bool(d.escalations_done)
    return values


FOLLOW_UP: Any = FollowUp.__table__  # type: ignore[attr-defined]


def update_follow_ups(session: Session, rows: list[dict[str, Any]]) -> None:
    """New columns of many follow-ups (each row: its `id` and the same columns), in one
    executemany (Core: no ORM bookkeeping per row)."""
    if not rows:
        return
    names = [name for name in rows[0] if name != "id"]
    statement = (
        update(FOLLOW_UP)
        .where(FOLLOW_UP.c.id == bindparam("row_id"))
        .values({name: bindparam(f"new_{name}") for name in names})
    )
    keys = [(name, f"new_{name}") for name in names]
    params = [{"row_id": r["id"], **{key: r[name] for name, key in keys}} for r in rows]
    session.execute(statement, params)


@dataclass(frozen=True)
class SchoolTurn:
    """One school's turn in a sweep: its rows, what is still open, and the decision once
    progress and the ladder are taken into account."""

    school: SchoolRow
    follow_up: FollowUpRow
    items: OpenItems
    decision: Decision
    day: dt.date  # the campaign's local day of `now`

    @property
    def reachable(self) -> bool:
        return bool(self.school.director_email) and not self.school.email_failing_since

    @property
    def stage_label(self) -> str:
        stage = self.decision.policy_stage
        return POLICY_LABELS.get(stage, stage)


@dataclass(frozen=True)
class Plan:
    """What one school's turn will write: its reminder (None: it cannot leave) and, for each
    ladder step reached, the support contact's mail (None: the coordinator's step, or no
    address)."""

    turn: SchoolTurn
    progressed: bool
    reminder: ledger.Entry | None
    escalations: tuple[tuple[EscalationStep, ledger.Entry | None], ...]

    @property
    def entries(self) -> list[ledger.Entry]:
        found = [self.reminder] + [entry for _step, entry in self.escalations]
        return [entry for entry in found if entry is not None]


@dataclass
class SweepWriter:
    """Writes one sweep's decisions for one campaign at `now` in the caller's session."""

    settings: Settings
    session: Session
    campaign: Campaign
    ctx: CampaignContext
    now: dt.datetime
    report: SweepReport
    events: list[dict[str, Any]] = field(default_factory=list)  # written by `write`

    def reminders(self, decisions: Sequence[tuple[int, Decision]]) -> None:
        """Reminders due for a batch of schools, planned and written in this session."""
        self.write(self.plan(decisions))

    def plan(self, decisions: Sequence[tuple[int, Decision]]) -> list[Plan]:
        """Reading only: the batch's rows read set-wise (`load_batch`), each school's turn
        and mails composed. The sweep plans in a reading session, then writes in a short
        transaction: the sender and the intake never wait for the composing."""
        if not decisions:
            return []
        ids = [follow_up_id for follow_up_id, _d in decisions]
        batch = load_batch(self.session, self.settings, self.campaign, ids, self.now)
        return [self._plan(batch, follow_up_id, d) for follow_up_id, d in decisions]

    def write(self, plans: Sequence[Plan]) -> None:
        """The ledger rows in one statement; then for each school, in order, its events, its
        follow-up's new columns and the ladder steps it reached (a mail whose key was taken
        already is neither reported nor recorded); the follow-ups and the events in bulk."""
        plans, waiting = self._once_a_day(plans)
        written = ledger.enqueue_many(self.session, [e for plan in plans for e in plan.entries])
        update_follow_ups(self.session, [self._write(plan, written) for plan in plans])
        update_follow_ups(self.session, [self._wait(plan) for plan in waiting])
        record_events(self.session, self.events)
        self.events.clear()

    def _once_a_day(self, plans: Sequence[Plan]) -> tuple[list[Plan], list[Plan]]:
        """The plans to write, and those whose director's address already got (or is being
        sent) today's mail for another school: one mail per address per day, so these wait for
        the next school day (the mails still waiting leave together: `delivery.grouping`)."""
        by_day: dict[dt.date, list[str]] = {}
        for plan in plans:
            if plan.reminder is not None:
                by_day.setdefault(plan.reminder.day, []).append(plan.reminder.recipient)
        mailed = {
            day: ledger.mailed_on(self.session, day=day, recipients=recipients)
            for day, recipients in by_day.items()
        }
        waiting = [
            p
            for p in plans
            if p.reminder is not None and p.reminder.recipient.lower() in mailed[p.reminder.day]
        ]
        held = {id(p) for p in waiting}
        return [p for p in plans if id(p) not in held], waiting

    def _wait(self, plan: Plan) -> dict[str, Any]:
        """A school whose reminder waits for the next school day: nothing written but its new
        due moment and the event saying why (its turn is decided again then)."""
        turn, cal = plan.turn, self.ctx.calendar
        day = cal.next_school_day(turn.day, include=False)
        self._event(
            turn.follow_up,
            EventKind.REMINDER_SKIPPED,
            f"Relance reportée au {long_date(day)} : un mail est déjà parti aujourd'hui à "
            f"{turn.school.director_email} pour une autre école de la même direction "
            "(un seul mail par jour et par adresse)",
        )
        self.report.skipped.append(f"{turn.school.uai} : relance reportée au {long_date(day)}")
        return {"id": turn.follow_up.id or 0, "next_reminder_at": cal.opening(day)}

    def _plan(self, batch: Batch, follow_up_id: int, decision: Decision) -> Plan:
        """The school's turn: the count restarts if it made progress since its last reminder;
        the ladder steps reached (none when the reminder cannot leave); its mails."""
        follow_up = batch.follow_ups[follow_up_id]
        school = batch.schools[follow_up.school_id]
        items = batch.items[follow_up.school_id]
        done = self._escalations_delivered(follow_up)
        decision = _delivered_only(batch, follow_up, decision)
        previous = batch.previous_open_count(follow_up, decision.policy_stage)
        progressed = not decision.started and previous is not None and open_count(items) < previous
        if progressed:
            decision, done = with_progress(decision), ()
        turn = SchoolTurn(school, follow_up, items, decision, self.ctx.calendar.local_day(self.now))
        ladder = stored_ladder(follow_up.ladder)
        if turn.reachable:
            decision = with_escalations(decision, ladder, done)
        else:
            decision = not_counted(decision, ladder, done)
        turn = replace(turn, decision=decision)
        reminder = self._reminder_entry(turn) if turn.reachable else None
        steps = tuple((step, self._escalation_entry(turn, step)) for step in decision.escalate)
        return Plan(turn, progressed, reminder, steps)

    def _escalations_delivered(self, follow_up: FollowUpRow) -> tuple[str, ...]:
        """The ladder steps taken, less those whose mail to support never left because its day
        ended first (an SMTP outage): the next reminder takes them again, so an escalation
        is superseded by the next day's, never delivered late nor lost."""
        done = tuple(follow_up.escalations_done or ())
        support = [name for name in done if name.startswith(f"{Notify.SUPPORT.value}@")]
        if not support:
            return done
        lost = ledger.escalations_out_of_time(
            self.session, school_id=follow_up.school_id, campaign_id=follow_up.campaign_id
        )
        return tuple(n for n in done if n not in {f"{Notify.SUPPORT.value}@{s}" for s in lost})

    def _write(self, plan: Plan, written: set[str]) -> dict[str, Any]:
        """One school's events and ladder steps; returns its follow-up's new columns."""
        turn = plan.turn
        follow_up, school = turn.follow_up, turn.school
        if plan.progressed:
            self._event(follow_up, EventKind.PROGRESS, "Progrès depuis la dernière relance")
        if plan.reminder is not None:
            if self._created(plan.reminder, turn, written):
                message = f"Relance préparée ({turn.stage_label}) pour {school.director_email}"
                self._event(follow_up, EventKind.REMINDER_QUEUED, message)
        else:
            why = "adresse en échec" if school.director_email else "aucune adresse de direction"
            self.report.skipped.append(f"{school.uai} : relance non préparée ({why})")
            self._event(follow_up, EventKind.REMINDER_SKIPPED, f"Relance non préparée : {why}")
        for step, entry in plan.escalations:
            self._escalate(turn, step, entry, written)
        progress = self.now if plan.progressed else follow_up.last_progress_at
        return {
            **columns(follow_up.id, turn.decision),
            "last_reminder_at": self.now,
            "updated_at": self.now,
            "last_progress_at": progress,
        }

    def _reminder_entry(self, turn: SchoolTurn) -> ledger.Entry:
        school, decision = turn.school, turn.decision
        payload = reminder_payload(
            self.settings,
            school=school,
            campaign=self.campaign,
            items=turn.items,
            stage=decision.policy_stage,
            number=decision.reminders_without_progress,
            now=self.now,
        )
        return self._entry(turn, LedgerKind.REMINDER, Mail(school.director_email, payload))

    def _escalation_entry(self, turn: SchoolTurn, step: EscalationStep) -> ledger.Entry | None:
        """The mail to the support contact (None: the coordinator's step, or no address)."""
        if step.notify is Notify.COORDINATOR:
            return None
        mail = escalation_mail(
            self.settings,
            school=turn.school,
            campaign=self.campaign,
            follow_up=turn.follow_up,
            items=turn.items,
            stage=turn.decision.policy_stage,
            count=turn.decision.reminders_without_progress,
        )
        if mail is None:
            return None
        return self._entry(turn, LedgerKind.ESCALATION, mail, detail=(step.after,))

    def _escalate(
        self, turn: SchoolTurn, step: EscalationStep, entry: ledger.Entry | None, written: set[str]
    ) -> None:
        count = _without_progress(turn.decision.reminders_without_progress)
        if step.notify is Notify.COORDINATOR:
            message = f"Signalée à la coordination : {count} ({turn.stage_label})"
            data = {"notify": Notify.COORDINATOR.value}
            self._event(turn.follow_up, EventKind.ESCALATED, message, data)
            self.report.escalations.append(f"{turn.school.uai} : coordination")
            return
        if entry is None:
            self._event(turn.follow_up, EventKind.ESCALATED, "Aucun contact d'assistance configuré")
            return
        self._created(entry, turn, written)
        self.report.escalations.append(f"{turn.school.uai} : {entry.recipient}")
        category = entry.payload.get("category", "")
        self._event(
            turn.follow_up,
            EventKind.ESCALATED,
            f"Signalée à l'assistance ({entry.recipient}) : {count} ({turn.stage_label})",
            {"notify": Notify.SUPPORT.value, "to": entry.recipient, "category": category},
        )

    def _entry(
        self, turn: SchoolTurn, kind: LedgerKind, mail: Mail, detail: tuple[int, ...] = ()
    ) -> ledger.Entry:
        """A school's mail for today, under its key."""
        key = ledger.ledger_key(
            kind, campaign=self.campaign.name, day=turn.day, uai=turn.school.uai, detail=detail
        )
        return ledger.Entry(
            kind=kind,
            key=key,
            recipient=mail.recipient,
            payload=mail.payload,
            day=turn.day,
            due_at=self.now,
            created_at=self.now,
            school_id=turn.school.id,
            campaign_id=self.campaign.id,
            stage=turn.decision.policy_stage,
            send_before=self._day_end(turn.day),  # reminders and escalations alike
        )

    def _created(self, entry: ledger.Entry, turn: SchoolTurn, written: set[str]) -> bool:
        """Whether the row was written now (False: its key was taken already)."""
        if entry.key not in written:
            return False
        subject = entry.payload["subject"]
        uai, stage = turn.school.uai, turn.decision.policy_stage
        self.report.created.append(
            Planned(entry.kind, entry.key, entry.recipient, subject, uai, stage)
        )
        return True

    def _day_end(self, day: dt.date) -> dt.datetime:
        """The end of the sending window on `day`: a reminder of that day never leaves later
        (the next day's replaces it)."""
        return self.ctx.calendar.at(day, self.ctx.policy.window_end)

    def _event(
        self,
        follow_up: FollowUpRow,
        kind: EventKind,
        message: str,
        data: dict[str, Any] | None = None,
    ) -> None:
        event = event_values(
            at=self.now,
            kind=kind,
            school_id=follow_up.school_id,
            campaign_id=follow_up.campaign_id,
            message=message,
            data=data,
        )
        self.events.append(event)

    def digests(self) -> None:
        """Each coordinator's digest of the day, once its time has come."""
        self.write_digests(self.digest_entries())

    def digest_entries(self) -> list[ledger.Entry]:
        """Reading only: the digests not queued yet, their payload computed once."""
        day = digest_day(self.ctx.calendar, self.now, self.ctx.policy.digest_time)
        if day is None or not self.settings.contacts.coordinators:
            return []
        contacts, cal = self.settings.contacts, self.ctx.calendar

        def payload_for(recipient: str) -> dict[str, Any]:
            scope = DigestScope(recipient, contacts.circonscriptions_of(recipient), cal)
            return digest_payload(self.session, self.settings, self.campaign, day, self.now, scope)

        return coordinator_entries(
            self.session,
            self.settings,
            self.campaign,
            day=day,
            now=self.now,
            payload_for=payload_for,
            # a digest not gone by the end of its day is replaced by the next one
            send_before=cal.at(day + dt.timedelta(days=1), dt.time(0, 0)),
        )

    def write_digests(self, entries: Sequence[ledger.Entry]) -> None:
        write_coordinator_entries(self.session, entries, self.report)


def _delivered_only(batch: Batch, follow_up: FollowUpRow, decision: Decision) -> Decision:
    """The ladder counts reminders delivered, not rows written: the previous reminder
    (written at `last_reminder_at`) counts for nothing if it never reached the director
    (cancelled, refused). Each row is looked at once, by the next reminder."""
    count, since = decision.reminders_without_progress, follow_up.last_reminder_at
    if decision.started or count <= 1 or since is None:
        return decision
    missed = batch.undelivered(follow_up, decision.policy_stage, since)
    return replace(decision, reminders_without_progress=max(1, count - missed))


def _without_progress(count: int) -> str:
    return f"{plural(count, 'relance')} sans progrès"
