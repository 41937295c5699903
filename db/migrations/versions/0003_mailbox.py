"""mailbox

The coordination mailbox's messages (claimed once, then what each was and where it went), and an
index to find a ledger row by the Message-ID it was sent with (bounces and replies name it).

Revision ID: 0003_mailbox
Revises: 0002
Create Date: 2026-12-07 18:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import db.types

revision: str = "0003_mailbox"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "mailbox_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("message_id", sa.String(length=300), nullable=False),
        sa.Column("sender", sa.String(length=254), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("received_at", db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("seen_at", db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("claimed_by", sa.String(length=100), nullable=False),
        sa.Column("lease_until", db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("settled_at", db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("moved_at", db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("reason", sa.String(length=1000), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=True),
        sa.Column("campaign_id", sa.Integer(), nullable=True),
        sa.Column("reminder_id", sa.Integer(), nullable=True),
        sa.Column("files", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('reply', 'note', 'bounce', 'delay', 'auto_reply', 'too_big', 'own', 'other')",
            name="ck_mailbox_message_kind",
        ),
        sa.CheckConstraint(
            "status IN ('claimed', 'processed', 'refused', 'left')",
            name="ck_mailbox_message_status",
        ),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaign.id"]),
        sa.ForeignKeyConstraint(["reminder_id"], ["reminder.id"]),
        sa.ForeignKeyConstraint(["school_id"], ["school.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
    )
    with op.batch_alter_table("mailbox_message", schema=None) as batch_op:
        batch_op.create_index(
            "ix_mailbox_message_school_at", ["school_id", "received_at"], unique=False
        )
    with op.batch_alter_table("reminder", schema=None) as batch_op:
        batch_op.create_index("ix_reminder_message_id", ["message_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("reminder", schema=None) as batch_op:
        batch_op.drop_index("ix_reminder_message_id")
    with op.batch_alter_table("mailbox_message", schema=None) as batch_op:
        batch_op.drop_index("ix_mailbox_message_school_at")
    op.drop_table("mailbox_message")
