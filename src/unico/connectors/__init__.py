"""Adapters to the outside world: CSV feeds, outbound webhooks, senders."""
