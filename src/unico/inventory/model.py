"""The inventory domain's plain values. No I/O."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import NamedTuple


class LocationType(StrEnum):
    STORE = "store"
    WAREHOUSE = "warehouse"


class Capability(StrEnum):
    PICKUP = "pickup"
    RESERVE_IN_STORE = "reserve_in_store"
    SHIP_FROM_STORE = "ship_from_store"
    RETURNS = "returns"


class Channel(StrEnum):
    WEB = "web"
    APP = "app"
    STORE = "store"
    CONTACT_CENTER = "contact_center"
    CHAT = "chat"
    VOICE = "voice"
    MARKETPLACE = "marketplace"
    SOCIAL = "social"


class Method(StrEnum):
    """How a line reaches the customer, which decides the locations that may serve it."""

    HOME_DELIVERY = "home_delivery"
    PICKUP = "pickup"
    RESERVE_IN_STORE = "reserve_in_store"
    CARRY_OUT = "carry_out"
    SHIP_TO_STORE = "ship_to_store"  # delivered to a store for pickup (endless aisle)


class MovementKind(StrEnum):
    RECEIPT = "receipt"
    SALE = "sale"
    COUNT = "count"
    DAMAGE = "damage"
    TRANSFER = "transfer"
    RETURN = "return"


class OwnerType(StrEnum):
    CART = "cart"
    ORDER = "order"
    E_RESERVATION = "e_reservation"


class ReservationStatus(StrEnum):
    ACTIVE = "active"
    RELEASED = "released"
    EXPIRED = "expired"
    FULFILLED = "fulfilled"


@dataclass(frozen=True, slots=True)
class LocationRef:
    """What availability and sourcing need to know of a location."""

    id: int
    code: str
    name: str
    type: LocationType
    capabilities: frozenset[Capability]
    latitude: float
    longitude: float
    active: bool = True


@dataclass(frozen=True, slots=True)
class StockLevel:
    location_id: int
    on_hand: int
    reserved: int
    safety_stock: int

    @property
    def available(self) -> int:
        """Available to promise: on hand less reserved less safety stock, never below zero."""
        return max(self.on_hand - self.reserved - self.safety_stock, 0)


@dataclass(frozen=True)
class StockRow:
    """A SKU's stock at one named location, as staff see it."""

    location: str
    location_name: str
    location_type: str
    city: str
    on_hand: int
    reserved: int
    safety_stock: int

    @property
    def available(self) -> int:
        return max(self.on_hand - self.reserved - self.safety_stock, 0)


class LocationAvailability(NamedTuple):
    """One location's share of a SKU's availability (a tuple: availability answers hold
    tens of thousands of them, and tuples are the cheapest immutable values to build)."""

    location: str
    type: LocationType
    available: int


@dataclass(frozen=True, slots=True)
class SkuAvailability:
    sku: str
    available: int
    locations: tuple[LocationAvailability, ...] = ()


@dataclass(frozen=True)
class MovementRequest:
    """One change of on-hand stock, identified by ``movement_id`` (repeats change nothing)."""

    movement_id: str
    sku: str
    location: str
    kind: MovementKind
    quantity: int
    reason: str = ""
    reference: str = ""
    to_location: str | None = None  # transfers only


@dataclass(frozen=True)
class MovementResult:
    movement_id: str
    sku: str
    location: str
    kind: MovementKind
    quantity: int  # signed change of on hand
    on_hand: int
    available: int
    applied: bool  # False when the movement id had already been applied
    created_at: datetime | None = None
    counterpart: MovementResult | None = field(default=None, repr=False)


@dataclass(frozen=True)
class ReservationRequest:
    sku: str
    location: str
    quantity: int
    owner_type: OwnerType
    owner_id: str
    channel: str = ""
    ttl_seconds: int | None = None


@dataclass(frozen=True)
class Reservation:
    reservation_id: str
    sku: str
    location: str
    quantity: int
    owner_type: OwnerType
    owner_id: str
    channel: str
    status: ReservationStatus
    expires_at: datetime | None
    created_at: datetime
