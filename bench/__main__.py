"""`python -m bench` (what `make bench` runs): every benchmark in turn.

Each is imported and its ``main()`` called, rather than run as ``__main__``, so the functions
it hands to worker processes can be found by name there.
"""

from __future__ import annotations

import importlib

BENCHMARKS = [
    "bench.availability",
    "bench.identity",
    "bench.loyalty",
    "bench.orders",
    "bench.pricing",
    "bench.resolution",
    "bench.tracking",
]

if __name__ == "__main__":
    for name in BENCHMARKS:
        print(f"== {name}", flush=True)
        importlib.import_module(name).main()
