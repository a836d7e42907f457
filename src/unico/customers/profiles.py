"""The unified profile: computed traits, the timeline across channels, relations.

:func:`compute_traits` and :func:`rfm_segment` are pure; the ``load_*`` functions read the facts
they need from tracking events, orders and the catalog, inside the caller's transaction.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, literal, select, union_all
from sqlalchemy.engine import Connection

from unico.catalog.store import categories, products, variants
from unico.core.db import among
from unico.customers.graph import profile_family, profile_row, resolve_profile_id
from unico.customers.store import customer_profiles, customer_relations
from unico.customers.tracking_store import tracking_events, tracking_sources
from unico.inventory.store import locations
from unico.orders.store import order_lines, orders

# Orders that did not happen for the customer: they count towards nothing.
VOID_ORDER_STATUSES = frozenset({"cancelled", "expired"})
FAVOURITE_CATEGORIES = 3


@dataclass(frozen=True)
class OrderFact:
    order_id: str
    channel: str
    status: str
    store: str | None  # the originating store, else the pickup store
    total_minor: int
    currency: str
    created_at: datetime


@dataclass(frozen=True)
class ProfileFacts:
    """What the computed traits are made of, for one profile."""

    first_event_at: datetime | None = None
    last_event_at: datetime | None = None
    event_channels: frozenset[str] = frozenset()
    orders: Sequence[OrderFact] = ()
    units_by_category: dict[str, int] = field(default_factory=dict)  # bought, by category code
    views_by_category: dict[str, int] = field(default_factory=dict)  # Product Viewed, by category


@dataclass(frozen=True)
class RfmThresholds:
    """Recency in days (score 3 up to the first, 2 up to the second, else 1); frequency in orders
    and monetary in minor units (score 3 from the second, 2 from the first, else 1)."""

    recency_days: tuple[int, int] = (30, 90)
    frequency: tuple[int, int] = (2, 5)
    monetary_minor: tuple[int, int] = (10_000, 50_000)


DEFAULT_RFM = RfmThresholds()


def rfm_scores(
    days_since_last_order: int, order_count: int, total_spend: int, thresholds: RfmThresholds = DEFAULT_RFM
) -> tuple[int, int, int]:
    """Recency, frequency and monetary scores, each 1 (weak) to 3 (strong)."""
    near, far = thresholds.recency_days
    recency = 3 if days_since_last_order <= near else 2 if days_since_last_order <= far else 1
    few, many = thresholds.frequency
    frequency = 3 if order_count >= many else 2 if order_count >= few else 1
    some, lots = thresholds.monetary_minor
    monetary = 3 if total_spend >= lots else 2 if total_spend >= some else 1
    return recency, frequency, monetary


def rfm_segment(
    days_since_last_order: int | None,
    order_count: int,
    total_spend: int,
    thresholds: RfmThresholds = DEFAULT_RFM,
) -> str:
    """A named recency-frequency-monetary segment:

    prospect (never ordered), champion (recent, frequent, spends well), loyal (frequent and not
    lapsed), new (recent first order), at_risk (used to order often, lapsed), lost (lapsed, rare),
    needs_attention (the rest: one order a while ago)."""
    if order_count == 0 or days_since_last_order is None:
        return "prospect"
    r, f, m = rfm_scores(days_since_last_order, order_count, total_spend, thresholds)
    if r == 3 and f == 3 and m >= 2:
        return "champion"
    if r >= 2 and f >= 2:
        return "loyal"
    if r == 3:
        return "new"
    if r == 1:
        return "at_risk" if f >= 2 else "lost"
    return "needs_attention"


def compute_traits(
    facts: ProfileFacts, now: datetime, thresholds: RfmThresholds = DEFAULT_RFM
) -> dict[str, Any]:
    """The computed traits of a profile from its facts, as of ``now``.

    Orders cancelled or expired count for nothing; spend is in the currency of the latest order
    (VAT included, minor units); the average is rounded down; the favourite store is the one with
    most orders (ties: the latest); favourite categories are ranked by units bought, or by
    product views for someone who has not bought yet."""
    counted = sorted(
        (o for o in facts.orders if o.status not in VOID_ORDER_STATUSES), key=lambda o: o.created_at
    )
    currency = counted[-1].currency if counted else None
    spend = sum(o.total_minor for o in counted if o.currency == currency)
    in_currency = sum(1 for o in counted if o.currency == currency)
    last_order_at = counted[-1].created_at if counted else None
    days_since_last_order = (now - last_order_at).days if last_order_at else None
    times = [t for t in (facts.first_event_at, facts.last_event_at) if t is not None]
    times += [o.created_at for o in facts.orders]
    channels = set(facts.event_channels) | {o.channel for o in facts.orders}
    recency, frequency, monetary = (
        rfm_scores(days_since_last_order, len(counted), spend, thresholds)
        if days_since_last_order is not None
        else (None, None, None)
    )
    return {
        "first_seen_at": min(times) if times else None,
        "last_seen_at": max(times) if times else None,
        "channels_used": sorted(channels),
        "order_count": len(counted),
        "total_spend": spend,
        "currency": currency,
        "average_order_value": spend // in_currency if in_currency else None,
        "last_order_at": last_order_at,
        "days_since_last_order": days_since_last_order,
        "favourite_store": _favourite_store(counted),
        "favourite_categories": _favourite_categories(facts),
        "rfm": {
            "recency": recency,
            "frequency": frequency,
            "monetary": monetary,
            "segment": rfm_segment(days_since_last_order, len(counted), spend, thresholds),
        },
    }


def _favourite_store(counted: Sequence[OrderFact]) -> str | None:
    tally: dict[str, tuple[int, datetime]] = {}
    for order in counted:
        if order.store:
            n, _ = tally.get(order.store, (0, order.created_at))
            tally[order.store] = (n + 1, order.created_at)
    if not tally:
        return None
    return max(tally, key=lambda code: (tally[code][0], tally[code][1], code))


def _favourite_categories(facts: ProfileFacts) -> list[str]:
    source = facts.units_by_category or facts.views_by_category
    ranked = sorted(source.items(), key=lambda kv: (-kv[1], kv[0]))
    return [code for code, _ in ranked[:FAVOURITE_CATEGORIES]]


# --- loading facts ----------------------------------------------------------------------------


def load_facts(conn: Connection, profile_id: str) -> ProfileFacts:
    """The facts of ``profile_id`` (a current, unmerged id) from events, orders and the catalog."""
    span = conn.execute(
        select(func.min(tracking_events.c.timestamp), func.max(tracking_events.c.timestamp)).where(
            tracking_events.c.profile_id == profile_id
        )
    ).one()
    channels = conn.execute(
        select(tracking_sources.c.kind)
        .distinct()
        .join(tracking_events, tracking_events.c.source_id == tracking_sources.c.id)
        .where(tracking_events.c.profile_id == profile_id)
    ).all()
    views: Counter[str] = Counter()
    for (props,) in conn.execute(
        select(tracking_events.c.properties).where(
            tracking_events.c.profile_id == profile_id, tracking_events.c.event == "Product Viewed"
        )
    ):
        category = (props or {}).get("category")
        if isinstance(category, str) and category:
            views[category] += 1
    facts = load_orders(conn, profile_id)
    units: Counter[str] = Counter()
    void = list(VOID_ORDER_STATUSES)
    for code, quantity in conn.execute(
        select(categories.c.code, func.sum(order_lines.c.quantity - order_lines.c.quantity_cancelled))
        .select_from(order_lines)
        .join(orders, orders.c.id == order_lines.c.order_id)
        .join(variants, variants.c.id == order_lines.c.variant_id)
        .join(products, products.c.id == variants.c.product_id)
        .join(categories, categories.c.id == products.c.category_id)
        .where(orders.c.customer_id == profile_id, orders.c.status.not_in(void))
        .group_by(categories.c.code)
    ):
        if quantity:
            units[code] = int(quantity)
    return ProfileFacts(
        first_event_at=span[0],
        last_event_at=span[1],
        event_channels=frozenset(r.kind for r in channels),
        orders=facts,
        units_by_category=dict(units),
        views_by_category=dict(views),
    )


def load_orders(conn: Connection, profile_id: str) -> list[OrderFact]:
    """The profile's orders, oldest first, each with its store (origin, else first pickup store)."""
    pickup = (
        select(order_lines.c.order_id, func.min(order_lines.c.pickup_location_id).label("location_id"))
        .where(order_lines.c.pickup_location_id.is_not(None))
        .group_by(order_lines.c.order_id)
        .subquery()
    )
    origin = locations.alias("origin")
    pickup_location = locations.alias("pickup_location")
    rows = conn.execute(
        select(
            orders.c.order_id,
            orders.c.channel,
            orders.c.status,
            orders.c.total_minor,
            orders.c.currency,
            orders.c.created_at,
            origin.c.code.label("origin"),
            pickup_location.c.code.label("pickup"),
        )
        .select_from(orders)
        .outerjoin(origin, origin.c.id == orders.c.origin_location_id)
        .outerjoin(pickup, pickup.c.order_id == orders.c.id)
        .outerjoin(pickup_location, pickup_location.c.id == pickup.c.location_id)
        .where(orders.c.customer_id == profile_id)
        .order_by(orders.c.created_at, orders.c.id)
    ).all()
    return [
        OrderFact(
            r.order_id, r.channel, r.status, r.origin or r.pickup, r.total_minor, r.currency, r.created_at
        )
        for r in rows
    ]


