"""HTTP routes of the store network: locations, opening hours, the store locator."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Query, status
from pydantic import BaseModel, Field

from unico.access.model import Permission
from unico.api.deps import DbDep, PrincipalDep
from unico.api.schemas import StrictModel
from unico.core.errors import ValidationFailed
from unico.inventory import locations as network
from unico.inventory.model import Capability, LocationType

router = APIRouter(tags=["store network"])

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class Span(StrictModel):
    opens: str = Field(pattern=r"^\d{2}:\d{2}$", examples=["09:30"])
    closes: str = Field(pattern=r"^\d{2}:\d{2}$", examples=["19:30"])


class LocationIn(StrictModel):
    code: str = Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_.-]+$")
    name: str = Field(min_length=1, max_length=120)
    type: LocationType
    latitude: float = Field(ge=-90, le=90)
    longitude: float = Field(ge=-180, le=180)
    address: str = ""
    city: str = ""
    province: str = Field(default="", max_length=4)
    postcode: str = Field(default="", max_length=10)
    phone: str = ""
    email: str = ""
    timezone: str = "Europe/Rome"
    capabilities: list[Capability] = []
    pickup_capacity_per_day: int = Field(default=0, ge=0)
    hours: dict[str, list[Span]] = Field(default={}, description="By weekday: mon..sun.")


class HoursIn(StrictModel):
    hours: dict[str, list[Span]]


class ExceptionIn(StrictModel):
    day: date
    closed: bool = True
    opens: str | None = Field(default=None, pattern=r"^\d{2}:\d{2}$")
    closes: str | None = Field(default=None, pattern=r"^\d{2}:\d{2}$")
    note: str = ""


class CapabilitiesIn(StrictModel):
    capabilities: list[Capability]
    pickup_capacity_per_day: int | None = Field(default=None, ge=0)


class OpeningOut(BaseModel):
    open_now: bool
    closes_at: datetime | None
    opens_at: datetime | None
    today: list[str]


class LocationOut(BaseModel):
    code: str
    name: str
    type: LocationType
    address: str
    city: str
    province: str
    postcode: str
    latitude: float
    longitude: float
    phone: str
    email: str
    capabilities: list[Capability]
    pickup_capacity_per_day: int
    hours: dict[str, list[str]]
    opening: OpeningOut


class NearbyOut(BaseModel):
    location: LocationOut
    distance_km: float
    availability: dict[str, int]
    has_all: bool


class LocatorOut(BaseModel):
    origin: dict[str, object]
    results: list[NearbyOut]


def _hours(raw: dict[str, list[Span]]) -> dict[int, tuple[tuple[str, str], ...]]:
    parsed = {}
    for day, spans in raw.items():
        if day not in WEEKDAYS:
            raise ValidationFailed(
                f"unknown weekday '{day}' (use {', '.join(WEEKDAYS)})", field=f"hours.{day}"
            )
        parsed[WEEKDAYS.index(day)] = tuple((s.opens, s.closes) for s in spans)
    return parsed


def location_out(view: network.LocationView) -> LocationOut:
    return LocationOut(
        code=view.code,
        name=view.name,
        type=view.type,
        address=view.address,
        city=view.city,
        province=view.province,
        postcode=view.postcode,
        latitude=view.latitude,
        longitude=view.longitude,
        phone=view.phone,
        email=view.email,
        capabilities=list(view.capabilities),
        pickup_capacity_per_day=view.pickup_capacity_per_day,
        hours={WEEKDAYS[d]: [i.label() for i in spans] for d, spans in sorted(view.hours.weekly.items())},
        opening=OpeningOut(
            open_now=view.state.is_open,
            closes_at=view.state.closes_at,
            opens_at=view.state.opens_at,
            today=[i.label() for i in view.state.today],
        ),
    )


@router.get("/locations", response_model=list[LocationOut])
def list_locations(
    db: DbDep, principal: PrincipalDep, type: LocationType | None = None, city: str | None = None
) -> list[LocationOut]:
    principal.require(Permission.LOCATIONS_READ)
    return [location_out(v) for v in network.list_locations(db, type=type, city=city)]


@router.post("/locations", status_code=status.HTTP_201_CREATED, response_model=LocationOut)
def create_location(body: LocationIn, db: DbDep, principal: PrincipalDep) -> LocationOut:
    principal.require(Permission.LOCATIONS_WRITE)
    draft = network.LocationDraft(
        **body.model_dump(exclude={"capabilities", "hours"}),
        capabilities=frozenset(body.capabilities),
        hours=_hours(body.hours),
    )
    return location_out(network.create_location(db, draft, principal.actor))


@router.get("/locations/{code}", response_model=LocationOut)
def get_location(code: str, db: DbDep, principal: PrincipalDep) -> LocationOut:
    principal.require(Permission.LOCATIONS_READ)
    return location_out(network.get_location(db, code))


@router.put("/locations/{code}/hours", response_model=LocationOut)
def set_hours(code: str, body: HoursIn, db: DbDep, principal: PrincipalDep) -> LocationOut:
    principal.require(Permission.LOCATIONS_WRITE)
    return location_out(network.set_hours(db, code, _hours(body.hours), principal.actor))


@router.post("/locations/{code}/exceptions", status_code=status.HTTP_201_CREATED, response_model=LocationOut)
def add_exception(code: str, body: ExceptionIn, db: DbDep, principal: PrincipalDep) -> LocationOut:
    principal.require(Permission.LOCATIONS_WRITE)
    view = network.add_exception(
        db,
        code,
        body.day,
        closed=body.closed,
        opens=body.opens,
        closes=body.closes,
        note=body.note,
        actor=principal.actor,
    )
    return location_out(view)


@router.put("/locations/{code}/capabilities", response_model=LocationOut)
def set_capabilities(code: str, body: CapabilitiesIn, db: DbDep, principal: PrincipalDep) -> LocationOut:
    principal.require(Permission.LOCATIONS_WRITE)
    view = network.set_capabilities(
        db, code, frozenset(body.capabilities), body.pickup_capacity_per_day, principal.actor
    )
    return location_out(view)


@router.get("/stores/nearest", response_model=LocatorOut)
def nearest_stores(
    db: DbDep,
    principal: PrincipalDep,
    lat: Annotated[float | None, Query(ge=-90, le=90)] = None,
    lon: Annotated[float | None, Query(ge=-180, le=180)] = None,
    near: Annotated[str | None, Query(description="An Italian city or postcode (CAP).")] = None,
    sku: Annotated[list[str] | None, Query(description="SKUs whose availability to show.")] = None,
    capability: Capability | None = None,
    type: LocationType = LocationType.STORE,
    open_now: bool = False,
    only_available: bool = False,
    max_km: Annotated[float | None, Query(gt=0)] = None,
    limit: Annotated[int, Query(ge=1, le=50)] = 5,
) -> LocatorOut:
    """The store locator: nearest stores to coordinates or a place, with opening state and stock."""
    principal.require(Permission.LOCATIONS_READ)
    if near:
        origin = network.resolve_place(db, near)
    elif lat is not None and lon is not None:
        origin = network.Origin(lat, lon, f"{lat:.4f},{lon:.4f}")
    else:
        raise ValidationFailed("give lat and lon, or near (a city or postcode)", field="near")
    found = network.nearest_locations(
        db,
        origin,
        skus=sku or [],
        capability=capability,
        type=type,
        open_now=open_now,
        only_available=only_available,
        max_km=max_km,
        limit=limit,
    )
    return LocatorOut(
        origin={"latitude": origin.latitude, "longitude": origin.longitude, "label": origin.label},
        results=[
            NearbyOut(
                location=location_out(n.location),
                distance_km=n.distance_km,
                availability=n.availability,
                has_all=n.has_all,
            )
            for n in found
        ],
    )
