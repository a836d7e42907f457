"""Availability to promise and which locations may serve which channel and method. Pure.

The default network rules follow the source documents' omnichannel promises:

- home delivery comes from warehouses and from stores that ship (ship-from-store); marketplace
  orders come from warehouses only, so store stock stays for the retailer's own customers;
- pickup (click & collect) and reserve-in-store are served by the chosen store's own stock;
- carry-out is a till sale from the store's own shelves.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from unico.inventory.model import (
    Capability,
    Channel,
    LocationAvailability,
    LocationRef,
    LocationType,
    Method,
    SkuAvailability,
    StockLevel,
)


@dataclass(frozen=True, slots=True)
class ServingRule:
    """Locations of ``location_type`` serve ``method``, if they have ``capability`` (when set)."""

    location_type: LocationType
    capability: Capability | None = None


_HOME = (ServingRule(LocationType.WAREHOUSE), ServingRule(LocationType.STORE, Capability.SHIP_FROM_STORE))
_OWN_STORE = {
    Method.PICKUP: (ServingRule(LocationType.STORE, Capability.PICKUP),),
    Method.RESERVE_IN_STORE: (ServingRule(LocationType.STORE, Capability.RESERVE_IN_STORE),),
    Method.CARRY_OUT: (ServingRule(LocationType.STORE),),
}


def default_rules() -> dict[tuple[Channel, Method], tuple[ServingRule, ...]]:
    rules: dict[tuple[Channel, Method], tuple[ServingRule, ...]] = {}
    for channel in Channel:
        rules[(channel, Method.HOME_DELIVERY)] = _HOME
        rules[(channel, Method.PICKUP)] = _OWN_STORE[Method.PICKUP]
        rules[(channel, Method.RESERVE_IN_STORE)] = _OWN_STORE[Method.RESERVE_IN_STORE]
    rules[(Channel.MARKETPLACE, Method.HOME_DELIVERY)] = (ServingRule(LocationType.WAREHOUSE),)
    del rules[(Channel.MARKETPLACE, Method.PICKUP)]
    del rules[(Channel.MARKETPLACE, Method.RESERVE_IN_STORE)]
    rules[(Channel.STORE, Method.CARRY_OUT)] = _OWN_STORE[Method.CARRY_OUT]
    return rules


DEFAULT_RULES = default_rules()


def available_to_promise(on_hand: int, reserved: int, safety_stock: int) -> int:
    """``on_hand - reserved - safety_stock``, never below zero."""
    return max(on_hand - reserved - safety_stock, 0)


def may_serve(location: LocationRef, rules: Sequence[ServingRule]) -> bool:
    if not location.active:
        return False
    return any(
        location.type is rule.location_type
        and (rule.capability is None or rule.capability in location.capabilities)
        for rule in rules
    )


def serving_locations(
    locations: Iterable[LocationRef],
    channel: Channel,
    method: Method,
    rules: Mapping[tuple[Channel, Method], Sequence[ServingRule]] = DEFAULT_RULES,
) -> list[LocationRef]:
    """The locations that may serve ``method`` for ``channel``; empty when the pair is not offered."""
    pair_rules = rules.get((channel, method), ())
    return [loc for loc in locations if may_serve(loc, pair_rules)]


def network_availability(
    skus: Sequence[str],
    levels: Mapping[str, Sequence[StockLevel]],
    serving: Sequence[LocationRef],
    *,
    include_locations: bool = True,
) -> list[SkuAvailability]:
    """Per SKU: the sum of what the serving locations can promise, and each location's share.

    ``levels`` maps a SKU to its stock rows; rows at locations outside ``serving`` are ignored.
    Locations with nothing to promise are left out of the breakdown.
    """
    by_id = {loc.id: loc for loc in serving}
    result = []
    for sku in skus:
        parts = []
        total = 0
        for level in levels.get(sku, ()):
            loc = by_id.get(level.location_id)
            if loc is None:
                continue
            atp = level.available
            if atp > 0:
                total += atp
                if include_locations:
                    parts.append(LocationAvailability(loc.code, loc.type, atp))
        parts.sort(key=lambda p: (-p.available, p.location))
        result.append(SkuAvailability(sku, total, tuple(parts)))
    return result
