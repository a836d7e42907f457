"""A deterministic, realistic demo retailer: Italian stores, a bilingual catalog, sparse stock.

``generate_demo(seed, scale)`` builds it as plain values (no I/O, no clock); ``unico.demo.loader``
stores it (``unico demo``).
"""

from unico.demo.generate import generate_demo
from unico.demo.model import DemoData

__all__ = ["DemoData", "generate_demo"]
