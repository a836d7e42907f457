"""Tables of the pricing domain: list prices, VAT rates, overrides, promotions, coupons,
redemptions and the coherence audit's findings.

Counters: ``promotions.redemptions`` / ``promotions.discount_minor`` are *budget counters*, kept
only for promotions with a limit (``max_redemptions``, ``budget_minor`` or
``per_customer_limit``), so that an unlimited promotion applied to every order is not a hot row
every order has to lock. Usage statistics count ``promotion_redemptions`` instead.
``coupons.redemptions`` is always kept (a coupon is always limited or bound to a customer).

Overrides come from three ``source``\\ s: ``api`` (an operator through the API or console: a
reason is required), ``pos_sync`` and ``import`` (a store price pushed by a till connector or a
file import, which may come without a reason: the coherence audit reports those as unjustified).
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
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

list_prices = Table(
    "list_prices",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("sku", String(40), nullable=False, unique=True),
    Column("amount_minor", Integer, nullable=False),  # VAT included
    Column("updated_at", UTCDateTime, nullable=False),
    Column("updated_by", String(160), nullable=False),
    CheckConstraint("amount_minor >= 0", name="amount"),
)

vat_rates = Table(
    "vat_rates",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("product_code", String(40), nullable=False, unique=True),
    Column("rate_bp", Integer, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("updated_by", String(160), nullable=False),
    CheckConstraint("rate_bp >= 0 AND rate_bp <= 10000", name="rate"),
)

price_overrides = Table(
    "price_overrides",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("override_id", String(40), nullable=False, unique=True),
    Column("sku", String(40), nullable=False),
    Column("channel", String(20), nullable=True),  # NULL = any channel
    Column("store", String(40), nullable=True),  # NULL = any store
    Column("amount_minor", Integer, nullable=False),
    Column("reason", String(300), nullable=True),  # required when source = 'api'
    Column("source", String(16), nullable=False),  # api | pos_sync | import
    Column("valid_from", UTCDateTime, nullable=True),
    Column("valid_to", UTCDateTime, nullable=True),  # exclusive
    Column("created_at", UTCDateTime, nullable=False),
    Column("created_by", String(160), nullable=False),
    CheckConstraint("amount_minor >= 0", name="amount"),
    CheckConstraint("source IN ('api', 'pos_sync', 'import')", name="source"),
    Index("ix_price_overrides_sku", "sku", "valid_to"),
)

promotions = Table(
    "promotions",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("code", String(40), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("target", Json, nullable=False),  # {"skus": [...], "categories": [...], "brands": [...]}
    Column("percent_bp", Integer, nullable=True),
    Column("amount_minor", Integer, nullable=True),
    Column("threshold_minor", Integer, nullable=True),
    Column("buy_quantity", Integer, nullable=True),
    Column("get_quantity", Integer, nullable=True),
    Column("bundle_quantity", Integer, nullable=True),
    Column("priority", Integer, nullable=False, default=0),
    Column("stacking", String(12), nullable=False),
    Column("valid_from", UTCDateTime, nullable=True),
    Column("valid_to", UTCDateTime, nullable=True),  # exclusive
    Column("channels", Json, nullable=False),
    Column("stores", Json, nullable=False),
    Column("members_only", Boolean, nullable=False, default=False),
    Column("tiers", Json, nullable=False),
    Column("requires_coupon", Boolean, nullable=False, default=False),
    Column("per_customer_limit", Integer, nullable=True),
    Column("max_redemptions", Integer, nullable=True),
    Column("budget_minor", Integer, nullable=True),
    Column("status", String(12), nullable=False),
    Column("redemptions", Integer, nullable=False, default=0),  # budget counter (see above)
    Column("discount_minor", Integer, nullable=False, default=0),  # budget counter (see above)
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("updated_by", String(160), nullable=False),
    Index("ix_promotions_status", "status", "valid_to"),
)

# Every change of a promotion's definition or status, newest last. Besides the audit trail, the
# newest row (id and random token) versions the per-process cache of active promotions (see
# ``promotions.live_promotions_in``): promotions must be changed through the service functions.
promotion_changes = Table(
    "promotion_changes",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("token", String(32), nullable=False),
    Column("promotion_code", String(40), nullable=False),
    Column("change", String(20), nullable=False),  # created | updated | status:<new status>
    Column("actor", String(160), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Index("ix_promotion_changes_code", "promotion_code", "id"),
)

coupons = Table(
    "coupons",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("code", String(40), nullable=False, unique=True),  # upper case
    Column("promotion_id", BigId, ForeignKey("promotions.id", ondelete="CASCADE"), nullable=False),
    Column("batch_id", String(40), nullable=True),
    Column("max_redemptions", Integer, nullable=True),  # NULL = unlimited
    Column("per_customer_limit", Integer, nullable=True),
    Column("value_minor", Integer, nullable=True),  # a voucher's own amount
    Column("customer_id", String(40), nullable=True),  # a voucher bound to one customer
    Column("redemptions", Integer, nullable=False, default=0),
    Column("valid_to", UTCDateTime, nullable=True),  # exclusive
    Column("created_at", UTCDateTime, nullable=False),
    CheckConstraint("redemptions >= 0", name="redemptions"),
    Index("ix_coupons_promotion", "promotion_id", "batch_id"),
    Index("ix_coupons_customer", "customer_id"),
)

coupon_redemptions = Table(
    "coupon_redemptions",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("coupon_id", BigId, ForeignKey("coupons.id", ondelete="CASCADE"), nullable=False),
    Column("order_id", String(40), nullable=False),
    Column("customer_id", String(40), nullable=True),
    Column("discount_minor", Integer, nullable=False),
    Column("redeemed_at", UTCDateTime, nullable=False),
    UniqueConstraint("coupon_id", "order_id", name="uq_coupon_redemptions_coupon_order"),
    Index("ix_coupon_redemptions_customer", "coupon_id", "customer_id"),
)

promotion_redemptions = Table(
    "promotion_redemptions",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("promotion_id", BigId, ForeignKey("promotions.id", ondelete="CASCADE"), nullable=False),
    Column("order_id", String(40), nullable=False),
    Column("customer_id", String(40), nullable=True),
    Column("coupon", String(40), nullable=True),
    Column("discount_minor", Integer, nullable=False),
    Column("redeemed_at", UTCDateTime, nullable=False),
    UniqueConstraint("promotion_id", "order_id", name="uq_promotion_redemptions_promotion_order"),
    Index("ix_promotion_redemptions_customer", "promotion_id", "customer_id"),
)

# One row per unjustified coherence finding ever reported: its fingerprint makes the
# ``pricing.incoherence_detected`` event fire once, however often the audit runs.
price_audits = Table(
    "price_audits",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("fingerprint", String(64), nullable=False, unique=True),
    Column("sku", String(40), nullable=False),
    Column("channel", String(20), nullable=True),
    Column("store", String(40), nullable=True),
    Column("finding", Json, nullable=False),
    Column("event_id", String(40), nullable=False),
    Column("first_seen_at", UTCDateTime, nullable=False),
    Index("ix_price_audits_sku", "sku"),
)
