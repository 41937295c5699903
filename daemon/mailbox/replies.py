"""Directors' replies carrying files: each file goes through the intake (channel `mail`) for
the school `identify` finds, if the sender is that school's director; otherwise it is kept in
quarantine with the reason. The sender, if relance knows them, gets one acknowledgement
threaded under their message: what was read and what is still open, or why it was refused."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlmodel import Session, col, select

from daemon.app import App
from daemon.ingest.intake.intake import Intake, IntakeResult
from daemon.mailbox.identify import (
    is_director,
    known_correspondent,
    message_school,
    not_director,
    reminder_answered,
    school_for,
)
from daemon.mailbox.outcome import Outcome
from daemon.mailbox.reading import Attachment, Inbound
from daemon.reminders.acknowledgement import Received, queue_acknowledgement
from daemon.wording import plural
from db.engine import reading, transaction
from db.events import record_event
from db.models import MailboxMessage, School
from db.schools import get_school
from db.states import EventKind, MailKind, MailStatus

TAKEN = ("processed", "duplicate")


@dataclass(frozen=True)
class LatestReply:
    """What the school's page says of the last answer read in the mailbox."""

    at: dt.datetime
    subject: str
    sender: str
    from_director: bool
    files: int  # files the intake took from it (0: a note left for people)


def latest_reply(session: Session, *, school: School) -> LatestReply | None:
    """The school's most recent reply read in the mailbox (with files or not), if any."""
    row = session.exec(
        select(MailboxMessage)
        .where(
            MailboxMessage.school_id == school.id,
            col(MailboxMessage.kind).in_((MailKind.REPLY, MailKind.NOTE)),
        )
        .order_by(col(MailboxMessage.received_at).desc(), col(MailboxMessage.id).desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    director = is_director(school, row.sender)
    return LatestReply(row.received_at, row.subject, row.sender, director, row.files)


class Replies:
    def __init__(self, app: App, intake: Intake) -> None:
        self.app = app
        self.intake = intake

    def take(self, inbound: Inbound, now: dt.datetime) -> Outcome:
        with reading(self.app.engine) as session:
            answered = reminder_answered(session, inbound.replies_to)
            answered_id = answered.id if answered else None
            thread = answered.school_id if answered else None
        results = [self._take(inbound, a, thread, now) for a in inbound.attachments]
        taken = [r for r in results if r.outcome in TAKEN]
        lines = tuple(r.message for r in results)
        with transaction(self.app.engine) as session:
            main = self._main_school(session, inbound, results)
            campaign = self.app.campaign(session, now, follow_ups=False)
            record_reply(session, inbound, main, campaign.id, len(taken), len(results), now)
            if known_correspondent(session, sender=inbound.sender, in_thread=bool(answered_id)):
                refusal = "" if taken else refusal_of(results)
                queue_acknowledgement(
                    self.app,
                    session,
                    received=received(inbound, lines, refusal),
                    school=main,
                    campaign=campaign,
                    now=now,
                )
            main_id = main.id if main else None
        return Outcome(
            MailKind.REPLY,
            MailStatus.PROCESSED if taken else MailStatus.REFUSED,
            "\n".join(lines)[:1000],
            school_id=main_id,
            campaign_id=campaign.id,
            reminder_id=answered_id,
            files=len(taken),
        )

    def _take(
        self, inbound: Inbound, attachment: Attachment, thread: int | None, now: dt.datetime
    ) -> IntakeResult:
        """One file through the intake for its school, or into quarantine with the reason."""
        with reading(self.app.engine) as session:
            found = school_for(
                session,
                answered_id=thread,
                names=(attachment.filename, inbound.subject),
                sender=inbound.sender,
            )
            refusal = attachment.refusal or not_director(found, inbound.sender)
            school_uai = found.school.uai if found.school else None
        if refusal:
            return self.intake.refuse_bytes(
                attachment.data,
                filename=attachment.filename,
                reason=refusal,
                channel="mail",
                now=now,
                school_uai=school_uai,
                actor=inbound.sender,
            )
        return self.intake.take_bytes(
            attachment.data,
            filename=attachment.filename,
            channel="mail",
            now=now,
            school_uai=school_uai,
            actor=inbound.sender,
        )

    @staticmethod
    def _main_school(
        session: Session, inbound: Inbound, results: list[IntakeResult]
    ) -> School | None:
        """The school the message is about: its first file's, else the one identified."""
        for result in results:
            school = get_school(session, uai=result.uai) if result.uai else None
            if school is not None:
                return school
        return message_school(
            session, replies_to=inbound.replies_to, subject=inbound.subject, sender=inbound.sender
        ).school


def record_reply(
    session: Session,
    inbound: Inbound,
    school: School | None,
    campaign_id: int | None,
    taken: int,
    total: int,
    now: dt.datetime,
) -> None:
    """The school's history: a mail came, so many files read, so many refused."""
    if school is None:
        return
    counts = files(taken, "lu") + (f", {files(total - taken, 'refusé')}" if total > taken else "")
    record_event(
        session,
        at=now,
        kind=EventKind.MAIL_RECEIVED,
        school_id=school.id,
        campaign_id=campaign_id,
        message=f"Courriel de {inbound.sender} (« {inbound.subject} ») : {counts}",
        data={"sender": inbound.sender, "message_id": inbound.message_id},
        actor=inbound.sender,
    )


def refusal_of(results: list[IntakeResult]) -> str:
    reasons = list(dict.fromkeys(r.reason for r in results if r.reason))
    return "; ".join(reasons) or "aucun fichier lisible"


def files(count: int, participle: str) -> str:
    """« 1 fichier lu », « 2 fichiers refusés »."""
    return plural(count, f"fichier {participle}", f"fichiers {participle}s")


def received(inbound: Inbound, lines: tuple[str, ...], refusal: str) -> Received:
    return Received(
        key=inbound.key,
        sender=inbound.sender,
        message_id=inbound.message_id,
        replies_to=inbound.replies_to,
        subject=inbound.subject,
        received_at=inbound.date,
        lines=lines,
        refusal=refusal,
    )
