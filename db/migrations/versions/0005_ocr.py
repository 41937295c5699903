"""ocr: scanned comptes rendus read by OCR

A document read by OCR waits for a coordinator's confirmation (`document.ocr_unconfirmed`,
`document.review`), with its pages as OCR saw them (`document_page`); a scan waiting for its
reading is an `intake_file` row claimed by a reader until `claimed_until`.

Revision ID: 0005_ocr
Revises: 0004_security
Create Date: 2026-12-02 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import db.types

revision: str = "0005_ocr"
down_revision: str | None = "0004_security"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


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


def downgrade() -> None:
    with op.batch_alter_table("document_page", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_document_page_document_id"))
    op.drop_table("document_page")
    with op.batch_alter_table("intake_file", schema=None) as batch_op:
        batch_op.drop_column("claimed_until")
    with op.batch_alter_table("document", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_document_ocr_unconfirmed"))
        batch_op.drop_column("review")
        batch_op.drop_column("ocr_unconfirmed")
