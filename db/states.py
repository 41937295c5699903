"""The states the tables store, as enums: the database checks them, every room reads them."""

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
