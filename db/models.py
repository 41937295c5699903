"""The tables. Every timestamp is timezone-aware (stored in UTC); every change is a row.

A school's stage is never typed in: it is derived from the evidence below (archives, comptes
rendus, extractions, declarations) by `daemon.school.stage.school_stage`; `FollowUp.stage` only
caches the last derivation so pages and the sweep can filter on it.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Index, LargeBinary, UniqueConstraint
from sqlmodel import Field, SQLModel

from db.states import (
    EventKind,
    IntakeOutcome,
    LedgerKind,
    MailKind,
    MailStatus,
    ReminderStatus,
    SmtpState,
    Stage,
)
from db.types import EnumText, UTCDateTime


def _ts(**kwargs: Any) -> Any:
    return Field(sa_type=UTCDateTime, **kwargs)


def _json(**kwargs: Any) -> Any:
    return Field(sa_type=JSON, **kwargs)


def _state(enum: type[StrEnum], length: int, **kwargs: Any) -> Any:
    """A column holding one of `enum`'s values (checked by `one_of` in the table's args)."""
    return Field(sa_type=EnumText(enum, length), **kwargs)


def one_of(table: str, column: str, enum: type[StrEnum]) -> CheckConstraint:
    """The database's own check that `column` holds one of `enum`'s values."""
    values = ", ".join(f"'{member.value}'" for member in enum)
    return CheckConstraint(f"{column} IN ({values})", name=f"ck_{table}_{column}")


class School(SQLModel, table=True):
    """A school followed by the district (from the Annuaire de l'éducation or added by hand)."""

    __table_args__ = (
        # covers the dashboard's count per circonscription (index-only scan of the active schools)
        Index("ix_school_circonscription_active", "circonscription", "active", "id"),
        # the school table's sorts, read page by page in index order (db/school_table.py)
        Index("ix_school_name_uai", "name", "uai"),
        Index("ix_school_commune_uai", "commune", "uai"),
        Index("ix_school_circonscription_uai", "circonscription", "uai"),
        # the dashboard's « À regarder en premier »: failing and missing addresses
        Index("ix_school_email_failing", "email_failing_since"),
        Index("ix_school_director_email", "director_email", "uai"),
    )

    id: int | None = Field(default=None, primary_key=True)
    uai: str = Field(max_length=8, unique=True, index=True)
    name: str = Field(max_length=200)
    commune: str = Field(default="", max_length=120)
    postal_code: str = Field(default="", max_length=10)
    departement: str = Field(default="", max_length=3, index=True)
    circonscription: str = Field(default="", max_length=200, index=True)
    sector: str = Field(default="prive", max_length=10)  # public | prive
    contract: str = Field(default="", max_length=20)  # association | simple | hors | sans_objet
    nature: str = Field(default="", max_length=80)  # ECOLE MATERNELLE, ECOLE DE NIVEAU ELEMENTAIRE…
    director_name: str = Field(default="", max_length=200)
    director_email: str = Field(default="", max_length=254)
    director_email_by_hand: bool = False  # a re-import never overwrites a hand-edited address
    email_failing_since: dt.datetime | None = _ts(default=None)
    email_failure: str = Field(default="", max_length=500)
    active: bool = Field(default=True, index=True)
    source: str = Field(default="manual", max_length=20)  # annuaire | manual | demo
    search_key: str = Field(default="", max_length=600)  # folded name, UAI, commune, postcode
    circonscription_key: str = Field(default="", max_length=200, index=True)  # folded
    # in every link to the director's page; raised to revoke the links already sent
    link_version: int = Field(default=1, sa_column_kwargs={"server_default": "1"})
    created_at: dt.datetime = _ts()
    updated_at: dt.datetime = _ts()


class Campaign(SQLModel, table=True):
    """One school year's constat de rentrée, with the calendar it was started with."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=40, unique=True)
    start: dt.date
    observation_date: dt.date
    deadline: dt.date
    timezone: str = Field(default="Europe/Paris", max_length=64)
    holiday_zone: str = Field(default="B", max_length=1)
    extra_days_off: list[str] = _json(default_factory=list)
    validation_requires_confirmation: bool = False
    retention_days: int = 120
    policy: dict[str, Any] = _json(default_factory=dict)  # reminder policy at creation
    active: bool = Field(default=True, index=True)
    created_at: dt.datetime = _ts()
    purged_at: dt.datetime | None = _ts(default=None)


class FollowUp(SQLModel, table=True):
    """A school's file in one campaign: the cached stage and the due-work columns."""

    __tablename__ = "follow_up"
    __table_args__ = (
        UniqueConstraint("school_id", "campaign_id"),
        # covers the dashboard's counts per stage: no table row read per school
        Index(
            "ix_follow_up_dashboard", "campaign_id", "school_id", "stage", "declared_validated_at"
        ),
        # the dashboard's schools without a next reminder (validated ones have none either)
        Index("ix_follow_up_unscheduled", "campaign_id", "next_reminder_at", "stage"),
        # the school table's sorts by a follow-up's column, read page by page in index order
        Index("ix_follow_up_stage_school", "campaign_id", "stage", "school_id"),
        Index("ix_follow_up_since_school", "campaign_id", "stage_since", "school_id"),
        Index("ix_follow_up_next_school", "campaign_id", "next_reminder_at", "school_id"),
        # the dashboard's « À regarder en premier », each reason read through its index
        Index("ix_follow_up_problem", "campaign_id", "problem_reported_at", "problem_answered_at"),
        Index("ix_follow_up_escalated", "campaign_id", "escalated", "stage_since"),
        Index(
            "ix_follow_up_to_confirm",
            "campaign_id",
            "validation_confirmed_at",
            "declared_validated_at",
            "stage",
        ),
        Index("ix_follow_up_stage_since", "campaign_id", "stage", "stage_since"),
        one_of("follow_up", "stage", Stage),
    )

    id: int | None = Field(default=None, primary_key=True)
    school_id: int = Field(foreign_key="school.id", index=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True)
    stage: Stage = _state(Stage, 30, default=Stage.AWAITING_EXPORT, index=True)
    stage_reason: str = Field(default="", max_length=500)
    stage_since: dt.datetime | None = _ts(default=None)
    next_reminder_at: dt.datetime | None = _ts(default=None, index=True)
    last_reminder_at: dt.datetime | None = _ts(default=None)
    snoozed_until: dt.datetime | None = _ts(default=None)
    declared_validated_at: dt.datetime | None = _ts(default=None)
    validation_confirmed_at: dt.datetime | None = _ts(default=None)
    confirmed_by: str = Field(default="", max_length=254)
    ladder: list[dict[str, Any]] = _json(default_factory=list)  # copied when the stage starts
    ladder_stage: str = Field(default="", max_length=30)
    reminders_without_progress: int = 0
    escalations_done: list[str] = _json(default_factory=list)
    escalated: bool = False  # a ladder step was taken since the count last restarted
    last_progress_at: dt.datetime | None = _ts(default=None)
    problem_category: str = Field(default="", max_length=20)  # last "j'ai un problème"
    problem_reported_at: dt.datetime | None = _ts(default=None)
    problem_detail: str = Field(default="", max_length=2000)
    problem_answered_at: dt.datetime | None = _ts(default=None)  # « Marquer comme traité »
    problem_answered_by: str = Field(default="", max_length=254)
    updated_at: dt.datetime = _ts()


class ExportSubmission(SQLModel, table=True):
    """One `<UAI>.zip` archive a school submitted, whatever was inside."""

    __tablename__ = "export_submission"
    # the dashboard's archives received per day, index-only
    __table_args__ = (
        Index(
            "ix_export_submission_day", "campaign_id", "accepted", "duplicate_of_id", "received_at"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    school_id: int = Field(foreign_key="school.id", index=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True)
    filename: str = Field(max_length=255)
    size: int
    sha256: str = Field(max_length=64, index=True)
    received_at: dt.datetime = _ts(index=True)
    channel: str = Field(max_length=20)  # folder | page | api | cli | mail
    members: list[str] = _json(default_factory=list)
    accepted: bool = True
    refusal: str = Field(default="", max_length=500)
    headcount: dict[str, Any] | None = _json(default=None)
    findings: list[dict[str, Any]] = _json(default_factory=list)
    duplicate_of_id: int | None = Field(default=None, foreign_key="export_submission.id")
    superseded_by_id: int | None = Field(default=None, foreign_key="export_submission.id")
    stored_path: str = Field(default="", max_length=500)


class Document(SQLModel, table=True):
    """An ingested compte rendu or ONDE extraction, with its parse result."""

    __table_args__ = (
        # the dashboard's documents to check: index-only, never a scan of every document
        Index("ix_document_unconfirmed_school", "campaign_id", "ocr_unconfirmed", "school_id"),
        Index(
            "ix_document_review",
            "campaign_id",
            "needs_review",
            "superseded_by_id",
            "duplicate_of_id",
            "school_id",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    school_id: int | None = Field(default=None, foreign_key="school.id", index=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True)
    kind: str = Field(max_length=20)  # compte_rendu | onde_extraction
    filename: str = Field(max_length=255)
    size: int
    sha256: str = Field(max_length=64, index=True)
    received_at: dt.datetime = _ts(index=True)
    channel: str = Field(max_length=20)
    submitted_at: dt.datetime | None = _ts(default=None)  # "Déposé le"
    processed_at: dt.datetime | None = _ts(default=None)  # "Traité le": orders the CRs
    # counts: what the stage rules read — "rejections" and "warnings" (anomaly rows found),
    # "pending_ine" (pupils without INE, null when the document says nothing about INEs),
    # plus the document's own counters (read, integrated, …).
    counts: dict[str, Any] = _json(default_factory=dict)
    result: dict[str, Any] = _json(default_factory=dict)
    needs_review: bool = Field(default=False, index=True)
    review_reasons: list[str] = _json(default_factory=list)
    duplicate_of_id: int | None = Field(default=None, foreign_key="document.id")
    superseded_by_id: int | None = Field(default=None, foreign_key="document.id")
    stored_path: str = Field(default="", max_length=500)
    # A compte rendu read by OCR: true until a coordinator has confirmed or corrected every row.
    ocr_unconfirmed: bool = Field(default=False, index=True)
    # Its rows' review (`daemon.school.ocr_review`): how each name matched the school's known
    # pupils ("names") and each row a coordinator confirmed or corrected ("rows").
    review: dict[str, Any] = _json(default_factory=dict)


class DocumentPage(SQLModel, table=True):
    """A page of a compte rendu read by OCR, as OCR saw it (upright and straight, JPEG): what
    the coordinator checks the rows read against. Kept in the database, which every process
    shares; deleted with the campaign's personal data."""

    __tablename__ = "document_page"

    id: int | None = Field(default=None, primary_key=True)
    document_id: int = Field(foreign_key="document.id", index=True)
    number: int  # from 1
    image: bytes = Field(sa_type=LargeBinary)


class Pupil(SQLModel, table=True):
    """A pupil followed for one school and campaign: identity, level, class, INE status only."""

    __table_args__ = (UniqueConstraint("school_id", "campaign_id", "match_key"),)

    id: int | None = Field(default=None, primary_key=True)
    school_id: int = Field(foreign_key="school.id", index=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True)
    match_key: str = Field(max_length=300)  # normalised last|first|birth date
    last_name: str = Field(max_length=120)
    first_name: str = Field(max_length=120)
    birth_date: dt.date | None = None
    level: str = Field(default="", max_length=10)
    cycle: str = Field(default="", max_length=12)
    class_label: str = Field(default="", max_length=120)
    ine: str | None = Field(default=None, max_length=11)
    ine_status: str = Field(default="inconnu", max_length=12, index=True)
    ine_status_since: dt.datetime | None = _ts(default=None)
    first_seen_at: dt.datetime = _ts()
    last_seen_at: dt.datetime = _ts()
    last_document_id: int | None = Field(default=None, foreign_key="document.id")
    source: str = Field(default="", max_length=20)


class Anomaly(SQLModel, table=True):
    """A rejection or warning about one pupil's field; resolved by a newer compte rendu."""

    __table_args__ = (Index("ix_anomaly_open", "school_id", "campaign_id", "resolved_at"),)

    id: int | None = Field(default=None, primary_key=True)
    school_id: int = Field(foreign_key="school.id")
    campaign_id: int = Field(foreign_key="campaign.id")
    pupil_id: int | None = Field(default=None, foreign_key="pupil.id")
    match_key: str = Field(max_length=300)
    field: str = Field(max_length=120)  # Rubrique
    message: str = Field(max_length=1000)
    severity: str = Field(max_length=15)  # rejet | avertissement
    category: str = Field(default="", max_length=20)  # export | onde | other
    first_seen_at: dt.datetime = _ts()
    last_seen_at: dt.datetime = _ts()
    first_document_id: int | None = Field(default=None, foreign_key="document.id")
    last_document_id: int | None = Field(default=None, foreign_key="document.id")
    resolved_at: dt.datetime | None = _ts(default=None)
    resolved_by_document_id: int | None = Field(default=None, foreign_key="document.id")


class Reminder(SQLModel, table=True):
    """The ledger: one row per mail to send, claimed with a compare-and-set and a lease."""

    __table_args__ = (
        Index("ix_reminder_due", "status", "next_attempt_at"),
        Index("ix_reminder_message_id", "message_id"),  # bounces and replies find their mail
        Index("ix_reminder_recipient_day", "recipient", "day"),  # one mail per address per day
        # a school's last mail delivered (the dashboard's « sans mouvement »), index-only
        Index("ix_reminder_school_sent", "school_id", "kind", "status", "sent_at"),
        one_of("reminder", "kind", LedgerKind),
        one_of("reminder", "status", ReminderStatus),
    )

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=200, unique=True)  # school, campaign, kind, day
    school_id: int | None = Field(default=None, foreign_key="school.id", index=True)
    campaign_id: int | None = Field(default=None, foreign_key="campaign.id")
    kind: LedgerKind = _state(LedgerKind, 30)
    stage: str = Field(default="", max_length=30)  # the policy stage (a Stage, or "overdue")
    day: dt.date
    recipient: str = Field(max_length=254)
    cc: list[str] = _json(default_factory=list)
    payload: dict[str, Any] = _json(default_factory=dict)  # what the mail says, for the record
    due_at: dt.datetime = _ts()
    send_before: dt.datetime | None = _ts(default=None)  # its day's window end: cancelled after
    status: ReminderStatus = _state(ReminderStatus, 12, default=ReminderStatus.PENDING)
    claimed_by: str = Field(default="", max_length=100)
    lease_until: dt.datetime | None = _ts(default=None)
    attempts: int = 0
    next_attempt_at: dt.datetime = _ts()
    last_error: str = Field(default="", max_length=1000)
    sent_at: dt.datetime | None = _ts(default=None)
    message_id: str = Field(default="", max_length=250)
    created_at: dt.datetime = _ts()


class Event(SQLModel, table=True):
    """One change in a school's history (or the installation's, when school_id is empty)."""

    __table_args__ = (
        # a school's history; its activity since a day, index-only (« sans mouvement »)
        Index("ix_event_school_at_kind", "school_id", "at", "kind"),
        # the dashboard's stages entered per day
        Index("ix_event_stage_day", "kind", "stage", "campaign_id", "at"),
        one_of("event", "kind", EventKind),
        one_of("event", "stage", Stage),
    )

    id: int | None = Field(default=None, primary_key=True)
    school_id: int | None = Field(default=None, foreign_key="school.id")
    campaign_id: int | None = Field(default=None, foreign_key="campaign.id")
    at: dt.datetime = _ts(index=True)
    kind: EventKind = _state(EventKind, 40, index=True)
    stage: Stage | None = _state(Stage, 30, default=None)  # entered, for a stage_changed
    message: str = Field(max_length=1000)  # French, for the timeline; never a pupil's name
    data: dict[str, Any] = _json(default_factory=dict)
    actor: str = Field(default="system", max_length=254)


class IntakeFile(SQLModel, table=True):
    """Every file taken from the drop folder, a page, the API or the command line."""

    __tablename__ = "intake_file"
    __table_args__ = (one_of("intake_file", "outcome", IntakeOutcome),)

    id: int | None = Field(default=None, primary_key=True)
    original_name: str = Field(max_length=500)
    stored_path: str = Field(default="", max_length=500)
    sha256: str = Field(default="", max_length=64, index=True)
    size: int = 0
    received_at: dt.datetime = _ts(index=True)
    channel: str = Field(max_length=20)
    kind: str = Field(default="", max_length=20)  # compte_rendu | onde_extraction | export | ?
    # IntakeOutcome.READING: a scan waiting for its OCR (a reader claims it, `claimed_until`)
    outcome: IntakeOutcome = _state(IntakeOutcome, 20, index=True)
    reason: str = Field(default="", max_length=1000)
    school_id: int | None = Field(default=None, foreign_key="school.id", index=True)
    document_id: int | None = Field(default=None, foreign_key="document.id")
    submission_id: int | None = Field(default=None, foreign_key="export_submission.id")
    # where it came from, so that a retry keeps it: the school its channel gave (a school's
    # page, the API) and its path in the drop folder (folder names may carry a UAI)
    given_uai: str = Field(default="", max_length=8, sa_column_kwargs={"server_default": ""})
    origin: str = Field(default="", max_length=500, sa_column_kwargs={"server_default": ""})
    # A scan being read (`reading`): a reader claimed it until then (a reader that dies leaves
    # it to expire and be taken again).
    claimed_until: dt.datetime | None = _ts(default=None)


class User(SQLModel, table=True):
    """A coordinator account (password hashed with argon2)."""

    __tablename__ = "app_user"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, unique=True)
    name: str = Field(default="", max_length=200)
    password_hash: str = Field(max_length=500)
    active: bool = True
    created_at: dt.datetime = _ts()
    last_login_at: dt.datetime | None = _ts(default=None)


class Heartbeat(SQLModel, table=True):
    """One part of one running daemon (`relance serve`), as its lifecycle last wrote it: the
    rows every process reads to show the others' parts. Times are the real clock's."""

    __table_args__ = (UniqueConstraint("instance", "part"),)

    id: int | None = Field(default=None, primary_key=True)
    instance: str = Field(max_length=100, index=True)  # host:pid of the process
    part: str = Field(max_length=30)  # web | watcher | scheduler | sender | housekeeping
    instance_started_at: dt.datetime = _ts()
    alive: bool = False
    waiting_for_database: bool = False
    started_at: dt.datetime | None = _ts(default=None)  # the part's last (re)start
    beat_at: dt.datetime = _ts()  # older than `db.health.STALE_AFTER`: the process is gone
    restarts: int = 0
    db_waits: int = 0
    last_error: str = Field(default="", max_length=500)
    worked_at: dt.datetime | None = _ts(default=None)  # the scheduler's last sweep (its clock)


class MailboxHealth(SQLModel, table=True):
    """The coordination mailbox as its reader last saw it (one row per mailbox): the pages and
    `/healthz` of any process read it, like the SMTP server's."""

    __tablename__ = "mailbox_health"
    __table_args__ = (one_of("mailbox_health", "state", SmtpState),)

    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(max_length=300, unique=True)  # where it reads (imaps://…, maildir://…)
    state: SmtpState = _state(SmtpState, 10, default=SmtpState.UNKNOWN)
    since: dt.datetime | None = _ts(default=None)  # when it entered this state
    last_error: str = Field(default="", max_length=1000)
    updated_at: dt.datetime = _ts()


class SendPace(SQLModel, table=True):
    """The installation's sending pace (one row per mail server): every sender reserves its
    next sending moments here, so `smtp.rate_per_minute` holds for all of them together."""

    __tablename__ = "send_pace"

    id: int | None = Field(default=None, primary_key=True)
    server: str = Field(max_length=300, unique=True)  # host:port
    next_at: dt.datetime = _ts()  # the first moment not reserved yet (real time)


class SmtpHealth(SQLModel, table=True):
    """The mail server as the senders last saw it (one row per server, shared by every
    sender): the pages and `/healthz` of any process read it."""

    __tablename__ = "smtp_health"
    __table_args__ = (one_of("smtp_health", "state", SmtpState),)

    id: int | None = Field(default=None, primary_key=True)
    server: str = Field(max_length=300, unique=True)  # host:port
    state: SmtpState = _state(SmtpState, 10, default=SmtpState.UNKNOWN)
    since: dt.datetime | None = _ts(default=None)  # when it entered this state
    last_error: str = Field(default="", max_length=1000)
    last_sent_at: dt.datetime | None = _ts(default=None)
    sent: int = 0
    updated_at: dt.datetime = _ts()


class LoginSession(SQLModel, table=True):
    """A coordinator's signed-in session: the cookie holds a random token, the row its hash.
    Checked on every request, so signing out, « fermer toutes mes sessions » and disabling an
    account end a session on the server, whatever copy of the cookie is left."""

    __tablename__ = "login_session"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    token_hash: str = Field(max_length=64, unique=True)
    created_at: dt.datetime = _ts()
    expires_at: dt.datetime = _ts()
    ended_at: dt.datetime | None = _ts(default=None)


class MailboxMessage(SQLModel, table=True):
    """One message of the coordination mailbox: claimed by one daemon, then what it was and
    where it went. The key (its Message-ID, else a digest of its headers) is unique, so two
    daemons reading one mailbox process each message once."""

    __tablename__ = "mailbox_message"
    __table_args__ = (
        one_of("mailbox_message", "kind", MailKind),
        one_of("mailbox_message", "status", MailStatus),
        Index("ix_mailbox_message_school_at", "school_id", "received_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=300, unique=True)
    message_id: str = Field(default="", max_length=300)
    sender: str = Field(default="", max_length=254)
    subject: str = Field(default="", max_length=300)
    received_at: dt.datetime = _ts()  # its Date header (else when it was first seen)
    seen_at: dt.datetime = _ts()
    kind: str = Field(default="other", max_length=12)  # db.states.MailKind
    status: str = Field(default="claimed", max_length=12)  # db.states.MailStatus
    claimed_by: str = Field(default="", max_length=100)
    lease_until: dt.datetime | None = _ts(default=None)
    settled_at: dt.datetime | None = _ts(default=None)
    moved_at: dt.datetime | None = _ts(default=None)  # once in its folder
    reason: str = Field(default="", max_length=1000)  # French: why refused, what was read
    school_id: int | None = Field(default=None, foreign_key="school.id")
    campaign_id: int | None = Field(default=None, foreign_key="campaign.id")
    reminder_id: int | None = Field(default=None, foreign_key="reminder.id")
    files: int = 0  # files taken through the intake
