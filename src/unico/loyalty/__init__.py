"""Loyalty: one account per customer in every channel, an immutable double-entry points ledger,
earning rules, tiers, expiry and a rewards catalog redeemable at the till and online."""
