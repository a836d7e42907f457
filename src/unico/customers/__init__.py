"""Customers: tracking events, the identity graph, profiles, continuity, consent and segments."""