def order_summaries(facts: Sequence[OrderFact], limit: int = 20) -> list[dict[str, Any]]:
    return [
        {
            "order_id": o.order_id,
            "channel": o.channel,
            "status": o.status,
            "store": o.store,
            "total": o.total_minor,
            "currency": o.currency,
            "created_at": o.created_at,
        }
        for o in sorted(facts, key=lambda o: o.created_at, reverse=True)[:limit]
    ]


# --- timeline ---------------------------------------------------------------------------------


def load_timeline(
    conn: Connection, profile_id: str, *, limit: int = 100, before: datetime | None = None
) -> list[dict[str, Any]]:
    """Every tracking event and order of the profile, newest first, across channels; ``before``
    pages back in time."""
    events = select(
        literal("event").label("kind"),
        tracking_events.c.id.label("ref"),
        tracking_events.c.timestamp.label("at"),
    ).where(tracking_events.c.profile_id == profile_id)
    placed = select(
        literal("order").label("kind"), orders.c.id.label("ref"), orders.c.created_at.label("at")
    ).where(orders.c.customer_id == profile_id)
    if before is not None:
        events = events.where(tracking_events.c.timestamp < before)
        placed = placed.where(orders.c.created_at < before)
    both = union_all(events, placed).subquery()
    page = conn.execute(
        select(both.c.kind, both.c.ref)
        .order_by(both.c.at.desc(), both.c.kind, both.c.ref.desc())
        .limit(limit)
    ).all()
    event_refs = [r.ref for r in page if r.kind == "event"]
    order_refs = [r.ref for r in page if r.kind == "order"]
    entries: dict[tuple[str, int], dict[str, Any]] = {}
    if event_refs:
        for e in conn.execute(
            select(
                tracking_events,
                tracking_sources.c.kind.label("channel"),
                tracking_sources.c.name.label("src"),
            )
            .join(tracking_sources, tracking_sources.c.id == tracking_events.c.source_id)
            .where(among(conn, tracking_events.c.id, event_refs))
        ):
            entries[("event", e.id)] = {
                "at": e.timestamp,
                "kind": "event",
                "type": e.type,
                "name": e.event or e.type,
                "channel": e.channel,
                "source": e.src,
                "properties": e.properties,
                "traits": e.traits if e.type == "identify" else {},
            }
    if order_refs:
        facts = {o.order_id: o for o in load_orders(conn, profile_id)}
        for o in conn.execute(
            select(orders.c.id, orders.c.order_id).where(among(conn, orders.c.id, order_refs))
        ):
            fact = facts[o.order_id]
            entries[("order", o.id)] = {
                "at": fact.created_at,
                "kind": "order",
                "type": "order",
                "name": "Order Placed",
                "channel": fact.channel,
                "source": fact.store,
                "properties": {
                    "order_id": fact.order_id,
                    "status": fact.status,
                    "total": fact.total_minor,
                    "currency": fact.currency,
                    "store": fact.store,
                },
                "traits": {},
            }
    return [entries[(r.kind, r.ref)] for r in page]


