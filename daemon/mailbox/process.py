"""What one message of the mailbox calls for, whatever its source (IMAP, Maildir).

- From relance's own address: ignored, left in place.
- A delivery report on one of our mails: a permanent failure marks the address failing through
  the ledger's own function (`delivery.outbox.mark_bounced`, as a 5xx does), with the remote
  server's diagnostic; a delay notice is only recorded. Reports on other mails are left.
- An automatic answer (out of office, RFC 3834): recorded on the school's history, never
  answered.
- A reply with files: `replies` (the intake, quarantine, the acknowledgement).
- A reply without a file: left for people; the school's history and page say the director
  answered, with the subject.
- Larger than `mailbox.max_message_mb`: refused unread (`too_big`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from sqlmodel import Session

from daemon.app import App
from daemon.delivery.outbox import mark_bounced
from daemon.ingest.intake.intake import Intake
from daemon.mailbox.bounces import Bounce, read_bounce
from daemon.mailbox.identify import (
    Found,
    is_director,
    known_correspondent,
    message_school,
    reminder_answered,
    reminder_reported,
)
from daemon.mailbox.outcome import Outcome
from daemon.mailbox.reading import Inbound, read_message
from daemon.mailbox.replies import Replies, received
from daemon.reminders.acknowledgement import queue_acknowledgement
from daemon.school.stage import french_date
from db.engine import transaction
from db.events import record_event
from db.models import Reminder, School
from db.states import EventKind, MailKind, MailStatus


class Processor:
    def __init__(self, app: App, intake: Intake | None = None) -> None:
        self.app = app
        self.intake = intake or Intake(app)
        self.replies = Replies(app, self.intake)
        settings = app.settings
        self.own = settings.smtp.from_address.lower()
        self.verp = settings.mailbox.verp_address.lower()

    def is_own(self, sender: str) -> bool:
        """Relance's own address (and its VERP return addresses)."""
        if sender == self.own:
            return True
        local, _at, domain = self.verp.rpartition("@")
        got_local, _at, got_domain = sender.rpartition("@")
        return bool(self.verp) and got_domain == domain and got_local.split("+")[0] == local

    def process(self, raw: bytes, *, now: dt.datetime) -> Outcome:
        inbound = read_message(raw)
        if self.is_own(inbound.sender):
            return Outcome(MailKind.OWN, MailStatus.LEFT, "envoyé par relance : ignoré")
        bounce = read_bounce(raw)
        if bounce is not None:
            return self.bounce(bounce, now)
        if inbound.automatic:
            return self.automatic(inbound, now)
        if not inbound.attachments:
            return self.note(inbound, now)
        return self.replies.take(inbound, now)

    # ---- delivery reports ----------------------------------------------------------------
    def bounce(self, bounce: Bounce, now: dt.datetime) -> Outcome:
        settings = self.app.settings
        with transaction(self.app.engine) as session:
            row = reminder_reported(
                session,
                bounce,
                from_address=settings.smtp.from_address,
                verp_address=settings.mailbox.verp_address,
            )
            if row is None:
                reason = "avis de non-remise qui ne porte sur aucun de nos mails"
                return Outcome(MailKind.OTHER, MailStatus.LEFT, reason)
            ids = (row.school_id, row.campaign_id, row.id)
            failing = failed_address(row, bounce)
            if bounce.delay_only or failing is None:
                return self._delayed(session, row, bounce, now)
            error = f"avis de non-remise : {bounce.diagnostic}"
            marked = mark_bounced(session, reminder=row, address=failing, error=error, at=now)
        reason = f"{failing} en échec : {bounce.diagnostic}" + ("" if marked else " (déjà noté)")
        return Outcome(MailKind.BOUNCE, MailStatus.PROCESSED, reason, *ids)

    @staticmethod
    def _delayed(session: Session, row: Reminder, bounce: Bounce, now: dt.datetime) -> Outcome:
        addresses = ", ".join(sorted(bounce.temporary or bounce.permanent))
        message = (
            f"Livraison retardée pour {addresses} ({bounce.diagnostic}) : le serveur réessaie, "
            "l'adresse n'est pas marquée en échec"
        )
        record_event(
            session,
            at=now,
            kind=EventKind.MAIL_DELAYED,
            school_id=row.school_id,
            campaign_id=row.campaign_id,
            message=message,
            data={"key": row.key, "diagnostic": bounce.diagnostic},
        )
        ids = (row.school_id, row.campaign_id, row.id)
        return Outcome(MailKind.DELAY, MailStatus.PROCESSED, message, *ids)

    # ---- automatic answers and notes -------------------------------------------------------
    def automatic(self, inbound: Inbound, now: dt.datetime) -> Outcome:
        """Recorded on the school's history when it answers one of our mails; never answered."""
        found, campaign_id = self._on_history(
            inbound,
            now,
            EventKind.AUTO_REPLY,
            lambda _school: (
                f"Réponse automatique de {inbound.sender} (« {inbound.subject} ») : "
                "notée, sans réponse"
            ),
            {"why": inbound.automatic},
        )
        if found.school is None:
            return Outcome(MailKind.OTHER, MailStatus.LEFT, "réponse automatique : ignorée")
        reason = f"réponse automatique ({inbound.automatic})"
        return Outcome(
            MailKind.AUTO_REPLY, MailStatus.PROCESSED, reason, found.school.id, campaign_id
        )

    def note(self, inbound: Inbound, now: dt.datetime) -> Outcome:
        """A reply without a file: left for people, noted on the school's history."""

        def say(school: School) -> str:
            who = (
                "Le directeur a répondu"
                if is_director(school, inbound.sender)
                else f"{inbound.sender} a répondu"
            )
            return (
                f"{who} le {french_date(inbound.date or now)} : « {inbound.subject} » "
                "(sans pièce jointe, laissé dans la boîte de la coordination)"
            )

        data = {"sender": inbound.sender, "message_id": inbound.message_id}
        found, campaign_id = self._on_history(inbound, now, EventKind.DIRECTOR_REPLIED, say, data)
        if found.school is None:
            return Outcome(MailKind.OTHER, MailStatus.LEFT, found.problem)
        reason = f"réponse sans pièce jointe ({found.how})"
        return Outcome(MailKind.NOTE, MailStatus.LEFT, reason, found.school.id, campaign_id)

    def _on_history(
        self,
        inbound: Inbound,
        now: dt.datetime,
        kind: EventKind,
        say: Callable[[School], str],
        data: dict[str, str],
    ) -> tuple[Found, int | None]:
        """An event on the history of the message's school, if it has one."""
        with transaction(self.app.engine) as session:
            found = _school(session, inbound)
            if found.school is None:
                return found, None
            campaign = self.app.campaign(session, now, follow_ups=False)
            record_event(
                session,
                at=now,
                kind=kind,
                school_id=found.school.id,
                campaign_id=campaign.id,
                message=say(found.school),
                data=data,
            )
        return found, campaign.id

    # ---- refused unread ------------------------------------------------------------------------
    def too_big(self, headers: bytes, size: int, *, now: dt.datetime) -> Outcome:
        """A message over `mailbox.max_message_mb`: never fetched, it stays in the refused
        folder; the quarantine lists it and its sender, if known, is told why."""
        settings = self.app.settings.mailbox
        inbound = read_message(headers + b"\r\n\r\n")
        size_mb = f"{size / 1_048_576:.0f} Mo ; limite {settings.max_message_mb} Mo"
        kept = (
            f"message trop volumineux ({size_mb}) : non téléchargé, gardé dans le dossier "
            f"{settings.refused_folder} de la boîte"
        )
        name = f"courriel de {inbound.sender or 'expéditeur inconnu'} : {inbound.subject}"
        self.intake.refuse_unread(name, reason=kept, channel="mail", now=now, size=size)
        reason = (
            f"message trop volumineux ({size_mb}) : déposez le fichier sur la page de votre école"
        )
        with transaction(self.app.engine) as session:
            found = _school(session, inbound)
            campaign = self.app.campaign(session, now, follow_ups=False)
            in_thread = reminder_answered(session, inbound.replies_to) is not None
            quiet = self.is_own(inbound.sender) or bool(inbound.automatic)
            if not quiet and known_correspondent(
                session, sender=inbound.sender, in_thread=in_thread
            ):
                queue_acknowledgement(
                    self.app,
                    session,
                    received=received(inbound, (), reason),
                    school=found.school,
                    campaign=campaign,
                    now=now,
                )
            ids = (found.school.id if found.school else None, campaign.id)
        return Outcome(MailKind.TOO_BIG, MailStatus.REFUSED, kept, *ids)


def _school(session: Session, inbound: Inbound) -> Found:
    return message_school(
        session, replies_to=inbound.replies_to, subject=inbound.subject, sender=inbound.sender
    )


def failed_address(row: Reminder, bounce: Bounce) -> str | None:
    """Which address of our mail the report says failed for good: one it names, else the
    mail's only recipient when the report names a single address (forwarded on, it failed
    further down the line)."""
    ours = [row.recipient, *(row.cc or [])]
    named = [a for a in ours if a.lower() in bounce.permanent]
    if named:
        return named[0]
    if len(bounce.permanent) == 1 and not row.cc:
        return row.recipient
    return None
