"""Customer profiles, the identity graph, merges and relations.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22 16:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "customer_profiles",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("profile_id", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("merged_into", sa.String(length=40), nullable=True),
        sa.Column("traits", JSON, nullable=False),
        sa.Column("name_key", sa.String(length=200), nullable=False),
        sa.Column("computed", JSON, nullable=True),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('active', 'merged', 'erased')", name=op.f("ck_customer_profiles_status")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_profiles")),
        sa.UniqueConstraint("profile_id", name=op.f("uq_customer_profiles_profile_id")),
    )
    op.create_index("ix_customer_profiles_merged_into", "customer_profiles", ["merged_into"], unique=False)

    op.create_table(
        "identity_merges",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("merge_id", sa.String(length=40), nullable=False),
        sa.Column("survivor", sa.String(length=40), nullable=False),
        sa.Column("merged", sa.String(length=40), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.Column("evidence", JSON, nullable=True),
        sa.Column("moved", JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("undone_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("undone_by", sa.String(length=120), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identity_merges")),
        sa.UniqueConstraint("merge_id", name=op.f("uq_identity_merges_merge_id")),
    )
    op.create_index("ix_identity_merges_merged", "identity_merges", ["merged"], unique=False)
    op.create_index("ix_identity_merges_survivor", "identity_merges", ["survivor"], unique=False)

    op.create_table(
        "customer_identifiers",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("profile_id", ID, nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("value", sa.String(length=254), nullable=False),
        sa.Column("source", sa.String(length=40), nullable=False),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["profile_id"],
            ["customer_profiles.id"],
            name=op.f("fk_customer_identifiers_profile_id_customer_profiles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_identifiers")),
        sa.UniqueConstraint("kind", "value", name="uq_customer_identifiers_kind_value"),
    )
    op.create_index("ix_customer_identifiers_profile", "customer_identifiers", ["profile_id"], unique=False)

    op.create_table(
        "customer_relations",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("profile_id", ID, nullable=False),
        sa.Column("other_profile_id", ID, nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("source", sa.String(length=40), nullable=False),
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('household', 'shared_address', 'shared_device', 'bought_for')",
            name=op.f("ck_customer_relations_kind"),
        ),
        sa.ForeignKeyConstraint(
            ["other_profile_id"],
            ["customer_profiles.id"],
            name=op.f("fk_customer_relations_other_profile_id_customer_profiles"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["profile_id"],
            ["customer_profiles.id"],
            name=op.f("fk_customer_relations_profile_id_customer_profiles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_relations")),
        sa.UniqueConstraint(
            "profile_id", "other_profile_id", "kind", name="uq_customer_relations_profile_other_kind"
        ),
    )
    op.create_index("ix_customer_relations_other", "customer_relations", ["other_profile_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_customer_relations_other", table_name="customer_relations")
    op.drop_table("customer_relations")
    op.drop_index("ix_customer_identifiers_profile", table_name="customer_identifiers")
    op.drop_table("customer_identifiers")
    op.drop_index("ix_identity_merges_survivor", table_name="identity_merges")
    op.drop_index("ix_identity_merges_merged", table_name="identity_merges")
    op.drop_table("identity_merges")
    op.drop_index("ix_customer_profiles_merged_into", table_name="customer_profiles")
    op.drop_table("customer_profiles")
