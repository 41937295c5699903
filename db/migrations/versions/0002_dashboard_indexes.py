"""dashboard indexes

Covering indexes for the dashboard's counts per circonscription and stage and for its schools
without a next reminder (45,000 schools).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 05:15:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("school", schema=None) as batch_op:
        batch_op.create_index(
            "ix_school_circonscription_active",
            ["circonscription", "active", "id"],
            unique=False,
        )
    with op.batch_alter_table("follow_up", schema=None) as batch_op:
        batch_op.create_index(
            "ix_follow_up_dashboard",
            ["campaign_id", "school_id", "stage", "declared_validated_at"],
            unique=False,
        )
        batch_op.create_index(
            "ix_follow_up_unscheduled",
            ["campaign_id", "next_reminder_at", "stage"],
            unique=False,
        )
    # statistics for the planners (SQLite prefers the new covering index only once it has them)
    op.execute("ANALYZE school")
    op.execute("ANALYZE follow_up")


def downgrade() -> None:
    with op.batch_alter_table("follow_up", schema=None) as batch_op:
        batch_op.drop_index("ix_follow_up_unscheduled")
        batch_op.drop_index("ix_follow_up_dashboard")
    with op.batch_alter_table("school", schema=None) as batch_op:
        batch_op.drop_index("ix_school_circonscription_active")
