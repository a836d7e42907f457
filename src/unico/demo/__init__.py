"""A deterministic, realistic demo retailer: Italian stores, a bilingual catalog, sparse stock,
customers, and sixty days of omnichannel trade.

``generate_demo(seed, scale)`` builds the retailer and its customers as plain values (no I/O, no
clock); ``activity.plan_orders`` plans its orders as of a day; ``unico.demo.loader`` stores it
all (``unico demo``), the trade through the orders, fulfillment and customers use cases.
Demo list prices: ``prices.price_of(sku)``, also in each product's ``list_price_minor`` attribute.
"""

from unico.demo.generate import generate_demo
from unico.demo.model import DemoData

__all__ = ["DemoData", "generate_demo"]
