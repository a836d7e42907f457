"""Tables of the loyalty ledger: accounts, cards, the double-entry points ledger, the rewards
catalog and redemptions.

The ledger is append-only. A posting is one ``loyalty_transactions`` row, unique by its source
``(source_kind, source_ref)`` so that a replayed order, receipt or return changes nothing, and its
``loyalty_entries``, signed points per bucket that sum to zero. The member's buckets are
``available`` and ``pending``; the program's are ``program:issued``, ``program:redeemed``,
``program:expired`` and ``program:adjusted``. ``loyalty_accounts`` caches the member's balances,
updated in the same transaction as each posting, so that a debit is one conditional UPDATE.
Foreign keys point at internal ids (``loyalty_accounts.id``); the public id is ``account_id``
("LA...").
"""

from __future__ import annotations

from sqlalchemy import (
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    UniqueConstraint,
)

from unico.core.db import BigId, Json, UTCDateTime, metadata

loyalty_accounts = Table(
    "loyalty_accounts",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("account_id", String(40), nullable=False, unique=True),
    Column("customer_id", String(40), nullable=False, unique=True),
    Column("digital_card", String(40), nullable=False, unique=True),
    Column("tier", String(20), nullable=False, default="base"),
    # Caches of the member buckets, changed only together with a posting.
    Column("available", Integer, nullable=False, default=0),
    Column("pending", Integer, nullable=False, default=0),
    # Points ever issued to the member (minus reversals): -sum(program:issued entries).
    Column("lifetime_earned", Integer, nullable=False, default=0),
    Column("status", String(16), nullable=False, default="active"),  # active | closed
    Column("enrolled_channel", String(20), nullable=True),
    Column("enrolled_store", String(40), nullable=True),
    Column("last_activity_at", UTCDateTime, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    CheckConstraint("status IN ('active', 'closed')", name="status"),
    Index("ix_loyalty_accounts_activity", "status", "last_activity_at"),
)

loyalty_cards = Table(
    "loyalty_cards",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("card_number", String(40), nullable=False, unique=True),
    Column("account_id", BigId, ForeignKey("loyalty_accounts.id"), nullable=False),
    Column("kind", String(16), nullable=False),  # physical | digital
    Column("status", String(16), nullable=False, default="active"),  # active | blocked
    Column("created_at", UTCDateTime, nullable=False),
    CheckConstraint("kind IN ('physical', 'digital')", name="kind"),
    CheckConstraint("status IN ('active', 'blocked')", name="status"),
    Index("ix_loyalty_cards_account", "account_id"),
)

loyalty_transactions = Table(
    "loyalty_transactions",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("txn_id", String(40), nullable=False, unique=True),
    Column("account_id", BigId, ForeignKey("loyalty_accounts.id"), nullable=False),
    Column("kind", String(24), nullable=False),
    Column("source_kind", String(24), nullable=False),
    Column("source_ref", String(120), nullable=False),
    # The points moved: the sum of the positive legs.
    Column("points", Integer, nullable=False),
    Column("channel", String(20), nullable=True),
    Column("store", String(40), nullable=True),
    Column("actor", String(160), nullable=False, default=""),
    Column("detail", Json, nullable=False),
    Column("at", UTCDateTime, nullable=False),
    UniqueConstraint("source_kind", "source_ref", name="uq_loyalty_transactions_source"),
    Index("ix_loyalty_transactions_account", "account_id", "id"),
)

loyalty_entries = Table(
    "loyalty_entries",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column(
        "transaction_id",
        BigId,
        ForeignKey("loyalty_transactions.id"),
        nullable=False,
    ),
    Column("account_id", BigId, ForeignKey("loyalty_accounts.id"), nullable=False),
    Column("bucket", String(24), nullable=False),
    Column("points", Integer, nullable=False),
    CheckConstraint("points <> 0", name="points"),
    Index("ix_loyalty_entries_transaction", "transaction_id"),
    Index("ix_loyalty_entries_account_bucket", "account_id", "bucket"),
)

loyalty_rewards = Table(
    "loyalty_rewards",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("code", String(40), nullable=False, unique=True),
    Column("name_it", String(120), nullable=False),
    Column("name_en", String(120), nullable=False),
    # voucher: cost_points -> value_minor. points_discount: any points >= min_points, a multiple
    # of step_points, worth points * rate_minor_per_point.
    Column("kind", String(20), nullable=False),
    Column("cost_points", Integer, nullable=True),
    Column("value_minor", Integer, nullable=True),
    Column("rate_minor_per_point", Integer, nullable=True),
    Column("min_points", Integer, nullable=True),
    Column("step_points", Integer, nullable=True),
    Column("status", String(16), nullable=False, default="active"),  # active | inactive
    Column("promotion_code", String(40), nullable=False),
    # Days a voucher stays usable after the redemption (None = no end).
    Column("valid_days", Integer, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    CheckConstraint("kind IN ('voucher', 'points_discount')", name="kind"),
    CheckConstraint("status IN ('active', 'inactive')", name="status"),
)

loyalty_redemptions = Table(
    "loyalty_redemptions",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("redemption_id", String(40), nullable=False, unique=True),
    # The client's idempotency key; the ledger source is ("redemption", redemption_ref).
    Column("redemption_ref", String(120), nullable=False, unique=True),
    Column("account_id", BigId, ForeignKey("loyalty_accounts.id"), nullable=False),
    Column("reward_code", String(40), nullable=False),
    Column("points", Integer, nullable=False),
    Column("value_minor", Integer, nullable=False),
    Column("voucher_code", String(40), nullable=False),
    Column("channel", String(20), nullable=False),
    Column("store", String(40), nullable=True),
    Column("actor", String(160), nullable=False, default=""),
    Column("status", String(16), nullable=False, default="done"),  # done | cancelled
    Column("txn_id", String(40), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("cancelled_at", UTCDateTime, nullable=True),
    CheckConstraint("points > 0", name="points"),
    CheckConstraint("status IN ('done', 'cancelled')", name="status"),
    Index("ix_loyalty_redemptions_account", "account_id", "id"),
)
