"""delivery: a ledger row may be cancelled, and a day's mail knows when its day ends

- `ix_reminder_recipient_day`: the sender finds the other reminders to an address for the same
  day, sent together as one mail.
- `reminder.send_before`: the end of the sending window on the day a reminder or digest was
  written for; past it the row is cancelled (the next day's mail replaces it), never sent late.
- `mailbox_health`: the coordination mailbox as its reader last saw it, read by `/healthz` and
  the coordinators' banner like the SMTP server's row.
- `send_pace`: the sending moments the senders reserved, so that `smtp.rate_per_minute` holds
  for every daemon on the database together.
- `reminder.status` may be `cancelled` (the mail was no longer true when a sender claimed it, or
  its day was over; `last_error` says why), and the event kind `reminder_cancelled` is known.

Revision ID: 0007_delivery
Revises: 0006_problem_answered
Create Date: 2026-12-07 21:45:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import db.types

revision: str = "0007_delivery"
down_revision: str | None = "0006_problem_answered"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATUSES = ("pending", "claimed", "sent", "failed")
BEFORE = (
    "export_received",
    "export_refused",
    "export_resubmitted",
    "compte_rendu_ingested",
    "onde_extraction_ingested",
    "stage_changed",
    "snoozed",
    "validation_declared",
    "validation_confirmed",
    "validation_reopened",
    "problem_reported",
    "problem_answered",
    "note",
    "resend_requested",
    "progress",
    "reminder_queued",
    "reminder_skipped",
    "escalated",
    "problem_routed",
    "email_failing",
    "smtp_down",
    "smtp_up",
    "mail_received",
    "mail_delayed",
    "director_replied",
    "auto_reply",
    "acknowledgement_skipped",
    "mailbox_down",
    "mailbox_up",
    "duplicate_file",
    "file_quarantined",
    "quarantine_retried",
    "quarantine_discarded",
    "school_added",
    "school_updated",
    "school_edited",
    "school_activated",
    "school_deactivated",
    "link_renewed",
    "campaign_created",
    "campaign_updated",
    "campaign_purged",
    "user_added",
    "user_enabled",
    "user_disabled",
)
EVENT_KINDS = (*BEFORE, "reminder_cancelled")


def _check(table: str, column: str, values: Sequence[str]) -> None:
    listed = ", ".join(f"'{v}'" for v in values)
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.drop_constraint(f"ck_{table}_{column}", type_="check")
        batch_op.create_check_constraint(f"ck_{table}_{column}", f"{column} IN ({listed})")


def upgrade() -> None:
    with op.batch_alter_table("reminder", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("send_before", db.types.UTCDateTime(timezone=True), nullable=True)
        )
    _check("reminder", "status", (*STATUSES, "cancelled"))
    _check("event", "kind", EVENT_KINDS)
    with op.batch_alter_table("reminder", schema=None) as batch_op:
        batch_op.create_index("ix_reminder_recipient_day", ["recipient", "day"], unique=False)
    moment = db.types.UTCDateTime(timezone=True)
    op.create_table(
        "send_pace",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("server", sa.String(length=300), nullable=False),
        sa.Column("next_at", moment, nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("server"),
    )
    op.create_table(
        "mailbox_health",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=300), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("since", moment, nullable=True),
        sa.Column("last_error", sa.String(length=1000), nullable=False),
        sa.Column("updated_at", moment, nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("source"),
        sa.CheckConstraint("state IN ('unknown', 'up', 'down')", name="ck_mailbox_health_state"),
    )


def downgrade() -> None:
    op.drop_table("mailbox_health")
    op.drop_table("send_pace")
    with op.batch_alter_table("reminder", schema=None) as batch_op:
        batch_op.drop_index("ix_reminder_recipient_day")
    _check("event", "kind", BEFORE)
    _check("reminder", "status", STATUSES)
    with op.batch_alter_table("reminder", schema=None) as batch_op:
        batch_op.drop_column("send_before")
