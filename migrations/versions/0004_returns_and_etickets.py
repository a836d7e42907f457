"""Returns, refunds, exchanges, quarantined stock and e-tickets.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 16:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _id() -> sa.Column:
    return sa.Column("id", BigId, autoincrement=True, nullable=False)


def upgrade() -> None:
    op.create_table(
        "returns",
        _id(),
        sa.Column("return_id", sa.String(length=40), nullable=False),
        sa.Column("order_id", BigId, nullable=False),
        sa.Column("location_id", BigId, nullable=False),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("exchange_order_id", sa.String(length=40), nullable=True),
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("channel IN ('store', 'post')", name=op.f("ck_returns_channel")),
        sa.CheckConstraint("status IN ('expected', 'received')", name=op.f("ck_returns_status")),
        sa.ForeignKeyConstraint(
            ["location_id"], ["locations.id"], name=op.f("fk_returns_location_id_locations")
        ),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], name=op.f("fk_returns_order_id_orders")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_returns")),
        sa.UniqueConstraint("return_id", name=op.f("uq_returns_return_id")),
    )
    op.create_index("ix_returns_order", "returns", ["order_id"], unique=False)
    op.create_index("ix_returns_location_time", "returns", ["location_id", "created_at"], unique=False)

    op.create_table(
        "return_lines",
        _id(),
        sa.Column("return_id", BigId, nullable=False),
        sa.Column("order_line_id", BigId, nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("variant_id", BigId, nullable=False),
        sa.Column("sku", sa.String(length=40), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("condition", sa.String(length=16), nullable=True),
        sa.Column("refund_minor", sa.Integer(), nullable=False),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_return_lines_quantity")),
        sa.CheckConstraint("condition IN ('sellable', 'damaged')", name=op.f("ck_return_lines_condition")),
        sa.ForeignKeyConstraint(
            ["order_line_id"], ["order_lines.id"], name=op.f("fk_return_lines_order_line_id_order_lines")
        ),
        sa.ForeignKeyConstraint(
            ["return_id"], ["returns.id"], name=op.f("fk_return_lines_return_id_returns"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["variant_id"], ["variants.id"], name=op.f("fk_return_lines_variant_id_variants")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_return_lines")),
        sa.UniqueConstraint("return_id", "order_line_id", name="uq_return_lines_return_order_line"),
    )
    op.create_index("ix_return_lines_order_line", "return_lines", ["order_line_id"], unique=False)

    op.create_table(
        "return_exchange_lines",
        _id(),
        sa.Column("return_id", BigId, nullable=False),
        sa.Column("variant_id", BigId, nullable=False),
        sa.Column("sku", sa.String(length=40), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("unit_price_minor", sa.Integer(), nullable=False),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_return_exchange_lines_quantity")),
        sa.CheckConstraint("unit_price_minor >= 0", name=op.f("ck_return_exchange_lines_unit_price")),
        sa.ForeignKeyConstraint(
            ["return_id"],
            ["returns.id"],
            name=op.f("fk_return_exchange_lines_return_id_returns"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["variant_id"], ["variants.id"], name=op.f("fk_return_exchange_lines_variant_id_variants")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_return_exchange_lines")),
    )
    op.create_index("ix_return_exchange_lines_return", "return_exchange_lines", ["return_id"], unique=False)

    op.create_table(
        "refunds",
        _id(),
        sa.Column("refund_id", sa.String(length=40), nullable=False),
        sa.Column("return_id", BigId, nullable=False),
        sa.Column("order_id", BigId, nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("gross_minor", sa.Integer(), nullable=False),
        sa.Column("exchange_minor", sa.Integer(), nullable=False),
        sa.Column("amount_minor", sa.Integer(), nullable=False),
        sa.Column("balance_due_minor", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("amount_minor >= 0 AND balance_due_minor >= 0", name=op.f("ck_refunds_amounts")),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], name=op.f("fk_refunds_order_id_orders")),
        sa.ForeignKeyConstraint(
            ["return_id"], ["returns.id"], name=op.f("fk_refunds_return_id_returns"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refunds")),
        sa.UniqueConstraint("refund_id", name=op.f("uq_refunds_refund_id")),
        sa.UniqueConstraint("return_id", name=op.f("uq_refunds_return_id")),
    )
    op.create_index("ix_refunds_order", "refunds", ["order_id"], unique=False)

    op.create_table(
        "quarantine_stock",
        _id(),
        sa.Column("location_id", BigId, nullable=False),
        sa.Column("variant_id", BigId, nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("return_line_id", BigId, nullable=True),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_quarantine_stock_quantity")),
        sa.ForeignKeyConstraint(
            ["location_id"], ["locations.id"], name=op.f("fk_quarantine_stock_location_id_locations")
        ),
        sa.ForeignKeyConstraint(
            ["return_line_id"],
            ["return_lines.id"],
            name=op.f("fk_quarantine_stock_return_line_id_return_lines"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["variant_id"], ["variants.id"], name=op.f("fk_quarantine_stock_variant_id_variants")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quarantine_stock")),
    )
    op.create_index(
        "ix_quarantine_stock_location_variant",
        "quarantine_stock",
        ["location_id", "variant_id"],
        unique=False,
    )

    op.create_table(
        "etickets",
        _id(),
        sa.Column("code", sa.String(length=12), nullable=False),
        sa.Column("order_id", BigId, nullable=False),
        sa.Column("location_id", BigId, nullable=True),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["location_id"], ["locations.id"], name=op.f("fk_etickets_location_id_locations")
        ),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], name=op.f("fk_etickets_order_id_orders")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_etickets")),
        sa.UniqueConstraint("code", name=op.f("uq_etickets_code")),
        sa.UniqueConstraint("order_id", name=op.f("uq_etickets_order_id")),
    )

    op.create_table(
        "eticket_opens",
        _id(),
        sa.Column("eticket_id", BigId, nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user_agent", sa.String(length=300), nullable=False),
        sa.ForeignKeyConstraint(
            ["eticket_id"],
            ["etickets.id"],
            name=op.f("fk_eticket_opens_eticket_id_etickets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_eticket_opens")),
    )
    op.create_index("ix_eticket_opens_eticket", "eticket_opens", ["eticket_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_eticket_opens_eticket", table_name="eticket_opens")
    op.drop_table("eticket_opens")
    op.drop_table("etickets")
    op.drop_index("ix_quarantine_stock_location_variant", table_name="quarantine_stock")
    op.drop_table("quarantine_stock")
    op.drop_index("ix_refunds_order", table_name="refunds")
    op.drop_table("refunds")
    op.drop_index("ix_return_exchange_lines_return", table_name="return_exchange_lines")
    op.drop_table("return_exchange_lines")
    op.drop_index("ix_return_lines_order_line", table_name="return_lines")
    op.drop_table("return_lines")
    op.drop_index("ix_returns_location_time", table_name="returns")
    op.drop_index("ix_returns_order", table_name="returns")
    op.drop_table("returns")
