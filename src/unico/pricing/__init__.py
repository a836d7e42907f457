"""Pricing: one list price per SKU, explicit overrides, promotions and coupons, the quote engine
and the coherence audit. The engine (``pricing.engine``) is pure; ``pricing.service`` loads what it
needs and records coupon and budget use."""
