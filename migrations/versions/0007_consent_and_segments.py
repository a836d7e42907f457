"""Consents, suppressions, erasures and segments.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22 16:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "customer_consents",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("profile_id", ID, nullable=False),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("granted", sa.Boolean(), nullable=False),
        sa.Column("source", sa.String(length=40), nullable=False),
        sa.Column("location_id", ID, nullable=True),
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "purpose IN ('email', 'sms', 'push', 'profiling', 'proximity')",
            name=op.f("ck_customer_consents_purpose"),
        ),
        sa.ForeignKeyConstraint(
            ["location_id"], ["locations.id"], name=op.f("fk_customer_consents_location_id_locations")
        ),
        sa.ForeignKeyConstraint(
            ["profile_id"],
            ["customer_profiles.id"],
            name=op.f("fk_customer_consents_profile_id_customer_profiles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_consents")),
    )
    op.create_index(
        "ix_customer_consents_profile_purpose",
        "customer_consents",
        ["profile_id", "purpose", "id"],
        unique=False,
    )

    op.create_table(
        "suppressions",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("identifier_hash", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("profile_id", sa.String(length=40), nullable=True),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("reason IN ('erased', 'suppressed')", name=op.f("ck_suppressions_reason")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_suppressions")),
        sa.UniqueConstraint("identifier_hash", name=op.f("uq_suppressions_identifier_hash")),
    )
    op.create_index("ix_suppressions_profile", "suppressions", ["profile_id"], unique=False)

    op.create_table(
        "erasures",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("erasure_id", sa.String(length=40), nullable=False),
        sa.Column("profile_id", sa.String(length=40), nullable=False),
        sa.Column("profiles", JSON, nullable=False),
        sa.Column("counts", JSON, nullable=False),
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.Column("erased_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erasures")),
        sa.UniqueConstraint("erasure_id", name=op.f("uq_erasures_erasure_id")),
    )
    op.create_index("ix_erasures_profile", "erasures", ["profile_id"], unique=False)

    op.create_table(
        "segments",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("segment_id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=False),
        sa.Column("definition", JSON, nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_segments")),
        sa.UniqueConstraint("name", name=op.f("uq_segments_name")),
        sa.UniqueConstraint("segment_id", name=op.f("uq_segments_segment_id")),
    )


def downgrade() -> None:
    op.drop_table("segments")
    op.drop_index("ix_erasures_profile", table_name="erasures")
    op.drop_table("erasures")
    op.drop_index("ix_suppressions_profile", table_name="suppressions")
    op.drop_table("suppressions")
    op.drop_index("ix_customer_consents_profile_purpose", table_name="customer_consents")
    op.drop_table("customer_consents")
