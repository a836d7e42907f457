"""The marketing team's first segments, stored through ``customers.segment_queries``."""

from __future__ import annotations

from typing import Any

from unico.core.db import Database
from unico.customers.segment_queries import create_segment
from unico.demo.trade import DEMO

SEGMENTS: tuple[tuple[str, str, dict[str, Any]], ...] = (
    (
        "Newsletter Milano",
        "Clienti di Milano che accettano le email.",
        {"all": [{"trait": "city", "op": "eq", "value": "Milano"}, {"consent": "email"}]},
    ),
    (
        "Carrello abbandonato (7 giorni)",
        "Hanno aggiunto al carrello negli ultimi 7 giorni senza completare un ordine; accettano le email.",
        {
            "all": [
                {"event": "Product Added", "within_days": 7},
                {"not": {"event": "Order Completed", "within_days": 7}},
                {"consent": "email"},
            ]
        },
    ),
    (
        "Omnicanale: negozio e online",
        "Hanno comprato sia in negozio sia sul sito.",
        {
            "all": [
                {"computed": "channels_used", "op": "contains", "value": "store"},
                {"computed": "channels_used", "op": "contains", "value": "web"},
            ]
        },
    ),
    (
        "Visitatori dei negozi con carta fedeltà",
        "Passati in negozio negli ultimi 30 giorni con la carta; accettano la profilazione.",
        {"all": [{"event": "Store Visited", "within_days": 30}, {"consent": "profiling"}]},
    ),
    (
        "Alto valore",
        "Hanno speso almeno 200 euro.",
        {"computed": "total_spend", "op": "gte", "value": 20000},
    ),
)


def create_segments(db: Database) -> int:
    """Store the demo segments; returns how many."""
    for name, description, definition in SEGMENTS:
        create_segment(db, name=name, description=description, definition=definition, principal=DEMO)
    return len(SEGMENTS)
