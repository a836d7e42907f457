"""Tables of the loyalty program: earning rules, tiers, settings, purchase earnings and their
maturity, and the history of tier changes.

``loyalty_earnings`` keeps, for each purchase that earned points (an order, a POS receipt), the
ledger transaction, the points per line (what a return takes back, pro rata to the units) and
when its pending points mature into available ones. The points themselves live in the ledger
(``unico.loyalty.store``); these rows only say what is still pending and why.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Index,
    Integer,
    String,
    Table,
    UniqueConstraint,
)

from unico.core.db import BigId, Json, UTCDateTime, metadata

loyalty_program_settings = Table(
    "loyalty_program_settings",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),  # always 1
    Column("return_window_days", Integer, nullable=False),
    Column("expiry_months", Integer, nullable=False),
    # When the tier job last placed every member (it does so at most once a day).
    Column("tiers_recomputed_at", UTCDateTime, nullable=True),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("updated_by", String(120), nullable=False),
    CheckConstraint("id = 1", name="single_row"),
)

loyalty_rules = Table(
    "loyalty_rules",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("code", String(40), nullable=False, unique=True),
    Column("kind", String(16), nullable=False),
    Column("name_it", String(120), nullable=False, default=""),
    Column("name_en", String(120), nullable=False, default=""),
    Column("points_per_euro", Integer, nullable=False, default=0),
    Column("multiplier_bp", Integer, nullable=True),
    Column("bonus_points", Integer, nullable=False, default=0),
    Column("action", String(20), nullable=True),
    Column("points", Integer, nullable=False, default=0),
    Column("once_per_customer", Boolean, nullable=False, default=False),
    Column("channels", Json, nullable=False),
    Column("categories", Json, nullable=False),
    Column("valid_from", UTCDateTime, nullable=True),
    Column("valid_to", UTCDateTime, nullable=True),
    Column("active", Boolean, nullable=False, default=True),
    Column("position", Integer, nullable=False, default=0),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("updated_by", String(120), nullable=False),
    CheckConstraint("kind IN ('per_euro', 'campaign', 'action')", name="kind"),
)

loyalty_tiers = Table(
    "loyalty_tiers",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("code", String(40), nullable=False, unique=True),
    Column("name_it", String(120), nullable=False),
    Column("name_en", String(120), nullable=False),
    Column("threshold", Integer, nullable=False),
    Column("earn_multiplier_bp", Integer, nullable=False),
    Column("free_delivery", Boolean, nullable=False, default=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("updated_by", String(120), nullable=False),
    CheckConstraint("threshold >= 0", name="threshold"),
    CheckConstraint("earn_multiplier_bp > 0", name="multiplier"),
)

loyalty_earnings = Table(
    "loyalty_earnings",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("txn_id", String(40), nullable=False, unique=True),  # the EARN posting
    Column("account_id", String(40), nullable=False),
    Column("source_kind", String(20), nullable=False),  # order | receipt
    Column("source_ref", String(80), nullable=False),
    Column("channel", String(20), nullable=True),
    Column("store", String(40), nullable=True),
    Column("points", Integer, nullable=False),  # earned, before any return
    Column("pending_points", Integer, nullable=False),  # still pending (0 once matured)
    Column("reversed_points", Integer, nullable=False, default=0),
    # [{line_no, sku, quantity, points}] and {line_no: units returned}, {return ids taken into account}
    Column("lines", Json, nullable=False),
    Column("returned", Json, nullable=False),
    Column("state", String(12), nullable=False),  # pending | matured
    Column("earned_at", UTCDateTime, nullable=False),
    Column("matures_at", UTCDateTime, nullable=False),
    Column("matured_at", UTCDateTime, nullable=True),
    CheckConstraint("state IN ('pending', 'matured')", name="state"),
    CheckConstraint("pending_points >= 0", name="pending_points"),
    UniqueConstraint("source_kind", "source_ref", name="uq_loyalty_earnings_source"),
    Index("ix_loyalty_earnings_due", "state", "matures_at"),
    Index("ix_loyalty_earnings_account", "account_id", "earned_at"),
)

loyalty_tier_changes = Table(
    "loyalty_tier_changes",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("account_id", String(40), nullable=False),
    Column("from_tier", String(40), nullable=True),
    Column("to_tier", String(40), nullable=False),
    Column("earned_12m", Integer, nullable=False),  # points earned over the 12 months before `at`
    Column("reason", String(20), nullable=False),  # earning | return | recompute
    Column("at", UTCDateTime, nullable=False),
    Index("ix_loyalty_tier_changes_account", "account_id", "at"),
)
