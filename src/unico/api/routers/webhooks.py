"""HTTP routes for integrators: webhook subscriptions, dead letters and the event feed."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, status
from pydantic import BaseModel, ConfigDict, Field

from unico.access.model import Permission
from unico.api.deps import DbDep, PrincipalDep
from unico.core import outbox
from unico.core import webhook_subscriptions as subscriptions

router = APIRouter(tags=["webhooks"])


class WebhookIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: str = Field(max_length=500, description="An absolute http(s) URL that receives POSTs.")
    event_types: list[str] = Field(
        min_length=1, max_length=100, description="Event types, 'area.*' or '*' for every event."
    )
    description: str = Field(default="", max_length=200)


class WebhookOut(BaseModel):
    id: int
    url: str
    event_types: list[str]
    description: str
    created_at: datetime


class WebhookCreatedOut(WebhookOut):
    secret: str = Field(description="Signs every delivery (X-Unico-Signature); shown once.")


class WebhookList(BaseModel):
    items: list[WebhookOut]


class DeadLetterOut(BaseModel):
    id: int
    delivery_id: int
    event_id: str
    event_type: str
    target: str
    attempts: int
    last_error: str
    created_at: datetime
    replayed_at: datetime | None


class DeadLetterList(BaseModel):
    items: list[DeadLetterOut]


class AggregateOut(BaseModel):
    type: str
    id: str


class EventOut(BaseModel):
    id: int = Field(description="Position in the feed; pass the last one seen as after_id.")
    event_id: str
    type: str
    occurred_at: datetime
    aggregate: AggregateOut
    data: dict[str, Any]


class EventFeed(BaseModel):
    items: list[EventOut]
    next_after_id: int = Field(description="The after_id for the next poll.")


@router.post("/webhooks", status_code=status.HTTP_201_CREATED, response_model=WebhookCreatedOut)
def create_webhook(body: WebhookIn, db: DbDep, principal: PrincipalDep) -> WebhookCreatedOut:
    principal.require(Permission.WEBHOOKS_MANAGE)
    created = subscriptions.create_subscription(
        db, url=body.url, event_types=body.event_types, description=body.description
    )
    return WebhookCreatedOut(**created.subscription.__dict__, secret=created.secret)


@router.get("/webhooks", response_model=WebhookList)
def list_webhooks(db: DbDep, principal: PrincipalDep) -> WebhookList:
    principal.require(Permission.WEBHOOKS_MANAGE)
    return WebhookList(items=[WebhookOut(**s.__dict__) for s in subscriptions.list_subscriptions(db)])


@router.delete("/webhooks/{subscription_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_webhook(subscription_id: int, db: DbDep, principal: PrincipalDep) -> None:
    principal.require(Permission.WEBHOOKS_MANAGE)
    subscriptions.remove_subscription(db, subscription_id)


@router.get("/dead-letters", response_model=DeadLetterList)
def list_dead_letters(
    db: DbDep,
    principal: PrincipalDep,
    include_replayed: Annotated[bool, Query(description="Also list dead letters already replayed.")] = False,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> DeadLetterList:
    principal.require(Permission.WEBHOOKS_MANAGE)
    letters = outbox.list_dead_letters(db, include_replayed=include_replayed, limit=limit)
    return DeadLetterList(items=[DeadLetterOut(**d.__dict__) for d in letters])


@router.post(
    "/dead-letters/{dead_letter_id}/replay",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=DeadLetterOut,
)
def replay_dead_letter(dead_letter_id: int, db: DbDep, principal: PrincipalDep) -> DeadLetterOut:
    """Queue the delivery again with a fresh set of attempts; the worker sends it on its next tick."""
    principal.require(Permission.WEBHOOKS_MANAGE)
    return DeadLetterOut(**outbox.replay_dead_letter(db, dead_letter_id).__dict__)


@router.get("/events", response_model=EventFeed)
def list_events(
    db: DbDep,
    principal: PrincipalDep,
    after_id: Annotated[int, Query(ge=0, description="Return events after this feed position.")] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> EventFeed:
    """The outbox as a feed, oldest first. Poll with the returned ``next_after_id``."""
    principal.require(Permission.WEBHOOKS_MANAGE)
    events = outbox.list_events(db, after_id=after_id, limit=limit)
    items = [
        EventOut(
            id=e.id,
            event_id=e.event_id,
            type=e.type,
            occurred_at=e.occurred_at,
            aggregate=AggregateOut(type=e.aggregate_type, id=e.aggregate_id),
            data=e.payload,
        )
        for e in events
    ]
    return EventFeed(items=items, next_after_id=events[-1].id if events else after_id)
