"""Fulfillment: sourcing, store tasks (pick, pack, pickup, shipment), returns and e-tickets."""
