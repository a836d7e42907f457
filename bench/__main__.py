"""`python -m bench` (what `make bench` runs): every benchmark in turn."""

from __future__ import annotations

import runpy

BENCHMARKS = ["bench.availability"]

for name in BENCHMARKS:
    print(f"== {name}", flush=True)
    runpy.run_module(name, run_name="__main__")
