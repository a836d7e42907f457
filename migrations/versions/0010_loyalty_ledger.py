"""Loyalty accounts, cards, the double-entry points ledger, rewards and redemptions.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-22 18:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
AT = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "loyalty_accounts",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("account_id", sa.String(length=40), nullable=False),
        sa.Column("customer_id", sa.String(length=40), nullable=False),
        sa.Column("digital_card", sa.String(length=40), nullable=False),
        sa.Column("tier", sa.String(length=20), nullable=False),
        sa.Column("available", sa.Integer(), nullable=False),
        sa.Column("pending", sa.Integer(), nullable=False),
        sa.Column("lifetime_earned", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("enrolled_channel", sa.String(length=20), nullable=True),
        sa.Column("enrolled_store", sa.String(length=40), nullable=True),
        sa.Column("last_activity_at", AT, nullable=True),
        sa.Column("created_at", AT, nullable=False),
        sa.Column("updated_at", AT, nullable=False),
        sa.CheckConstraint("status IN ('active', 'closed')", name=op.f("ck_loyalty_accounts_status")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loyalty_accounts")),
        sa.UniqueConstraint("account_id", name=op.f("uq_loyalty_accounts_account_id")),
        sa.UniqueConstraint("customer_id", name=op.f("uq_loyalty_accounts_customer_id")),
        sa.UniqueConstraint("digital_card", name=op.f("uq_loyalty_accounts_digital_card")),
    )
    op.create_index(
        "ix_loyalty_accounts_activity", "loyalty_accounts", ["status", "last_activity_at"], unique=False
    )

    op.create_table(
        "loyalty_rewards",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name_it", sa.String(length=120), nullable=False),
        sa.Column("name_en", sa.String(length=120), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("cost_points", sa.Integer(), nullable=True),
        sa.Column("value_minor", sa.Integer(), nullable=True),
        sa.Column("rate_minor_per_point", sa.Integer(), nullable=True),
        sa.Column("min_points", sa.Integer(), nullable=True),
        sa.Column("step_points", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("promotion_code", sa.String(length=40), nullable=False),
        sa.Column("valid_days", sa.Integer(), nullable=True),
        sa.Column("created_at", AT, nullable=False),
        sa.Column("updated_at", AT, nullable=False),
        sa.CheckConstraint("kind IN ('voucher', 'points_discount')", name=op.f("ck_loyalty_rewards_kind")),
        sa.CheckConstraint("status IN ('active', 'inactive')", name=op.f("ck_loyalty_rewards_status")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loyalty_rewards")),
        sa.UniqueConstraint("code", name=op.f("uq_loyalty_rewards_code")),
    )

    op.create_table(
        "loyalty_cards",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("card_number", sa.String(length=40), nullable=False),
        sa.Column("account_id", ID, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", AT, nullable=False),
        sa.CheckConstraint("kind IN ('physical', 'digital')", name=op.f("ck_loyalty_cards_kind")),
        sa.CheckConstraint("status IN ('active', 'blocked')", name=op.f("ck_loyalty_cards_status")),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["loyalty_accounts.id"],
            name=op.f("fk_loyalty_cards_account_id_loyalty_accounts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loyalty_cards")),
        sa.UniqueConstraint("card_number", name=op.f("uq_loyalty_cards_card_number")),
    )
    op.create_index("ix_loyalty_cards_account", "loyalty_cards", ["account_id"], unique=False)

    op.create_table(
        "loyalty_redemptions",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("redemption_id", sa.String(length=40), nullable=False),
        sa.Column("redemption_ref", sa.String(length=120), nullable=False),
        sa.Column("account_id", ID, nullable=False),
        sa.Column("reward_code", sa.String(length=40), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("value_minor", sa.Integer(), nullable=False),
        sa.Column("voucher_code", sa.String(length=40), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("store", sa.String(length=40), nullable=True),
        sa.Column("actor", sa.String(length=160), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("txn_id", sa.String(length=40), nullable=False),
        sa.Column("created_at", AT, nullable=False),
        sa.Column("cancelled_at", AT, nullable=True),
        sa.CheckConstraint("status IN ('done', 'cancelled')", name=op.f("ck_loyalty_redemptions_status")),
        sa.CheckConstraint("points > 0", name=op.f("ck_loyalty_redemptions_points")),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["loyalty_accounts.id"],
            name=op.f("fk_loyalty_redemptions_account_id_loyalty_accounts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loyalty_redemptions")),
        sa.UniqueConstraint("redemption_id", name=op.f("uq_loyalty_redemptions_redemption_id")),
        sa.UniqueConstraint("redemption_ref", name=op.f("uq_loyalty_redemptions_redemption_ref")),
    )
    op.create_index(
        "ix_loyalty_redemptions_account", "loyalty_redemptions", ["account_id", "id"], unique=False
    )

    op.create_table(
        "loyalty_transactions",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("txn_id", sa.String(length=40), nullable=False),
        sa.Column("account_id", ID, nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("source_kind", sa.String(length=24), nullable=False),
        sa.Column("source_ref", sa.String(length=120), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=True),
        sa.Column("store", sa.String(length=40), nullable=True),
        sa.Column("actor", sa.String(length=160), nullable=False),
        sa.Column("detail", JSON, nullable=False),
        sa.Column("at", AT, nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["loyalty_accounts.id"],
            name=op.f("fk_loyalty_transactions_account_id_loyalty_accounts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loyalty_transactions")),
        sa.UniqueConstraint("source_kind", "source_ref", name="uq_loyalty_transactions_source"),
        sa.UniqueConstraint("txn_id", name=op.f("uq_loyalty_transactions_txn_id")),
    )
    op.create_index(
        "ix_loyalty_transactions_account", "loyalty_transactions", ["account_id", "id"], unique=False
    )

    op.create_table(
        "loyalty_entries",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("transaction_id", ID, nullable=False),
        sa.Column("account_id", ID, nullable=False),
        sa.Column("bucket", sa.String(length=24), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.CheckConstraint("points <> 0", name=op.f("ck_loyalty_entries_points")),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["loyalty_accounts.id"],
            name=op.f("fk_loyalty_entries_account_id_loyalty_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["transaction_id"],
            ["loyalty_transactions.id"],
            name=op.f("fk_loyalty_entries_transaction_id_loyalty_transactions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loyalty_entries")),
    )
    op.create_index(
        "ix_loyalty_entries_account_bucket", "loyalty_entries", ["account_id", "bucket"], unique=False
    )
    op.create_index("ix_loyalty_entries_transaction", "loyalty_entries", ["transaction_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_loyalty_entries_transaction", table_name="loyalty_entries")
    op.drop_index("ix_loyalty_entries_account_bucket", table_name="loyalty_entries")
    op.drop_table("loyalty_entries")
    op.drop_index("ix_loyalty_transactions_account", table_name="loyalty_transactions")
    op.drop_table("loyalty_transactions")
    op.drop_index("ix_loyalty_redemptions_account", table_name="loyalty_redemptions")
    op.drop_table("loyalty_redemptions")
    op.drop_index("ix_loyalty_cards_account", table_name="loyalty_cards")
    op.drop_table("loyalty_cards")
    op.drop_table("loyalty_rewards")
    op.drop_index("ix_loyalty_accounts_activity", table_name="loyalty_accounts")
    op.drop_table("loyalty_accounts")
