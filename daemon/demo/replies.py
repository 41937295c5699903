"""Directors who answer, for the demo. When the demo is built, a few replies are prepared for
schools that will get a reminder when the daemon starts: three with their corrected compte
rendu attached, one without a file, one out-of-office, and one address that bounces. The mail
catcher plays the world: when a reminder to one of them arrives, the answer lands a few seconds
later in the demo's mailbox (a Maildir), threaded under the reminder — and the mailbox part of
`relance serve` reads it with the same processing as an IMAP mailbox."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import email.utils
import logging
import mailbox
import random
import threading
from email.message import EmailMessage
from pathlib import Path

from sqlmodel import Session, col, select

from daemon.app import App
from daemon.demo.generate import DemoPupil, compte_rendu
from db.engine import reading
from db.models import FollowUp, Pupil, Reminder, School
from db.states import LedgerKind, ReminderStatus

log = logging.getLogger(__name__)
PICKS = (("errors", "reply", 3), ("awaiting_ine", "note", 1), ("exported", "away", 1))
BOUNCING = "awaiting_export"


def prepare_replies(app: App, folder: Path, *, now: dt.datetime) -> list[str]:
    """Write the prepared answers (`<UAI>.<kind>.eml`, `<UAI>.bounce`); returns their names."""
    folder.mkdir(parents=True, exist_ok=True)
    coordinator = app.settings.contacts.coordinator_email
    written: list[str] = []
    with reading(app.engine) as session:
        for stage, kind, count in PICKS:
            for school in _due_schools(session, stage, count):
                message = _reply(session, school, kind, coordinator, now)
                path = folder / f"{school.uai}.{kind}.eml"
                path.write_bytes(message.as_bytes())
                written.append(path.name)
        # a school that never exported bounces; if none is reminded that day, another one
        answering = {name.partition(".")[0] for name in written}
        candidates = _due_schools(session, BOUNCING, 1) + _due_schools(session, None, 10)
        for school in [s for s in candidates if s.uai not in answering][:1]:
            (folder / f"{school.uai}.bounce").write_text("", encoding="utf-8")
            written.append(f"{school.uai}.bounce")
    return written


def _due_schools(session: Session, stage: str | None, count: int) -> list[School]:
    """Schools at `stage` (None: any) with a reminder waiting in the ledger (it leaves when
    the daemon starts), first by UAI."""
    query = (
        select(School)
        .join(Reminder, col(Reminder.school_id) == col(School.id))
        .join(FollowUp, col(FollowUp.school_id) == col(School.id))
        .where(
            Reminder.kind == LedgerKind.REMINDER,
            Reminder.status == ReminderStatus.PENDING,
        )
        .order_by(col(School.uai))
        .limit(count)
    )
    if stage is not None:
        query = query.where(FollowUp.stage == stage)
    return list(session.exec(query))


def _reply(
    session: Session, school: School, kind: str, coordinator: str, now: dt.datetime
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = email.utils.formataddr((f"Direction {school.name}", school.director_email))
    message["To"] = coordinator
    if kind == "away":
        message["Auto-Submitted"] = "auto-replied"
        message["X-Demo-Subject-Prefix"] = "Réponse automatique : "
        message.set_content("Je suis absente jusqu'à lundi. Pour toute urgence, appelez l'école.")
        return message
    if kind == "note":
        message.set_content("Bonjour,\n\nBien reçu, je m'en occupe demain matin.\n\nCordialement")
        return message
    message.set_content("Bonjour,\n\nVoici le compte rendu corrigé.\n\nCordialement")
    report = _corrected_report(session, school, now)
    message.add_attachment(
        report.encode("utf-8"),
        maintype="text",
        subtype="plain",
        filename=f"compte rendu corrigé {school.uai}.txt",
    )
    return message


def _corrected_report(session: Session, school: School, now: dt.datetime) -> str:
    """Today's compte rendu of the school's own pupils: nothing rejected any more."""
    pupils = [
        DemoPupil(f"E{n:04d}", p.last_name, p.first_name, "F", p.birth_date, p.level, p.class_label)
        for n, p in enumerate(session.exec(select(Pupil).where(Pupil.school_id == school.id)))
        if p.birth_date is not None
    ]
    processed = now.replace(hour=6, minute=0, second=0, microsecond=0)
    return compte_rendu(
        school.uai,
        school.name,
        pupils,
        submitted=processed - dt.timedelta(hours=14),
        processed=processed,
        errors=0,
        pending=0,
        rng=random.Random(school.uai),
    )


class Responder:
    """Called by the catcher with each mail it receives: sends back what was prepared for
    its recipient, once, `delay` seconds later, into the demo's mailbox."""

    def __init__(self, replies: Path, maildir: Path, *, delay: float = 3.0) -> None:
        self.replies = replies
        self.maildir = maildir
        self.delay = delay
        self.timers: list[threading.Timer] = []

    def busy(self) -> bool:
        """Whether an answer is still on its way."""
        return any(timer.is_alive() for timer in self.timers)

    def received(self, data: bytes, recipients: list[str]) -> None:
        for recipient in recipients:
            uai = recipient.partition("@")[0].rpartition(".")[2].upper()
            for prepared in sorted(self.replies.glob(f"{uai}.*")) if len(uai) == 8 else []:
                answer = self._answer(prepared, data, recipient)
                if answer is None:
                    continue
                prepared.rename(prepared.with_name(prepared.name + ".envoyé"))
                timer = threading.Timer(self.delay, self._deliver, (answer,))
                timer.daemon = True
                timer.start()
                self.timers.append(timer)

    def _answer(self, prepared: Path, data: bytes, recipient: str) -> bytes | None:
        original = email.message_from_bytes(data, policy=email.policy.default)
        if prepared.suffix == ".bounce":
            return bounce_for(data, recipient)
        if prepared.suffix != ".eml":
            return None
        answer = email.message_from_bytes(prepared.read_bytes(), policy=email.policy.default)
        prefix = str(answer.get("X-Demo-Subject-Prefix", "Re: "))
        del answer["X-Demo-Subject-Prefix"]
        answer["Subject"] = prefix + str(original.get("Subject", ""))
        answer["Date"] = email.utils.formatdate(localtime=True)
        answer["Message-ID"] = email.utils.make_msgid(domain="ecoles.demo.invalid")
        answer["In-Reply-To"] = str(original["Message-ID"])
        answer["References"] = str(original["Message-ID"])
        return answer.as_bytes()

    def _deliver(self, answer: bytes) -> None:
        mailbox.Maildir(self.maildir, create=True).add(answer)
        log.info("demo: an answer landed in the coordination mailbox")


