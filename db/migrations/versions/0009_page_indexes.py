"""page indexes

Indexes the coordinators' pages read in order at 45,000 schools: the school table's sorts page
by page by keyset (`db/school_table.py`: each sort's key then a unique tie-breaker, so a deep
page reads 50 index entries, never the whole table sorted), and the dashboard cold: each
reason of « À regarder en premier » found through its own index, « sans mouvement » probing
index-only a school's events and mails, the chart's days counted index-only. The event's
(school_id, at) index becomes (school_id, at, kind).

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
        ("ix_school_email_failing", ["email_failing_since"]),
        ("ix_school_director_email", ["director_email", "uai"]),
    ),
    "follow_up": (
        ("ix_follow_up_stage_school", ["campaign_id", "stage", "school_id"]),
        ("ix_follow_up_since_school", ["campaign_id", "stage_since", "school_id"]),
        ("ix_follow_up_next_school", ["campaign_id", "next_reminder_at", "school_id"]),
        ("ix_follow_up_problem", ["campaign_id", "problem_reported_at", "problem_answered_at"]),
        ("ix_follow_up_escalated", ["campaign_id", "escalated", "stage_since"]),
        (
            "ix_follow_up_to_confirm",
            ["campaign_id", "validation_confirmed_at", "declared_validated_at", "stage"],
        ),
        ("ix_follow_up_stage_since", ["campaign_id", "stage", "stage_since"]),
    ),
    "document": (
        ("ix_document_unconfirmed_school", ["campaign_id", "ocr_unconfirmed", "school_id"]),
        (
            "ix_document_review",
            ["campaign_id", "needs_review", "superseded_by_id", "duplicate_of_id", "school_id"],
        ),
    ),
    "export_submission": (
        (
            "ix_export_submission_day",
            ["campaign_id", "accepted", "duplicate_of_id", "received_at"],
        ),
    ),
    "reminder": (("ix_reminder_school_sent", ["school_id", "kind", "status", "sent_at"]),),
    "event": (
        ("ix_event_school_at_kind", ["school_id", "at", "kind"]),
        ("ix_event_stage_day", ["kind", "stage", "campaign_id", "at"]),
    ),
}
REPLACED = ("event", "ix_event_school_at", ["school_id", "at"])  # by ix_event_school_at_kind


def upgrade() -> None:
    for table, indexes in INDEXES.items():
        for name, columns in indexes:
            op.create_index(name, table, columns, unique=False)
    op.drop_index(REPLACED[1], table_name=REPLACED[0])
    for table in INDEXES:  # statistics for the planners, so that they choose the new indexes
        op.execute(f"ANALYZE {table}")


def downgrade() -> None:
    op.create_index(REPLACED[1], REPLACED[0], REPLACED[2], unique=False)
    for table, indexes in INDEXES.items():
        for name, _columns in indexes:
            op.drop_index(name, table_name=table)
