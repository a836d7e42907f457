"""Shared kernel: money, ids, clock, errors, events, database and unit of work."""
