"""Loyalty earning rules, tiers, bonus campaigns and pending-points maturity.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-22 18:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "loyalty_program_settings",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("return_window_days", sa.Integer(), nullable=False),
        sa.Column("expiry_months", sa.Integer(), nullable=False),
        sa.Column("tiers_recomputed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=120), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_loyalty_program_settings_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loyalty_program_settings")),
    )
    op.create_table(
        "loyalty_rules",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("name_it", sa.String(length=120), nullable=False),
        sa.Column("name_en", sa.String(length=120), nullable=False),
        sa.Column("points_per_euro", sa.Integer(), nullable=False),
        sa.Column("multiplier_bp", sa.Integer(), nullable=True),
        sa.Column("bonus_points", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=True),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("once_per_customer", sa.Boolean(), nullable=False),
        sa.Column("channels", JSON, nullable=False),
        sa.Column("categories", JSON, nullable=False),
        sa.Column("valid_from", sa.DateTime(timezone=True), nullable=True),
        sa.Column("valid_to", sa.DateTime(timezone=True), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=120), nullable=False),
        sa.CheckConstraint("kind IN ('per_euro', 'campaign', 'action')", name=op.f("ck_loyalty_rules_kind")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loyalty_rules")),
        sa.UniqueConstraint("code", name=op.f("uq_loyalty_rules_code")),
    )
    op.create_table(
        "loyalty_tiers",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name_it", sa.String(length=120), nullable=False),
        sa.Column("name_en", sa.String(length=120), nullable=False),
        sa.Column("threshold", sa.Integer(), nullable=False),
        sa.Column("earn_multiplier_bp", sa.Integer(), nullable=False),
        sa.Column("free_delivery", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=120), nullable=False),
        sa.CheckConstraint("threshold >= 0", name=op.f("ck_loyalty_tiers_threshold")),
        sa.CheckConstraint("earn_multiplier_bp > 0", name=op.f("ck_loyalty_tiers_multiplier")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loyalty_tiers")),
        sa.UniqueConstraint("code", name=op.f("uq_loyalty_tiers_code")),
    )
    op.create_table(
        "loyalty_earnings",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("txn_id", sa.String(length=40), nullable=False),
        sa.Column("account_id", sa.String(length=40), nullable=False),
        sa.Column("source_kind", sa.String(length=20), nullable=False),
        sa.Column("source_ref", sa.String(length=80), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=True),
        sa.Column("store", sa.String(length=40), nullable=True),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("pending_points", sa.Integer(), nullable=False),
        sa.Column("reversed_points", sa.Integer(), nullable=False),
        sa.Column("lines", JSON, nullable=False),
        sa.Column("returned", JSON, nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("earned_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("matures_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("matured_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("state IN ('pending', 'matured')", name=op.f("ck_loyalty_earnings_state")),
        sa.CheckConstraint("pending_points >= 0", name=op.f("ck_loyalty_earnings_pending_points")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loyalty_earnings")),
        sa.UniqueConstraint("txn_id", name=op.f("uq_loyalty_earnings_txn_id")),
        sa.UniqueConstraint("source_kind", "source_ref", name="uq_loyalty_earnings_source"),
    )
    op.create_index("ix_loyalty_earnings_due", "loyalty_earnings", ["state", "matures_at"], unique=False)
    op.create_index(
        "ix_loyalty_earnings_account", "loyalty_earnings", ["account_id", "earned_at"], unique=False
    )
    op.create_table(
        "loyalty_tier_changes",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("account_id", sa.String(length=40), nullable=False),
        sa.Column("from_tier", sa.String(length=40), nullable=True),
        sa.Column("to_tier", sa.String(length=40), nullable=False),
        sa.Column("earned_12m", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=20), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loyalty_tier_changes")),
    )
    op.create_index(
        "ix_loyalty_tier_changes_account", "loyalty_tier_changes", ["account_id", "at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_loyalty_tier_changes_account", table_name="loyalty_tier_changes")
    op.drop_table("loyalty_tier_changes")
    op.drop_index("ix_loyalty_earnings_account", table_name="loyalty_earnings")
    op.drop_index("ix_loyalty_earnings_due", table_name="loyalty_earnings")
    op.drop_table("loyalty_earnings")
    op.drop_table("loyalty_tiers")
    op.drop_table("loyalty_rules")
    op.drop_table("loyalty_program_settings")
