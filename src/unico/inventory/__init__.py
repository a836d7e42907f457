"""Locations (stores, warehouses), stock per SKU x location, movements, reservations, availability."""