# --- relations --------------------------------------------------------------------------------


def load_relations(conn: Connection, profile_id: str) -> list[dict[str, Any]]:
    """Relations of the profile and of every profile merged into it, the other side resolved to
    its current profile. ``direction`` matters for ``bought_for`` (outgoing: this profile bought
    for the other)."""
    family = profile_family(conn, profile_id)
    pks = [
        r.id
        for r in conn.execute(
            select(customer_profiles.c.id).where(among(conn, customer_profiles.c.profile_id, family))
        )
    ]
    mine = customer_profiles.alias("mine")
    other = customer_profiles.alias("other")
    rows = conn.execute(
        select(
            customer_relations.c.kind,
            customer_relations.c.created_at,
            customer_relations.c.actor,
            mine.c.id.label("mine_pk"),
            other.c.profile_id.label("other_id"),
            mine.c.profile_id.label("mine_id"),
        )
        .join(mine, mine.c.id == customer_relations.c.profile_id)
        .join(other, other.c.id == customer_relations.c.other_profile_id)
        .where(
            among(conn, customer_relations.c.profile_id, pks)
            | among(conn, customer_relations.c.other_profile_id, pks)
        )
        .order_by(customer_relations.c.id)
    ).all()
    out: list[dict[str, Any]] = []
    seen: set[tuple[str, str, str]] = set()
    for r in rows:
        outgoing = r.mine_pk in pks
        far = resolve_profile_id(conn, r.other_id if outgoing else r.mine_id)
        if far == profile_id:
            continue  # both sides are now one profile
        direction = "outgoing" if outgoing else "incoming"
        if (r.kind, far, direction) in seen:
            continue
        seen.add((r.kind, far, direction))
        traits = profile_row(conn, far).traits
        out.append(
            {
                "kind": r.kind,
                "profile_id": far,
                "name": display_name(traits),
                "direction": direction,
                "created_at": r.created_at,
                "actor": r.actor,
            }
        )
    return out


def display_name(traits: dict[str, Any]) -> str | None:
    parts = [traits.get("first_name"), traits.get("last_name")]
    name = " ".join(str(p) for p in parts if p) or traits.get("name")
    return str(name) if name else None
