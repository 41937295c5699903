"""ocr: scanned comptes rendus read by OCR

A document read by OCR waits for a coordinator's confirmation (`document.ocr_unconfirmed`,
`document.review`), with its pages as OCR saw them (`document_page`); a scan waiting for its
reading is an `intake_file` row claimed by a reader until `claimed_until`. The states the
database checks gain the intake outcome `reading` and the event kinds `scan_reading` and
`ocr_row_reviewed`.

Revision ID: 0008_ocr
Revises: 0007_delivery
Create Date: 2026-12-02 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import db.types

revision: str = "0008_ocr"
down_revision: str | None = "0007_delivery"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NEW_OUTCOMES = ("reading",)
NEW_EVENT_KINDS = ("scan_reading", "ocr_row_reviewed")
OUTCOMES = ("processed", "duplicate", "quarantined", "retried", "discarded", "ignored")
EVENT_KINDS = (
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
    "reminder_cancelled",
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
)  # as 0005_states wrote them


def _check(table: str, column: str, values: tuple[str, ...]) -> None:
    """The check on `column` replaced by one allowing `values`."""
    listed = ", ".join(f"'{v}'" for v in values)
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.drop_constraint(f"ck_{table}_{column}", type_="check")
        batch_op.create_check_constraint(f"ck_{table}_{column}", f"{column} IN ({listed})")


def upgrade() -> None:
    with op.batch_alter_table("document", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("ocr_unconfirmed", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(
            sa.Column("review", sa.JSON(), nullable=False, server_default=sa.text("'{}'"))
        )
        batch_op.create_index(
            batch_op.f("ix_document_ocr_unconfirmed"), ["ocr_unconfirmed"], unique=False
        )
    with op.batch_alter_table("document", schema=None) as batch_op:
        batch_op.alter_column("ocr_unconfirmed", server_default=None)
        batch_op.alter_column("review", server_default=None)
    with op.batch_alter_table("intake_file", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("claimed_until", db.types.UTCDateTime(timezone=True), nullable=True)
        )
    op.create_table(
        "document_page",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("image", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["document_id"], ["document.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("document_page", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_document_page_document_id"), ["document_id"], unique=False
        )
    _check("intake_file", "outcome", OUTCOMES + NEW_OUTCOMES)
    _check("event", "kind", EVENT_KINDS + NEW_EVENT_KINDS)


def downgrade() -> None:
    _check("event", "kind", EVENT_KINDS)
    _check("intake_file", "outcome", OUTCOMES)
    with op.batch_alter_table("document_page", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_document_page_document_id"))
    op.drop_table("document_page")
    with op.batch_alter_table("intake_file", schema=None) as batch_op:
        batch_op.drop_column("claimed_until")
    with op.batch_alter_table("document", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_document_ocr_unconfirmed"))
        batch_op.drop_column("review")
        batch_op.drop_column("ocr_unconfirmed")
