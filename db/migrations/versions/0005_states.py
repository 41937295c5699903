"""states checked by the database

CHECK constraints on the state columns: the follow-up's stage, the ledger's kind and status, the
intake's outcome and the event kinds (the registry of `db.states.EventKind`). The values are
written out here, as they were when this migration was written: a later change to an enum comes
with its own migration (`tests/test_migrations.py` compares the checks with the models').

Two columns replace what the dashboard read from text: `follow_up.escalated` (a ladder step was
taken; it compared the JSON list with '[]') and `event.stage` (the stage a `stage_changed` event
entered; it searched the French label in the message). Both are filled from the rows already
there.

Two tables hold what the daemons share about themselves, instead of each process's memory:
`heartbeat` (each part of each running daemon) and `smtp_health` (the mail server as the senders
last saw it).

Revision ID: 0005_states
Revises: 0004_security
Create Date: 2026-11-30 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import db.types

revision: str = "0005_states"
down_revision: str | None = "0004_security"
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
CHECKS: dict[str, dict[str, tuple[str, ...]]] = {
    "follow_up": {"stage": STAGES},
    "reminder": {
        "kind": ("reminder", "escalation", "problem", "digest", "acknowledgement"),
        "status": ("pending", "claimed", "sent", "failed"),
    },
    "event": {"kind": EVENT_KINDS, "stage": STAGES},
    "intake_file": {
        "outcome": ("processed", "duplicate", "quarantined", "retried", "discarded", "ignored")
    },
    "smtp_health": {"state": ("unknown", "up", "down")},
}


def upgrade() -> None:
    with op.batch_alter_table("follow_up", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("escalated", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("stage", sa.String(length=30), nullable=True))
    _fill_new_columns()
    _create_health_tables()
    for table, columns in CHECKS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column, values in columns.items():
                listed = ", ".join(f"'{v}'" for v in values)
                batch_op.create_check_constraint(f"ck_{table}_{column}", f"{column} IN ({listed})")


def _fill_new_columns() -> None:
    """`escalated` from the steps taken, `stage` from the data of each `stage_changed` event."""
    connection = op.get_bind()
    follow_up = sa.table(
        "follow_up", sa.column("id", sa.Integer), sa.column("escalations_done", sa.JSON)
    )
    escalated = [
        {"row": row.id, "yes": True}
        for row in connection.execute(sa.select(follow_up.c.id, follow_up.c.escalations_done))
        if row.escalations_done
    ]
    if escalated:
        connection.execute(
            sa.text("UPDATE follow_up SET escalated = :yes WHERE id = :row"), escalated
        )
    event = sa.table(
        "event", sa.column("id", sa.Integer), sa.column("kind"), sa.column("data", sa.JSON)
    )
    changed = connection.execute(
        sa.select(event.c.id, event.c.data).where(event.c.kind == "stage_changed")
    )
    stages = [
        {"row": row.id, "stage": (row.data or {}).get("to")}
        for row in changed
        if (row.data or {}).get("to") in STAGES
    ]
    if stages:
        connection.execute(sa.text("UPDATE event SET stage = :stage WHERE id = :row"), stages)


def _create_health_tables() -> None:
    moment = db.types.UTCDateTime(timezone=True)
    op.create_table(
        "heartbeat",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("instance", sa.String(length=100), nullable=False),
        sa.Column("part", sa.String(length=30), nullable=False),
        sa.Column("instance_started_at", moment, nullable=False),
        sa.Column("alive", sa.Boolean(), nullable=False),
        sa.Column("waiting_for_database", sa.Boolean(), nullable=False),
        sa.Column("started_at", moment, nullable=True),
        sa.Column("beat_at", moment, nullable=False),
        sa.Column("restarts", sa.Integer(), nullable=False),
        sa.Column("db_waits", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(length=500), nullable=False),
        sa.Column("worked_at", moment, nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("instance", "part"),
    )
    with op.batch_alter_table("heartbeat", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_heartbeat_instance"), ["instance"], unique=False)
    op.create_table(
        "smtp_health",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("server", sa.String(length=300), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("since", moment, nullable=True),
        sa.Column("last_error", sa.String(length=1000), nullable=False),
        sa.Column("last_sent_at", moment, nullable=True),
        sa.Column("sent", sa.Integer(), nullable=False),
        sa.Column("updated_at", moment, nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("server"),
    )


def downgrade() -> None:
    for table, columns in CHECKS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in columns:
                batch_op.drop_constraint(f"ck_{table}_{column}", type_="check")
    op.drop_table("smtp_health")
    with op.batch_alter_table("heartbeat", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_heartbeat_instance"))
    op.drop_table("heartbeat")
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.drop_column("stage")
    with op.batch_alter_table("follow_up", schema=None) as batch_op:
        batch_op.drop_column("escalated")
