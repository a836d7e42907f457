"""Prices, VAT rates, overrides, promotions, coupons and their redemptions.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-22 18:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "list_prices",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("sku", sa.String(length=40), nullable=False),
        sa.Column("amount_minor", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=160), nullable=False),
        sa.CheckConstraint("amount_minor >= 0", name=op.f("ck_list_prices_amount")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_list_prices")),
        sa.UniqueConstraint("sku", name=op.f("uq_list_prices_sku")),
    )

    op.create_table(
        "vat_rates",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("product_code", sa.String(length=40), nullable=False),
        sa.Column("rate_bp", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=160), nullable=False),
        sa.CheckConstraint("rate_bp >= 0 AND rate_bp <= 10000", name=op.f("ck_vat_rates_rate")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vat_rates")),
        sa.UniqueConstraint("product_code", name=op.f("uq_vat_rates_product_code")),
    )

    op.create_table(
        "price_overrides",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("override_id", sa.String(length=40), nullable=False),
        sa.Column("sku", sa.String(length=40), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=True),
        sa.Column("store", sa.String(length=40), nullable=True),
        sa.Column("amount_minor", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=300), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("valid_from", sa.DateTime(timezone=True), nullable=True),
        sa.Column("valid_to", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=160), nullable=False),
        sa.CheckConstraint("amount_minor >= 0", name=op.f("ck_price_overrides_amount")),
        sa.CheckConstraint("source IN ('api', 'pos_sync', 'import')", name=op.f("ck_price_overrides_source")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_price_overrides")),
        sa.UniqueConstraint("override_id", name=op.f("uq_price_overrides_override_id")),
    )
    op.create_index("ix_price_overrides_sku", "price_overrides", ["sku", "valid_to"], unique=False)

    op.create_table(
        "promotions",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("target", JSON, nullable=False),
        sa.Column("percent_bp", sa.Integer(), nullable=True),
        sa.Column("amount_minor", sa.Integer(), nullable=True),
        sa.Column("threshold_minor", sa.Integer(), nullable=True),
        sa.Column("buy_quantity", sa.Integer(), nullable=True),
        sa.Column("get_quantity", sa.Integer(), nullable=True),
        sa.Column("bundle_quantity", sa.Integer(), nullable=True),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("stacking", sa.String(length=12), nullable=False),
        sa.Column("valid_from", sa.DateTime(timezone=True), nullable=True),
        sa.Column("valid_to", sa.DateTime(timezone=True), nullable=True),
        sa.Column("channels", JSON, nullable=False),
        sa.Column("stores", JSON, nullable=False),
        sa.Column("members_only", sa.Boolean(), nullable=False),
        sa.Column("tiers", JSON, nullable=False),
        sa.Column("requires_coupon", sa.Boolean(), nullable=False),
        sa.Column("per_customer_limit", sa.Integer(), nullable=True),
        sa.Column("max_redemptions", sa.Integer(), nullable=True),
        sa.Column("budget_minor", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("redemptions", sa.Integer(), nullable=False),
        sa.Column("discount_minor", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=160), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_promotions")),
        sa.UniqueConstraint("code", name=op.f("uq_promotions_code")),
    )
    op.create_index("ix_promotions_status", "promotions", ["status", "valid_to"], unique=False)

    op.create_table(
        "promotion_changes",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("token", sa.String(length=32), nullable=False),
        sa.Column("promotion_code", sa.String(length=40), nullable=False),
        sa.Column("change", sa.String(length=20), nullable=False),
        sa.Column("actor", sa.String(length=160), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_promotion_changes")),
    )
    op.create_index("ix_promotion_changes_code", "promotion_changes", ["promotion_code", "id"], unique=False)

    op.create_table(
        "coupons",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("promotion_id", ID, nullable=False),
        sa.Column("batch_id", sa.String(length=40), nullable=True),
        sa.Column("max_redemptions", sa.Integer(), nullable=True),
        sa.Column("per_customer_limit", sa.Integer(), nullable=True),
        sa.Column("value_minor", sa.Integer(), nullable=True),
        sa.Column("customer_id", sa.String(length=40), nullable=True),
        sa.Column("redemptions", sa.Integer(), nullable=False),
        sa.Column("valid_to", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("redemptions >= 0", name=op.f("ck_coupons_redemptions")),
        sa.ForeignKeyConstraint(
            ["promotion_id"],
            ["promotions.id"],
            name=op.f("fk_coupons_promotion_id_promotions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coupons")),
        sa.UniqueConstraint("code", name=op.f("uq_coupons_code")),
    )
    op.create_index("ix_coupons_promotion", "coupons", ["promotion_id", "batch_id"], unique=False)
    op.create_index("ix_coupons_customer", "coupons", ["customer_id"], unique=False)

    op.create_table(
        "coupon_redemptions",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("coupon_id", ID, nullable=False),
        sa.Column("order_id", sa.String(length=40), nullable=False),
        sa.Column("customer_id", sa.String(length=40), nullable=True),
        sa.Column("discount_minor", sa.Integer(), nullable=False),
        sa.Column("redeemed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["coupon_id"],
            ["coupons.id"],
            name=op.f("fk_coupon_redemptions_coupon_id_coupons"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coupon_redemptions")),
        sa.UniqueConstraint("coupon_id", "order_id", name="uq_coupon_redemptions_coupon_order"),
    )
    op.create_index(
        "ix_coupon_redemptions_customer", "coupon_redemptions", ["coupon_id", "customer_id"], unique=False
    )

    op.create_table(
        "promotion_redemptions",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("promotion_id", ID, nullable=False),
        sa.Column("order_id", sa.String(length=40), nullable=False),
        sa.Column("customer_id", sa.String(length=40), nullable=True),
        sa.Column("coupon", sa.String(length=40), nullable=True),
        sa.Column("discount_minor", sa.Integer(), nullable=False),
        sa.Column("redeemed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["promotion_id"],
            ["promotions.id"],
            name=op.f("fk_promotion_redemptions_promotion_id_promotions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_promotion_redemptions")),
        sa.UniqueConstraint("promotion_id", "order_id", name="uq_promotion_redemptions_promotion_order"),
    )
    op.create_index(
        "ix_promotion_redemptions_customer",
        "promotion_redemptions",
        ["promotion_id", "customer_id"],
        unique=False,
    )

    op.create_table(
        "price_audits",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("sku", sa.String(length=40), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=True),
        sa.Column("store", sa.String(length=40), nullable=True),
        sa.Column("finding", JSON, nullable=False),
        sa.Column("event_id", sa.String(length=40), nullable=False),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_price_audits")),
        sa.UniqueConstraint("fingerprint", name=op.f("uq_price_audits_fingerprint")),
    )
    op.create_index("ix_price_audits_sku", "price_audits", ["sku"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_price_audits_sku", table_name="price_audits")
    op.drop_table("price_audits")
    op.drop_index("ix_promotion_redemptions_customer", table_name="promotion_redemptions")
    op.drop_table("promotion_redemptions")
    op.drop_index("ix_coupon_redemptions_customer", table_name="coupon_redemptions")
    op.drop_table("coupon_redemptions")
    op.drop_index("ix_coupons_customer", table_name="coupons")
    op.drop_index("ix_coupons_promotion", table_name="coupons")
    op.drop_table("coupons")
    op.drop_index("ix_promotion_changes_code", table_name="promotion_changes")
    op.drop_table("promotion_changes")
    op.drop_index("ix_promotions_status", table_name="promotions")
    op.drop_table("promotions")
    op.drop_index("ix_price_overrides_sku", table_name="price_overrides")
    op.drop_table("price_overrides")
    op.drop_table("vat_rates")
    op.drop_table("list_prices")
