"""HTTP routes of customer profiles: search, the unified profile, its timeline and continuity
panel, identifiers, merges (manual, audited, undoable) and relations."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response, status
from pydantic import Field

from unico.access.model import Permission
from unico.api.deps import DbDep, PrincipalDep
from unico.api.schemas import StrictModel
from unico.customers import service

router = APIRouter(tags=["customers"])

Identifiers = Annotated[
    dict[str, str],
    Field(
        description="kind -> value, kinds: user_id, anonymous_id, email, phone, loyalty_card, device_id, "
        "receipt_code, social, erp_id"
    ),
]


class ProfileIn(StrictModel):
    identifiers: Identifiers = {}
    traits: dict[str, Any] = {}
    source: str = Field(default="api", max_length=40)


class IdentifiersIn(StrictModel):
    identifiers: Identifiers = Field(min_length=1)
    source: str = Field(default="api", max_length=40)


class MergeIn(StrictModel):
    survivor: str = Field(min_length=1, max_length=40)
    merged: str = Field(min_length=1, max_length=40)
    reason: str = Field(min_length=1, max_length=200)
    evidence: dict[str, Any] | None = None


class RelationIn(StrictModel):
    other: str = Field(min_length=1, max_length=40)
    kind: str = Field(description="household | shared_address | shared_device | bought_for")


@router.get("/customers")
def search_customers(
    db: DbDep,
    principal: PrincipalDep,
    q: Annotated[str, Query(min_length=1, max_length=200)],
    limit: int = 20,
) -> dict[str, Any]:
    """Find profiles by name, email, phone (any format), loyalty card, any identifier or id."""
    principal.require(Permission.CUSTOMERS_READ)
    return {"items": service.search_profiles(db, q, limit)}


@router.post("/customers", status_code=status.HTTP_200_OK)
def upsert_customer(
    body: ProfileIn, db: DbDep, principal: PrincipalDep, response: Response
) -> dict[str, Any]:
    """Find the profile these identifiers belong to (stitching, merging) or create it (201)."""
    principal.require(Permission.CUSTOMERS_WRITE)
    result = service.upsert_profile(db, body.identifiers, body.traits, body.source, principal.actor)
    if result["action"] == "create":
        response.status_code = status.HTTP_201_CREATED
    return result


@router.post("/customers/merges", status_code=status.HTTP_201_CREATED)
def merge_customers(body: MergeIn, db: DbDep, principal: PrincipalDep) -> dict[str, Any]:
    """Merge ``merged`` into ``survivor`` by hand; audited with the actor, undoable once."""
    principal.require(Permission.CUSTOMERS_WRITE)
    return service.merge(db, body.survivor, body.merged, body.reason, principal.actor, body.evidence)


@router.post("/customers/merges/{merge_id}/undo")
def undo_merge(merge_id: str, db: DbDep, principal: PrincipalDep) -> dict[str, Any]:
    """Give the merged profile back its identifiers, events and orders, and reactivate it."""
    principal.require(Permission.CUSTOMERS_WRITE)
    return service.undo(db, merge_id, principal.actor)


@router.get("/customers/{profile_id}")
def get_customer(profile_id: str, db: DbDep, principal: PrincipalDep) -> dict[str, Any]:
    """The unified profile; a merged id answers with the survivor (``resolved_from`` set)."""
    principal.require(Permission.CUSTOMERS_READ)
    return service.get_profile(db, profile_id)


@router.get("/customers/{profile_id}/timeline")
def get_timeline(
    profile_id: str,
    db: DbDep,
    principal: PrincipalDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    before: datetime | None = None,
) -> dict[str, Any]:
    """Every event and order of the profile across channels, newest first."""
    principal.require(Permission.CUSTOMERS_READ)
    return service.get_timeline(db, profile_id, limit=limit, before=before)


@router.get("/customers/{profile_id}/continuity")
def get_continuity(profile_id: str, db: DbDep, principal: PrincipalDep) -> dict[str, Any]:
    """Recently viewed products, searches, wishlist, cart and open shared carts."""
    principal.require(Permission.CUSTOMERS_READ)
    return service.get_continuity(db, profile_id)


@router.post("/customers/{profile_id}/identifiers")
def add_identifiers(
    profile_id: str, body: IdentifiersIn, db: DbDep, principal: PrincipalDep
) -> dict[str, Any]:
    """Attach identifiers (a card at the till); one held by another profile merges the two."""
    principal.require(Permission.CUSTOMERS_WRITE)
    return service.add_profile_identifiers(db, profile_id, body.identifiers, body.source, principal.actor)


@router.get("/customers/{profile_id}/merges")
def list_merges(profile_id: str, db: DbDep, principal: PrincipalDep) -> dict[str, Any]:
    principal.require(Permission.CUSTOMERS_READ)
    return {"items": service.list_profile_merges(db, profile_id)}


@router.post("/customers/{profile_id}/relations", status_code=status.HTTP_201_CREATED)
def add_relation(profile_id: str, body: RelationIn, db: DbDep, principal: PrincipalDep) -> dict[str, Any]:
    """Relate two people: household, shared address or device, or one bought for the other."""
    principal.require(Permission.CUSTOMERS_WRITE)
    return service.add_relation(db, profile_id, body.other, body.kind, principal.actor)
