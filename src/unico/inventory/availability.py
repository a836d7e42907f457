"""Availability to promise and which locations may serve which channel and method. Pure.

The default network rules follow the source documents' omnichannel promises:

- home delivery comes from warehouses and from stores that ship (ship-from-store); marketplace
  orders come from warehouses only, so store stock stays for the retailer's own customers;
- pickup (click & collect) and reserve-in-store are served by the chosen store's own stock;
- carry-out is a till sale from the store's own shelves;
- ship-to-store (endless aisle to a store) is served like home delivery, then collected at the
  store; marketplace orders do not offer it.
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
        rules[(channel, Method.SHIP_TO_STORE)] = _HOME
        rules[(channel, Method.PICKUP)] = _OWN_STORE[Method.PICKUP]
        rules[(channel, Method.RESERVE_IN_STORE)] = _OWN_STORE[Method.RESERVE_IN_STORE]
    rules[(Channel.MARKETPLACE, Method.HOME_DELIVERY)] = (ServingRule(LocationType.WAREHOUSE),)
    del rules[(Channel.MARKETPLACE, Method.PICKUP)]
    del rules[(Channel.MARKETPLACE, Method.SHIP_TO_STORE)]
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


def serving_rules(channel: Channel, method: Method) -> tuple[ServingRule, ...]:
    """The rules for one channel and method; empty when the channel does not offer the method."""
    return tuple(DEFAULT_RULES.get((channel, method), ()))


def network_availability(
    skus: Sequence[str],
    rows: Iterable[tuple[str, int, int]],
    serving: Mapping[int, tuple[str, LocationType]],
    *,
    include_locations: bool = True,
) -> list[SkuAvailability]:
    """Per SKU: the sum of what the serving locations can promise, and each location's share.

    ``rows`` are ``(sku, location id, available)`` in the order the breakdown should list them
    (largest first); ``serving`` maps each location that may serve to its code and type. Rows
    at other locations, for SKUs not asked, or with nothing to promise are ignored.
    """
    shares: dict[str, list[LocationAvailability]] = {sku: [] for sku in skus}
    totals = dict.fromkeys(skus, 0)
    for sku, location_id, available in rows:
        where = serving.get(location_id)
        bucket = shares.get(sku)
        if where is None or bucket is None or available <= 0:
            continue
        totals[sku] += available
        if include_locations:
            bucket.append(LocationAvailability(where[0], where[1], available))
    return [SkuAvailability(sku, totals[sku], tuple(shares[sku])) for sku in skus]
