"""a reported problem answered

`follow_up.problem_answered_at` and `problem_answered_by`: when a coordinator marked the
director's reported problem treated (« Marquer comme traité »), and who. A problem reported
after that is unanswered again. The event kind `problem_answered` joins the checked registry.

Revision ID: 0006_problem_answered
Revises: 0005_states
Create Date: 2026-12-07 23:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import db.types

revision: str = "0006_problem_answered"
down_revision: str | None = "0005_states"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NEW_KIND = "problem_answered"
# The kinds checked before this migration, written out as they were (0005_states).
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


def _check_event_kinds(kinds: tuple[str, ...]) -> None:
    listed = ", ".join(f"'{kind}'" for kind in kinds)
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.drop_constraint("ck_event_kind", type_="check")
        batch_op.create_check_constraint("ck_event_kind", f"kind IN ({listed})")


def upgrade() -> None:
    with op.batch_alter_table("follow_up", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("problem_answered_at", db.types.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column(
                "problem_answered_by", sa.String(length=254), server_default="", nullable=False
            )
        )
    _check_event_kinds((*EVENT_KINDS, NEW_KIND))


def downgrade() -> None:
    op.execute(sa.text("DELETE FROM event WHERE kind = :kind").bindparams(kind=NEW_KIND))
    _check_event_kinds(EVENT_KINDS)
    with op.batch_alter_table("follow_up", schema=None) as batch_op:
        batch_op.drop_column("problem_answered_by")
        batch_op.drop_column("problem_answered_at")