def bounce_for(data: bytes, recipient: str) -> bytes:
    """What Postfix sends back when the recipient's server refuses the address: a report
    with the returned mail's headers."""
    cut = data.find(b"\r\n\r\n")
    headers = (data[:cut] if cut >= 0 else data).decode("utf-8", "replace").replace("\r\n", "\n")
    text = (
        "This is the mail system at host smtp.demo.invalid.\n\n"
        "I'm sorry to have to inform you that your message could not\n"
        "be delivered to one or more recipients.\n\n"
        f"<{recipient}>: host mx.ecoles.demo.invalid[192.0.2.25] said: 550 5.1.1\n"
        f"    <{recipient}>: Recipient address rejected: User unknown\n"
    )
    status = (
        "Reporting-MTA: dns; smtp.demo.invalid\n\n"
        f"Final-Recipient: rfc822; {recipient}\nOriginal-Recipient: rfc822;{recipient}\n"
        "Action: failed\nStatus: 5.1.1\n"
        f"Diagnostic-Code: smtp; 550 5.1.1 <{recipient}>: Recipient address rejected: "
        "User unknown\n"
    )
    boundary = "demo-bounce-" + email.utils.make_msgid()[1:9]
    raw = (
        "From: MAILER-DAEMON@smtp.demo.invalid (Mail Delivery System)\n"
        "To: relance@demo.invalid\n"
        "Subject: Undelivered Mail Returned to Sender\n"
        f"Date: {email.utils.formatdate(localtime=True)}\n"
        f"Message-ID: {email.utils.make_msgid(domain='smtp.demo.invalid')}\n"
        "Auto-Submitted: auto-replied\nMIME-Version: 1.0\n"
        f'Content-Type: multipart/report; report-type=delivery-status; boundary="{boundary}"\n\n'
        f"--{boundary}\nContent-Description: Notification\n"
        f"Content-Type: text/plain; charset=utf-8\n\n{text}\n"
        f"--{boundary}\nContent-Description: Delivery report\n"
        f"Content-Type: message/delivery-status\n\n{status}\n"
        f"--{boundary}\nContent-Description: Undelivered Message Headers\n"
        f"Content-Type: text/rfc822-headers\n\n{headers}\n\n"
        f"--{boundary}--\n"
    )
    return raw.replace("\n", "\r\n").encode("utf-8")
