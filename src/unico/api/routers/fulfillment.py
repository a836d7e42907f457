"""HTTP routes of fulfillment: store task queues and their steps, options and what-if sourcing."""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Query, Response
from pydantic import Field

from unico.access.model import Permission
from unico.api.deps import DbDep, PrincipalDep, SettingsDep
from unico.api.routers.orders import LineIn, OrderBodyBase, order_request
from unico.api.schemas import StrictModel
from unico.fulfillment import options, tasks
from unico.inventory.model import Channel

router = APIRouter(tags=["fulfillment"])


def _json(doc: Any, status_code: int = 200) -> Response:
    return Response(orjson.dumps(doc), status_code=status_code, media_type="application/json")


@router.get("/stores/{code}/tasks")
def list_tasks(
    code: str,
    db: DbDep,
    principal: PrincipalDep,
    status: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> Response:
    """A store's (or warehouse's) fulfillment queue; open work when no status is given."""
    principal.require(Permission.ORDERS_READ)
    found = tasks.list_tasks(db, code, principal, status=status, limit=limit)
    return _json([tasks.task_document(t) for t in found])


@router.get("/tasks/{task_id}")
def get_task(task_id: str, db: DbDep, principal: PrincipalDep) -> Response:
    principal.require(Permission.ORDERS_READ)
    return _json(tasks.task_document(tasks.get_task(db, task_id, principal)))


class PickedLine(StrictModel):
    line_no: int = Field(ge=1)
    picked: int = Field(ge=0)


class PickIn(StrictModel):
    lines: list[PickedLine] = Field(default=[], description="Lines not listed were picked in full.")


@router.post("/tasks/{task_id}/pick")
def pick(task_id: str, db: DbDep, principal: PrincipalDep, body: PickIn | None = None) -> Response:
    """What was picked; missing or damaged units are re-sourced to another location."""
    principal.require(Permission.FULFILLMENT_WRITE)
    picked = {line.line_no: line.picked for line in (body.lines if body else [])}
    return _json(tasks.task_document(tasks.pick(db, task_id, picked, principal)))


@router.post("/tasks/{task_id}/pack")
def pack(task_id: str, db: DbDep, principal: PrincipalDep) -> Response:
    principal.require(Permission.FULFILLMENT_WRITE)
    return _json(tasks.task_document(tasks.pack(db, task_id, principal)))


@router.post("/tasks/{task_id}/ready")
def ready(task_id: str, db: DbDep, settings: SettingsDep, principal: PrincipalDep) -> Response:
    """Ready for pickup: the response carries the 6-digit pickup code for the customer."""
    principal.require(Permission.FULFILLMENT_WRITE)
    view = tasks.ready(db, task_id, principal, pickup_hold_days=settings.pickup_hold_days)
    return _json(tasks.task_document(view))


class HandoverIn(StrictModel):
    code: str = Field(min_length=1, max_length=12)


@router.post("/tasks/{task_id}/handover")
def handover(task_id: str, body: HandoverIn, db: DbDep, principal: PrincipalDep) -> Response:
    """Hand the order over once the customer's pickup code matches."""
    principal.require(Permission.FULFILLMENT_WRITE)
    return _json(tasks.task_document(tasks.handover(db, task_id, body.code, principal)))


class ShipIn(StrictModel):
    carrier: str = Field(min_length=1, max_length=60)
    tracking_number: str = Field(min_length=1, max_length=80)


@router.post("/tasks/{task_id}/ship")
def ship(task_id: str, body: ShipIn, db: DbDep, principal: PrincipalDep) -> Response:
    principal.require(Permission.FULFILLMENT_WRITE)
    view = tasks.ship(db, task_id, body.carrier, body.tracking_number, principal)
    return _json(tasks.task_document(view))


@router.post("/tasks/{task_id}/receive")
def receive(task_id: str, db: DbDep, principal: PrincipalDep) -> Response:
    """A ship-to-store transfer arrived at the pickup store."""
    principal.require(Permission.FULFILLMENT_WRITE)
    return _json(tasks.task_document(tasks.receive(db, task_id, principal)))


# --- options and what-if sourcing -------------------------------------------------------------


@router.get("/fulfillment-options")
def fulfillment_options(
    db: DbDep,
    principal: PrincipalDep,
    skus: Annotated[str, Query(min_length=1, description="SKU:quantity pairs, e.g. A:2,B:1")],
    latitude: Annotated[float | None, Query(ge=-90, le=90)] = None,
    longitude: Annotated[float | None, Query(ge=-180, le=180)] = None,
    near: str | None = None,
    channel: Channel = Channel.WEB,
    limit: Annotated[int, Query(ge=1, le=50)] = 5,
) -> Response:
    """For a basket and a position: each method, whether it is available, from which stores
    (nearest first) and by when."""
    principal.require(Permission.INVENTORY_READ)
    basket = options.parse_basket(skus)
    answer = options.fulfillment_options(
        db, basket, channel=channel, latitude=latitude, longitude=longitude, near=near, limit=limit
    )
    return _json(answer)


class PlanIn(OrderBodyBase):
    lines: list[LineIn] = Field(min_length=1, max_length=200)


@router.post("/sourcing/plan")
def sourcing_plan(body: PlanIn, db: DbDep, principal: PrincipalDep) -> Response:
    """What-if: the sourcing plan an order would get, with its reasons; nothing is reserved."""
    principal.require(Permission.ORDERS_READ)
    return _json(options.plan_order(db, order_request(body, body.lines)))
