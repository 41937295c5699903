"""Writing a sweep's decisions: the ledger rows (reminders, escalations, digests), the
follow-up's new columns and the events, inside the caller's transaction.

A `SweepWriter` holds what is the same for every school of one sweep (the session, the campaign,
`now`, the report); a `SchoolTurn` what one school's reminder is written from. Every ledger row
goes through `db.ledger.enqueue` under a key from `db.ledger.ledger_key`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import Any

from sqlmodel import Session

from daemon.config import Settings
from daemon.reminders.digest import (
    DigestScope,
    digest_day,
    digest_payload,
    queue_to_coordinators,
)
from daemon.reminders.due import (
    CampaignContext,
    Decision,
    not_counted,
    with_escalations,
    with_progress,
)
from daemon.reminders.mails import Mail, escalation_mail, open_count, open_items, reminder_payload
from daemon.reminders.policy import (
    POLICY_LABELS,
    EscalationStep,
    Notify,
    ladder_json,
    stored_ladder,
)
from daemon.reminders.report import Planned, SweepReport
from daemon.school.open_items import OpenItems
from daemon.wording import plural
from db import ledger
from db.events import record_event
from db.models import Campaign, FollowUp, School
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


@dataclass(frozen=True)
class SchoolTurn:
    """One school's turn in a sweep: its rows, what is still open, and the decision once
    progress and the ladder are taken into account."""

    school: School
    follow_up: FollowUp
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


@dataclass
class SweepWriter:
    """Writes one sweep's decisions for one campaign at `now` in the caller's session."""

    settings: Settings
    session: Session
    campaign: Campaign
    ctx: CampaignContext
    now: dt.datetime
    report: SweepReport

    def reminder(self, follow_up_id: int, decision: Decision) -> None:
        """A reminder is due: queue it (or say why not), update the follow-up, take the ladder
        steps it reaches."""
        turn = self._turn(follow_up_id, decision)
        follow_up = turn.follow_up
        if turn.reachable:
            self._queue_reminder(turn)
        else:
            why = (
                "adresse en échec" if turn.school.director_email else "aucune adresse de direction"
            )
            self.report.skipped.append(f"{turn.school.uai} : relance non préparée ({why})")
            self._event(follow_up, EventKind.REMINDER_SKIPPED, f"Relance non préparée : {why}")
        for name, value in columns(follow_up_id, turn.decision).items():
            if name != "id":
                setattr(follow_up, name, value)
        follow_up.last_reminder_at = follow_up.updated_at = self.now
        for step in turn.decision.escalate:
            self._escalate(turn, step)

    def _turn(self, follow_up_id: int, decision: Decision) -> SchoolTurn:
        """The school's rows and open items; the count restarts if it made progress since its
        last reminder; the ladder steps reached (none when the reminder cannot leave)."""
        follow_up = self.session.get(FollowUp, follow_up_id)
        assert follow_up is not None
        school = self.session.get(School, follow_up.school_id)
        assert school is not None
        items = open_items(self.session, self.settings, school, self.campaign, self.now)
        done = tuple(follow_up.escalations_done or ())
        decision = self._delivered_only(follow_up, decision)
        previous = self._previous_open_count(follow_up, decision.policy_stage)
        if not decision.started and previous is not None and open_count(items) < previous:
            decision, done = with_progress(decision), ()
            follow_up.last_progress_at = self.now
            self._event(follow_up, EventKind.PROGRESS, "Progrès depuis la dernière relance")
        turn = SchoolTurn(school, follow_up, items, decision, self.ctx.calendar.local_day(self.now))
        ladder = stored_ladder(follow_up.ladder)
        if turn.reachable:
            decision = with_escalations(decision, ladder, done)
        else:
            decision = not_counted(decision, ladder, done)
        return replace(turn, decision=decision)

    def _delivered_only(self, follow_up: FollowUp, decision: Decision) -> Decision:
        """The ladder counts reminders delivered, not rows written: the previous reminder
        (written at `last_reminder_at`) counts for nothing if it never reached the director
        (cancelled, refused). Each row is looked at once, by the next reminder."""
        count, since = decision.reminders_without_progress, follow_up.last_reminder_at
        if decision.started or count <= 1 or since is None:
            return decision
        missed = ledger.undelivered(
            self.session,
            school_id=follow_up.school_id,
            campaign_id=follow_up.campaign_id,
            stage=decision.policy_stage,
            since=since,
        )
        return replace(decision, reminders_without_progress=max(1, count - missed))

    def _previous_open_count(self, follow_up: FollowUp, stage: str) -> int | None:
        last = ledger.latest(
            self.session,
            school_id=follow_up.school_id,
            campaign_id=follow_up.campaign_id,
            kind=LedgerKind.REMINDER,
            stage=stage,
        )
        value = (last.payload or {}).get("open_count") if last else None
        return None if value is None else int(value)

    def _queue_reminder(self, turn: SchoolTurn) -> None:
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
        mail = Mail(school.director_email, payload)
        if self._enqueue(turn, LedgerKind.REMINDER, mail):
            message = f"Relance préparée ({turn.stage_label}) pour {school.director_email}"
            self._event(turn.follow_up, EventKind.REMINDER_QUEUED, message)

    def _escalate(self, turn: SchoolTurn, step: EscalationStep) -> None:
        count = _without_progress(turn.decision.reminders_without_progress)
        if step.notify is Notify.COORDINATOR:
            message = f"Signalée à la coordination : {count} ({turn.stage_label})"
            data = {"notify": Notify.COORDINATOR.value}
            self._event(turn.follow_up, EventKind.ESCALATED, message, data)
            self.report.escalations.append(f"{turn.school.uai} : coordination")
            return
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
            self._event(turn.follow_up, EventKind.ESCALATED, "Aucun contact d'assistance configuré")
            return
        self._enqueue(turn, LedgerKind.ESCALATION, mail, detail=(step.after,))
        self.report.escalations.append(f"{turn.school.uai} : {mail.recipient}")
        self._event(
            turn.follow_up,
            EventKind.ESCALATED,
            f"Signalée à l'assistance ({mail.recipient}) : {count} ({turn.stage_label})",
            {"notify": Notify.SUPPORT.value, "to": mail.recipient, "category": mail.category},
        )

    def _enqueue(
        self, turn: SchoolTurn, kind: LedgerKind, mail: Mail, detail: tuple[int, ...] = ()
    ) -> bool:
        """Queue a school's mail for today; False when it was queued already."""
        uai, stage = turn.school.uai, turn.decision.policy_stage
        key = ledger.ledger_key(
            kind, campaign=self.campaign.name, day=turn.day, uai=uai, detail=detail
        )
        entry = ledger.Entry(
            kind=kind,
            key=key,
            recipient=mail.recipient,
            payload=mail.payload,
            day=turn.day,
            due_at=self.now,
            created_at=self.now,
            school_id=turn.school.id,
            campaign_id=self.campaign.id,
            stage=stage,
            send_before=self._day_end(turn.day) if kind is LedgerKind.REMINDER else None,
        )
        if not ledger.enqueue(self.session, entry).new:
            return False
        subject = mail.payload["subject"]
        self.report.created.append(Planned(kind, key, mail.recipient, subject, uai, stage))
        return True

    def _day_end(self, day: dt.date) -> dt.datetime:
        """The end of the sending window on `day`: a reminder of that day never leaves later
        (the next day's replaces it)."""
        return self.ctx.calendar.at(day, self.ctx.policy.window_end)

    def _event(
        self,
        follow_up: FollowUp,
        kind: EventKind,
        message: str,
        data: dict[str, Any] | None = None,
    ) -> None:
        record_event(
            self.session,
            at=self.now,
            kind=kind,
            school_id=follow_up.school_id,
            campaign_id=follow_up.campaign_id,
            message=message,
            data=data,
        )

    def digests(self) -> None:
        """Each coordinator's digest of the day, once its time has come."""
        day = digest_day(self.ctx.calendar, self.now, self.ctx.policy.digest_time)
        if day is None or not self.settings.contacts.coordinators:
            return
        contacts, cal = self.settings.contacts, self.ctx.calendar

        def payload_for(recipient: str) -> dict[str, Any]:
            scope = DigestScope(recipient, contacts.circonscriptions_of(recipient), cal)
            return digest_payload(self.session, self.settings, self.campaign, day, self.now, scope)

        queue_to_coordinators(
            self.session,
            self.settings,
            self.campaign,
            day=day,
            now=self.now,
            payload_for=payload_for,
            report=self.report,
            # a digest not gone by the end of its day is replaced by the next one
            send_before=cal.at(day + dt.timedelta(days=1), dt.time(0, 0)),
        )


def _without_progress(count: int) -> str:
    return f"{plural(count, 'relance')} sans progrès"
