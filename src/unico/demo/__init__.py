"""A deterministic, realistic demo retailer: Italian stores, a bilingual catalog, sparse stock."""
