"""Tracking sources (write keys) and Segment-compatible tracking events.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 16:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
UNRESOLVED = "resolved_at IS NULL"
RESOLVED = "profile_id IS NOT NULL"


def upgrade() -> None:
    op.create_table(
        "tracking_sources",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("source_id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("write_key_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tracking_sources")),
        sa.UniqueConstraint("source_id", name=op.f("uq_tracking_sources_source_id")),
        sa.UniqueConstraint("write_key_hash", name=op.f("uq_tracking_sources_write_key_hash")),
    )
    op.create_table(
        "tracking_events",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("source_id", BIG_ID, nullable=False),
        sa.Column("message_id", sa.String(length=255), nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("event", sa.String(length=255), nullable=True),
        sa.Column("event_as_sent", sa.String(length=255), nullable=True),
        sa.Column("category", sa.String(length=16), nullable=True),
        sa.Column("user_id", sa.String(length=255), nullable=True),
        sa.Column("anonymous_id", sa.String(length=255), nullable=True),
        sa.Column("previous_id", sa.String(length=255), nullable=True),
        sa.Column("group_id", sa.String(length=255), nullable=True),
        sa.Column("properties", JSON, nullable=False),
        sa.Column("traits", JSON, nullable=False),
        sa.Column("context", JSON, nullable=False),
        sa.Column("extra", JSON, nullable=True),
        sa.Column("original_timestamp", sa.DateTime(timezone=True), nullable=True),
        sa.Column("timestamp", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("profile_id", sa.String(length=40), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "type IN ('identify', 'track', 'page', 'screen', 'group', 'alias')",
            name=op.f("ck_tracking_events_type"),
        ),
        sa.ForeignKeyConstraint(
            ["source_id"], ["tracking_sources.id"], name=op.f("fk_tracking_events_source_id_tracking_sources")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tracking_events")),
        sa.UniqueConstraint("source_id", "message_id", name=op.f("uq_tracking_events_source_id")),
    )
    with op.batch_alter_table("tracking_events", schema=None) as batch_op:
        batch_op.create_index(
            "ix_tracking_events_profile",
            ["profile_id", "timestamp"],
            unique=False,
            sqlite_where=sa.text(RESOLVED),
            postgresql_where=sa.text(RESOLVED),
        )
        batch_op.create_index(
            "ix_tracking_events_unresolved",
            ["id"],
            unique=False,
            sqlite_where=sa.text(UNRESOLVED),
            postgresql_where=sa.text(UNRESOLVED),
        )


def downgrade() -> None:
    with op.batch_alter_table("tracking_events", schema=None) as batch_op:
        batch_op.drop_index("ix_tracking_events_unresolved")
        batch_op.drop_index("ix_tracking_events_profile")
    op.drop_table("tracking_events")
    op.drop_table("tracking_sources")
