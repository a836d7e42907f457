"""The pricing domain's service surface, one import for callers (API, console, orders, loyalty,
demo): prices and overrides, promotions, coupons, quotes, redemptions and the coherence audit.
"""

from __future__ import annotations

from unico.pricing.coherence import CoherenceFinding, CoherenceReport, audit_coherence
from unico.pricing.coupons import (
    CouponBatch,
    create_coupon,
    create_coupon_in,
    export_coupons,
    generate_coupons,
    list_coupon_batches,
    random_code,
    void_coupon_in,
)
from unico.pricing.prices import (
    create_override,
    get_price,
    record_store_price_in,
    set_list_price,
    set_list_prices_in,
    set_vat_rate,
)
from unico.pricing.promotions import (
    PromotionView,
    create_promotion,
    create_promotion_in,
    get_promotion,
    list_promotions,
    set_promotion_status,
    update_promotion,
)
from unico.pricing.quoting import MembershipLookup, QuoteRequest, preview_promotion, quote, quote_in
from unico.pricing.redemptions import record_redemptions_in

__all__ = [
    "CoherenceFinding",
    "CoherenceReport",
    "CouponBatch",
    "MembershipLookup",
    "PromotionView",
    "QuoteRequest",
    "audit_coherence",
    "create_coupon",
    "create_coupon_in",
    "create_override",
    "create_promotion",
    "create_promotion_in",
    "export_coupons",
    "generate_coupons",
    "get_price",
    "get_promotion",
    "list_coupon_batches",
    "list_promotions",
    "preview_promotion",
    "quote",
    "quote_in",
    "random_code",
    "record_redemptions_in",
    "record_store_price_in",
    "set_list_price",
    "set_list_prices_in",
    "set_promotion_status",
    "set_vat_rate",
    "update_promotion",
    "void_coupon_in",
]
