"""Products, variants (SKU, EAN), categories, brands, attributes and search."""
