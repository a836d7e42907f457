"""HTTP routes of stock: availability, stock levels, movements (deltas) and reservations."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import orjson
from fastapi import APIRouter, Query, Response, status
from pydantic import BaseModel, Field

from unico.access.model import Permission
from unico.api.deps import DbDep, PrincipalDep, SettingsDep
from unico.api.schemas import StrictModel
from unico.inventory import ledger, reservations, service
from unico.inventory.model import (
    Channel,
    LocationType,
    Method,
    MovementKind,
    MovementRequest,
    MovementResult,
    OwnerType,
    Reservation,
    ReservationRequest,
    ReservationStatus,
    SkuAvailability,
)

router = APIRouter(tags=["inventory"])


# --- availability -----------------------------------------------------------------------------


class AvailabilityIn(StrictModel):
    skus: list[str] = Field(min_length=1, max_length=1000)
    channel: Channel = Channel.WEB
    method: Method = Method.HOME_DELIVERY
    locations: list[str] = Field(default=[], description="Only these locations (e.g. one pickup store).")
    include_locations: bool = True


class LocationShare(BaseModel):
    location: str
    type: LocationType
    available: int


class SkuAvailabilityOut(BaseModel):
    sku: str
    available: int
    locations: list[LocationShare]


class AvailabilityOut(BaseModel):
    channel: Channel
    method: Method
    items: list[SkuAvailabilityOut]


def _availability_response(channel: Channel, method: Method, items: list[SkuAvailability]) -> Response:
    """The body built directly: a 1,000-SKU answer has tens of thousands of location shares, too
    many to validate model by model on every call (the shape is ``AvailabilityOut``)."""
    body = {
        "channel": channel.value,
        "method": method.value,
        "items": [
            {
                "sku": i.sku,
                "available": i.available,
                "locations": [
                    {"location": p.location, "type": p.type.value, "available": p.available}
                    for p in i.locations
                ],
            }
            for i in items
        ],
    }
    return Response(orjson.dumps(body), media_type="application/json")


@router.post("/availability", response_model=AvailabilityOut)
def post_availability(body: AvailabilityIn, db: DbDep, principal: PrincipalDep) -> Response:
    """Network availability to promise for up to 1,000 SKUs, for one channel and method."""
    principal.require(Permission.INVENTORY_READ)
    items = service.check_availability(
        db,
        body.skus,
        channel=body.channel,
        method=body.method,
        location_codes=body.locations,
        include_locations=body.include_locations,
    )
    return _availability_response(body.channel, body.method, items)


@router.get("/availability", response_model=AvailabilityOut)
def get_availability(
    db: DbDep,
    principal: PrincipalDep,
    sku: Annotated[list[str], Query(min_length=1, max_length=1000)],
    channel: Channel = Channel.WEB,
    method: Method = Method.HOME_DELIVERY,
    location: Annotated[list[str] | None, Query()] = None,
) -> Response:
    principal.require(Permission.INVENTORY_READ)
    items = service.check_availability(db, sku, channel=channel, method=method, location_codes=location or [])
    return _availability_response(channel, method, items)


# --- stock levels -----------------------------------------------------------------------------


class StockOut(BaseModel):
    location: str
    location_name: str
    location_type: str
    city: str
    on_hand: int
    reserved: int
    safety_stock: int
    available: int


class SkuStockOut(BaseModel):
    sku: str
    total_on_hand: int
    total_available: int
    locations: list[StockOut]


@router.get("/stock/{sku}", response_model=SkuStockOut)
def stock_everywhere(sku: str, db: DbDep, principal: PrincipalDep) -> SkuStockOut:
    """One SKU's stock at every active store and warehouse (zeros included)."""
    principal.require(Permission.INVENTORY_READ)
    rows = service.stock_everywhere(db, [sku])[sku]
    return SkuStockOut(
        sku=sku,
        total_on_hand=sum(r.on_hand for r in rows),
        total_available=sum(r.available for r in rows),
        locations=[StockOut(**r.__dict__, available=r.available) for r in rows],
    )


class LocationStockOut(BaseModel):
    sku: str
    on_hand: int
    reserved: int
    safety_stock: int
    available: int


