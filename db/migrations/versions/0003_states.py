"""states checked by the database

CHECK constraints on the state columns: the follow-up's stage, the ledger's kind and status, the
intake's outcome and the event kinds (the registry of `db.states.EventKind`). The values are
written out here, as they were when this migration was written: a later change to an enum comes
with its own migration (`tests/test_migrations.py` compares the checks with the models').

Revision ID: 0003_states
Revises: 0002
Create Date: 2026-11-30 09:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003_states"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STAGES = (
    "awaiting_export",
    "exported",
    "errors",
    "awaiting_ine",
    "ready_to_validate",
    "validated",
)
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
    "duplicate_file",
    "file_quarantined",
    "quarantine_retried",
    "quarantine_discarded",
    "school_added",
    "school_updated",
    "school_edited",
    "school_activated",
    "school_deactivated",
    "campaign_created",
    "campaign_updated",
    "campaign_purged",
    "user_added",
    "user_enabled",
    "user_disabled",
)
CHECKS: dict[str, dict[str, tuple[str, ...]]] = {
    "follow_up": {"stage": STAGES},
    "reminder": {
        "kind": ("reminder", "escalation", "problem", "digest"),
        "status": ("pending", "claimed", "sent", "failed"),
    },
    "event": {"kind": EVENT_KINDS},
    "intake_file": {
        "outcome": ("processed", "duplicate", "quarantined", "retried", "discarded", "ignored")
    },
}


def upgrade() -> None:
    for table, columns in CHECKS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column, values in columns.items():
                listed = ", ".join(f"'{v}'" for v in values)
                batch_op.create_check_constraint(f"ck_{table}_{column}", f"{column} IN ({listed})")


def downgrade() -> None:
    for table, columns in CHECKS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in columns:
                batch_op.drop_constraint(f"ck_{table}_{column}", type_="check")
