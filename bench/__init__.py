"""Benchmarks: each module prints its figures and ends with one JSON line."""