@router.get("/locations/{code}/stock", response_model=list[LocationStockOut])
def stock_at_location(
    code: str,
    db: DbDep,
    principal: PrincipalDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[LocationStockOut]:
    principal.require(Permission.INVENTORY_READ)
    return [
        LocationStockOut(**r.__dict__)
        for r in service.stock_at_location(db, code, limit=limit, offset=offset)
    ]


class SafetyStockIn(StrictModel):
    safety_stock: int = Field(ge=0)


@router.put("/stock/{sku}/{location}/safety", response_model=StockOut)
def set_safety_stock(
    sku: str, location: str, body: SafetyStockIn, db: DbDep, principal: PrincipalDep
) -> StockOut:
    principal.require(Permission.INVENTORY_WRITE)
    row = ledger.set_safety_stock(db, sku, location, body.safety_stock, principal)
    return StockOut(**row.__dict__, available=row.available)


# --- movements --------------------------------------------------------------------------------


class MovementIn(StrictModel):
    movement_id: str = Field(
        min_length=1, max_length=80, description="Idempotency id: a repeat changes nothing."
    )
    sku: str
    location: str
    kind: MovementKind
    quantity: int = Field(ge=0, description="Units moved (> 0), or the counted quantity for a count.")
    reason: str = Field(default="", max_length=200)
    reference: str = Field(default="", max_length=120)
    to_location: str | None = Field(default=None, description="Transfers only.")


class MovementsIn(StrictModel):
    movements: list[MovementIn] = Field(min_length=1, max_length=1000)


class MovementOut(BaseModel):
    movement_id: str
    sku: str
    location: str
    kind: MovementKind
    quantity: int
    on_hand: int
    available: int
    applied: bool
    to: MovementOut | None = None


def _movement_out(r: MovementResult) -> MovementOut:
    return MovementOut(
        movement_id=r.movement_id,
        sku=r.sku,
        location=r.location,
        kind=r.kind,
        quantity=r.quantity,
        on_hand=r.on_hand,
        available=r.available,
        applied=r.applied,
        to=_movement_out(r.counterpart) if r.counterpart else None,
    )


@router.post("/stock/movements", response_model=list[MovementOut])
def post_movements(
    body: MovementsIn, db: DbDep, principal: PrincipalDep, response: Response
) -> list[MovementOut]:
    """Apply stock deltas all-or-nothing. 201 when something changed, 200 when all were repeats."""
    principal.require(Permission.INVENTORY_WRITE)
    results = ledger.apply_movements(
        db, [MovementRequest(**m.model_dump()) for m in body.movements], principal
    )
    response.status_code = status.HTTP_201_CREATED if any(r.applied for r in results) else status.HTTP_200_OK
    return [_movement_out(r) for r in results]


class MovementLineOut(BaseModel):
    id: int
    movement_id: str
    sku: str
    kind: str
    quantity: int
    on_hand_after: int
    reason: str
    reference: str
    counterpart: str | None
    actor: str
    created_at: datetime


@router.get("/locations/{code}/movements", response_model=list[MovementLineOut])
def list_movements(
    code: str,
    db: DbDep,
    principal: PrincipalDep,
    sku: str | None = None,
    kind: MovementKind | None = None,
    before_id: int | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> list[MovementLineOut]:
    """A location's stock ledger, newest first."""
    principal.require(Permission.INVENTORY_READ)
    lines = ledger.list_movements(db, code, sku=sku, kind=kind, before_id=before_id, limit=limit)
    return [MovementLineOut(**line.__dict__) for line in lines]


# --- reservations -----------------------------------------------------------------------------


class ReservationIn(StrictModel):
    sku: str
    location: str
    quantity: int = Field(gt=0)
    owner_type: OwnerType
    owner_id: str = Field(min_length=1, max_length=80)
    channel: Channel | None = None
    ttl_seconds: int | None = Field(default=None, gt=0, le=30 * 24 * 3600)


class ReservationOut(BaseModel):
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


def _reservation_out(r: Reservation) -> ReservationOut:
    return ReservationOut(**r.__dict__)


@router.post("/reservations", status_code=status.HTTP_201_CREATED, response_model=ReservationOut)
def reserve(body: ReservationIn, db: DbDep, settings: SettingsDep, principal: PrincipalDep) -> ReservationOut:
    """Hold units at one location; 409 with what is available when there is not enough."""
    principal.require(Permission.RESERVATIONS_WRITE)
    request = ReservationRequest(
        sku=body.sku,
        location=body.location,
        quantity=body.quantity,
        owner_type=body.owner_type,
        owner_id=body.owner_id,
        channel=body.channel.value if body.channel else "",
        ttl_seconds=body.ttl_seconds,
    )
    made = reservations.reserve_stock(
        db, request, principal, default_ttl=settings.reservation_default_ttl_seconds
    )
    return _reservation_out(made)


@router.get("/reservations/{reservation_id}", response_model=ReservationOut)
def get_reservation(reservation_id: str, db: DbDep, principal: PrincipalDep) -> ReservationOut:
    principal.require(Permission.INVENTORY_READ)
    return _reservation_out(reservations.get_reservation(db, reservation_id))


@router.delete("/reservations/{reservation_id}", response_model=ReservationOut)
def release(reservation_id: str, db: DbDep, principal: PrincipalDep) -> ReservationOut:
    principal.require(Permission.RESERVATIONS_WRITE)
    return _reservation_out(reservations.release_reservation(db, reservation_id, principal))
