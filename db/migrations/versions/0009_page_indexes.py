"""page indexes

Indexes the coordinators' pages read in order at 45,000 schools: the school table's sorts page
by page by keyset (`db/school_table.py`: each sort's key then a unique tie-breaker, so a deep
page reads 50 index entries, never the whole table sorted).

Revision ID: 0009_page_indexes
Revises: 0008_ocr
Create Date: 2026-12-08 01:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009_page_indexes"
down_revision: str | None = "0008_ocr"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = {
    "school": (
        ("ix_school_name_uai", ["name", "uai"]),
        ("ix_school_commune_uai", ["commune", "uai"]),
        ("ix_school_circonscription_uai", ["circonscription", "uai"]),
    ),
    "follow_up": (
        ("ix_follow_up_stage_school", ["campaign_id", "stage", "school_id"]),
        ("ix_follow_up_since_school", ["campaign_id", "stage_since", "school_id"]),
        ("ix_follow_up_next_school", ["campaign_id", "next_reminder_at", "school_id"]),
    ),
}


def upgrade() -> None:
    for table, indexes in INDEXES.items():
        for name, columns in indexes:
            op.create_index(name, table, columns, unique=False)
    for table in INDEXES:  # statistics for the planners, so that they choose the new indexes
        op.execute(f"ANALYZE {table}")


def downgrade() -> None:
    for table, indexes in INDEXES.items():
        for name, _columns in indexes:
            op.drop_index(name, table_name=table)
