"""The states the tables store, as enums: the database checks them (CHECK constraints built
from these very enums, see `db.models`), every room reads and writes them through these names.

A value that is not here cannot be written: the column types refuse it in Python
(`db.types.EnumText`) and the database refuses it in SQL.
"""

from __future__ import annotations

from enum import StrEnum


class Stage(StrEnum):
    AWAITING_EXPORT = "awaiting_export"
    EXPORTED = "exported"
    ERRORS = "errors"
    AWAITING_INE = "awaiting_ine"
    READY_TO_VALIDATE = "ready_to_validate"
    VALIDATED = "validated"

    @property
    def label(self) -> str:
        return STAGE_LABELS[self]


STAGE_LABELS = {
    Stage.AWAITING_EXPORT: "Export attendu",
    Stage.EXPORTED: "Exporté, compte rendu attendu",
    Stage.ERRORS: "Erreurs à corriger",
    Stage.AWAITING_INE: "INE en attente",
    Stage.READY_TO_VALIDATE: "Prête à valider",
    Stage.VALIDATED: "Constat validé",
}
STAGE_ORDER = list(Stage)


class LedgerKind(StrEnum):
    """What a ledger row (`Reminder.kind`) is: it names the mail template and the key's shape."""

    REMINDER = "reminder"  # to the director, by the sweep
    ESCALATION = "escalation"  # to a support contact, a ladder step of the sweep
    PROBLEM = "problem"  # to a support contact, a director's « J'ai un problème »
    DIGEST = "digest"  # to a coordinator, once a school day
    ACKNOWLEDGEMENT = "acknowledgement"  # to whoever mailed files to the coordination mailbox


class ReminderStatus(StrEnum):
    """Where a ledger row is (`Reminder.status`)."""

    PENDING = "pending"  # waiting for its `next_attempt_at`
    CLAIMED = "claimed"  # a sender holds it until `lease_until`
    SENT = "sent"
    FAILED = "failed"  # refused for good (5xx), or another row to the address was
    CANCELLED = "cancelled"  # no longer true when claimed, or its day is over (`last_error`)


class SendOutcome(StrEnum):
    """What happened to one claimed row: the SMTP answer classified, and how the ledger marks it.

    One spelling from the SMTP connection to the ledger: `daemon.delivery.smtp.classify` returns
    it, the sender logs it, `daemon.delivery.outbox` marks the row from it."""

    SENT = "sent"  # accepted by the server → `sent`
    RETRY = "retry"  # 4xx for this mail → `pending`, tried again after a backoff
    DEFERRED = "deferred"  # the server is unusable (refused, timeout, 421) → `pending`, in order
    FAILED = "failed"  # 5xx for the recipient → `failed`, the address is marked failing
    RELEASED = "released"  # claimed but not attempted (stop, lease over) → `pending`
    CANCELLED = "cancelled"  # not attempted, and never will be (its day is over) → `cancelled`


class IntakeOutcome(StrEnum):
    """What became of a file taken in (`IntakeFile.outcome`)."""

    PROCESSED = "processed"
    DUPLICATE = "duplicate"  # the same bytes were taken before
    QUARANTINED = "quarantined"  # put aside with its reason
    RETRIED = "retried"  # a quarantined file taken in again (its new row says how it went)
    DISCARDED = "discarded"  # a quarantined file a coordinator set aside for good
    IGNORED = "ignored"  # gone before it could be read: answered, never stored
    READING = "reading"  # a scan or a photo waiting for its OCR (a reader claims it)

    @property
    def recorded(self) -> bool:
        """The file was taken (read and recorded, or recognised as taken before)."""
        return self in (IntakeOutcome.PROCESSED, IntakeOutcome.DUPLICATE)


class SmtpState(StrEnum):
    """The mail server as the senders last saw it (`SmtpHealth.state`)."""

    UNKNOWN = "unknown"  # nothing sent yet
    UP = "up"
    DOWN = "down"


