"""List prices of the demo catalog, by product type, until a pricing engine exists. Pure.

Every variant of a product has the product's price, VAT included, in euro cents ending in ,90 or
,00 as Italian shelves do. The price is a function of the product code alone (a hash, not the
generator's random stream), so ``price_of(sku)`` answers without the generated catalog and adding
prices did not change any other generated value. The generator also stores it in each product's
attributes as ``list_price_minor``.
"""

from __future__ import annotations

import hashlib

# Product type (the first part of a product code) -> (lowest, highest) list price in euro.
PRICE_BANDS: dict[str, tuple[int, int]] = {
    # fashion
    "ABI": (39, 129), "GON": (29, 79), "CAM": (29, 89), "BLU": (29, 69), "CPT": (129, 349),
    "GIA": (79, 229), "PIU": (99, 299), "MAG": (39, 139), "CAR": (39, 119), "FEL": (29, 69),
    "PAN": (39, 99), "JEA": (49, 119), "TSH": (12, 35), "POL": (25, 59), "SNE": (59, 149),
    "STI": (89, 199), "MOC": (79, 179), "DEC": (69, 159), "BOR": (49, 249), "ZAC": (39, 119),
    "CIN": (19, 59), "SCI": (15, 69), "BER": (12, 35),
    # sport
    "RUN": (69, 179), "RMA": (19, 49), "RPA": (15, 39), "RLE": (25, 59), "RGI": (49, 129),
    "OGI": (89, 299), "OPI": (29, 79), "OPA": (39, 99), "OSC": (99, 229), "OSH": (69, 149),
    "OZA": (49, 179), "OTE": (79, 399), "OSA": (39, 149), "OBA": (25, 89), "FTO": (19, 45),
    "FLE": (19, 49), "FTS": (12, 29), "YOG": (19, 69), "MAN": (15, 59), "KET": (19, 69),
    "ELA": (9, 25), "CMA": (39, 109), "CSA": (59, 149), "CCA": (49, 179), "CGU": (15, 45),
    "NCO": (19, 59), "NOC": (9, 29), "PCA": (15, 49), "PVO": (15, 45), "SCA": (49, 149),
    "RAC": (59, 199),
    # home
    "LEN": (39, 119), "COP": (49, 139), "TRA": (69, 199), "GUA": (19, 59), "PLA": (29, 89),
    "ASC": (25, 69), "ACP": (35, 89), "TAB": (12, 35), "PAD": (25, 79), "CAS": (29, 99),
    "MOK": (19, 49), "COL": (15, 79), "TAG": (15, 49), "PIA": (39, 129), "BIC": (19, 59),
    "TOV": (25, 79), "CUS": (15, 45), "CND": (9, 29), "VAS": (15, 69), "LAM": (39, 149),
}  # fmt: skip
DEFAULT_BAND = (19, 99)


def list_price_minor(product_code: str) -> int:
    """The list price of ``product_code`` ("RUN-00168") in cents: within its type's band, ,90 or ,00."""
    low, high = PRICE_BANDS.get(product_code.split("-", 1)[0], DEFAULT_BAND)
    draw = int.from_bytes(hashlib.sha256(product_code.encode()).digest()[:4], "big")
    euros = low + draw % (high - low + 1)
    cents = 90 if draw % 5 else 0  # four prices in five end in ,90
    return euros * 100 + cents


def price_of(sku: str) -> int:
    """The list price of a demo SKU ("RUN-00168-ROS-38"): its product's price."""
    return list_price_minor("-".join(sku.split("-", 2)[:2]))
