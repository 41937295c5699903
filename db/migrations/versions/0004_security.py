"""security: revocable links, server-side sessions, where a quarantined file came from

- `school.link_version`: in every link to a director's page; raised to revoke the links sent.
- `login_session`: a coordinator's session, checked on each request (sign-out ends it).
- `intake_file.given_uai`, `intake_file.origin`: the school a file's channel gave and its path
  in the drop folder, so that « reprendre » keeps them.

Revision ID: 0004_security
Revises: 0003_mailbox
Create Date: 2026-11-30 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import db.types

revision: str = "0004_security"
down_revision: str | None = "0003_mailbox"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("school", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("link_version", sa.Integer(), server_default="1", nullable=False)
        )
    with op.batch_alter_table("intake_file", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("given_uai", sa.String(length=8), server_default="", nullable=False)
        )
        batch_op.add_column(
            sa.Column("origin", sa.String(length=500), server_default="", nullable=False)
        )
    op.create_table(
        "login_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ended_at", db.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    with op.batch_alter_table("login_session", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_login_session_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("login_session", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_login_session_user_id"))
    op.drop_table("login_session")
    with op.batch_alter_table("intake_file", schema=None) as batch_op:
        batch_op.drop_column("origin")
        batch_op.drop_column("given_uai")
    with op.batch_alter_table("school", schema=None) as batch_op:
        batch_op.drop_column("link_version")