class EventKind(StrEnum):
    """The registry of history rows (`Event.kind`): every change is one of these."""

    # a school's evidence and stage (daemon.school)
    EXPORT_RECEIVED = "export_received"
    EXPORT_REFUSED = "export_refused"
    EXPORT_RESUBMITTED = "export_resubmitted"
    COMPTE_RENDU_INGESTED = "compte_rendu_ingested"
    ONDE_EXTRACTION_INGESTED = "onde_extraction_ingested"
    STAGE_CHANGED = "stage_changed"
    # a compte rendu read by OCR (daemon.ingest.intake.scans, daemon.school.ocr_confirm)
    SCAN_READING = "scan_reading"
    OCR_ROW_REVIEWED = "ocr_row_reviewed"
    # what people do (daemon.school.actions)
    SNOOZED = "snoozed"
    VALIDATION_DECLARED = "validation_declared"
    VALIDATION_CONFIRMED = "validation_confirmed"
    VALIDATION_REOPENED = "validation_reopened"
    PROBLEM_REPORTED = "problem_reported"
    PROBLEM_ANSWERED = "problem_answered"  # a coordinator marked the reported problem treated
    NOTE = "note"
    RESEND_REQUESTED = "resend_requested"
    # reminders (daemon.reminders)
    PROGRESS = "progress"
    REMINDER_QUEUED = "reminder_queued"
    REMINDER_SKIPPED = "reminder_skipped"
    REMINDER_CANCELLED = "reminder_cancelled"
    ESCALATED = "escalated"
    PROBLEM_ROUTED = "problem_routed"
    # delivery (daemon.delivery)
    EMAIL_FAILING = "email_failing"
    SMTP_DOWN = "smtp_down"
    SMTP_UP = "smtp_up"
    # the coordination mailbox (daemon.mailbox, daemon.reminders.acknowledgement)
    MAIL_RECEIVED = "mail_received"
    MAIL_DELAYED = "mail_delayed"
    DIRECTOR_REPLIED = "director_replied"
    AUTO_REPLY = "auto_reply"
    ACKNOWLEDGEMENT_SKIPPED = "acknowledgement_skipped"
    MAILBOX_DOWN = "mailbox_down"
    MAILBOX_UP = "mailbox_up"
    # files (daemon.ingest.intake, the quarantine page)
    DUPLICATE_FILE = "duplicate_file"
    FILE_QUARANTINED = "file_quarantined"
    QUARANTINE_RETRIED = "quarantine_retried"
    QUARANTINE_DISCARDED = "quarantine_discarded"
    # the installation (db.schools, db.campaigns, daemon.school.actions, daemon.web.accounts,
    # daemon.runtime.purge)
    SCHOOL_ADDED = "school_added"
    SCHOOL_UPDATED = "school_updated"
    SCHOOL_EDITED = "school_edited"
    SCHOOL_ACTIVATED = "school_activated"
    SCHOOL_DEACTIVATED = "school_deactivated"
    LINK_RENEWED = "link_renewed"
    CAMPAIGN_CREATED = "campaign_created"
    CAMPAIGN_UPDATED = "campaign_updated"
    CAMPAIGN_PURGED = "campaign_purged"
    USER_ADDED = "user_added"
    USER_ENABLED = "user_enabled"
    USER_DISABLED = "user_disabled"


class MailKind(StrEnum):
    """What a message of the coordination mailbox was, once read."""

    REPLY = "reply"  # a reply carrying files (comptes rendus, extractions, archives)
    NOTE = "note"  # a reply without a file: left for people
    BOUNCE = "bounce"  # a delivery failure report on one of our mails
    DELAY = "delay"  # a temporary delay notice: recorded, the address is not marked
    AUTO_REPLY = "auto_reply"  # out of office and other automatic answers: never answered
    TOO_BIG = "too_big"  # refused unread
    OWN = "own"  # sent by relance itself: ignored
    OTHER = "other"  # not about the campaign: left alone


class MailStatus(StrEnum):
    """Where a mailbox message stands: claimed by one daemon, then settled."""

    CLAIMED = "claimed"
    PROCESSED = "processed"  # moved to the processed folder
    REFUSED = "refused"  # moved to the refused folder
    LEFT = "left"  # left in place for people


INGESTED = {
    "compte_rendu": EventKind.COMPTE_RENDU_INGESTED,
    "onde_extraction": EventKind.ONDE_EXTRACTION_INGESTED,
}
"""The event of a document recorded, by the document's kind."""

# What a person reads for the other stored values (the pages, the mails, the command line).
REMINDER_STATUS_LABELS = {
    "pending": "en attente",
    "claimed": "en cours d'envoi",
    "sent": "envoyé",
    "failed": "échec",
    "cancelled": "annulé",
}
SMTP_STATE_LABELS = {"unknown": "pas encore contacté", "up": "joignable", "down": "injoignable"}
ESCALATION_LABELS = {"coordinator": "coordination", "support": "assistance"}
