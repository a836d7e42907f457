"""HTTP routes of tracking: Segment's HTTP Tracking API at /v1/..., sources under /api/v1/tracking.

The router is mounted at / (so Segment and RudderStack SDKs find ``/v1/batch`` where they expect
it); the source-management routes carry their full ``/api/v1`` path. The tracking endpoints answer
``{"success": true}`` once the messages are committed, like Segment's.
"""

from __future__ import annotations

import base64
import binascii
import zlib
from collections.abc import Awaitable, Callable
from datetime import datetime

from fastapi import APIRouter, Request, Response, status
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from unico.access.model import Permission
from unico.api.deps import DbDep, PrincipalDep
from unico.api.schemas import StrictModel
from unico.core.db import Database
from unico.customers import tracking
from unico.customers.tracking_spec import MAX_BATCH_BYTES, MAX_MESSAGE_BYTES, MESSAGE_TYPES, MessageRejected

router = APIRouter(tags=["tracking"])

_SUCCESS = b'{"success":true}'


def _basic_user(authorization: str | None) -> str | None:
    """The user part of ``Authorization: Basic base64(user:password)`` (Segment's write key)."""
    if not authorization or authorization[:6].lower() != "basic ":
        return None
    try:
        decoded = base64.b64decode(authorization[6:].strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    return decoded.split(":", 1)[0] or None


def _too_large(size: int | str, limit: int) -> MessageRejected:
    return MessageRejected(
        f"body: {size} bytes is more than the {limit // 1024} KB allowed",
        code="tracking.too_large",
        field="body",
    )


async def _body(request: Request, limit: int) -> bytes:
    """The request body, gunzipped if sent with ``Content-Encoding: gzip`` (as Segment's SDKs
    may). Reading stops past the limit, whatever Content-Length said (or did not say, when
    chunked), and never more than ``limit`` + 1 bytes are inflated, so a bomb is just too large."""
    gzipped = request.headers.get("content-encoding", "").lower() == "gzip"
    cap = 2 * limit if gzipped else limit  # incompressible data grows a little when gzipped
    length = request.headers.get("content-length")
    if length and length.isdigit() and int(length) > cap:
        raise _too_large(length, limit)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > cap:
            raise _too_large(f"over {size}", limit)
        chunks.append(chunk)
    body = b"".join(chunks)
    if gzipped:
        try:
            body = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(body, limit + 1)
        except zlib.error:
            raise MessageRejected(
                "body: not valid gzip", code="tracking.malformed_json", field="body"
            ) from None
    return body


async def _ingest(request: Request, endpoint: str) -> Response:
    db: Database = request.app.state.db
    limit = MAX_BATCH_BYTES if endpoint == "batch" else MAX_MESSAGE_BYTES
    body = await _body(request, limit)
    await run_in_threadpool(
        tracking.ingest,
        db,
        endpoint=endpoint,
        body=body,
        write_key=_basic_user(request.headers.get("authorization")),
    )
    return Response(_SUCCESS, media_type="application/json")


def _endpoint(name: str) -> Callable[[Request], Awaitable[Response]]:
    async def receive(request: Request) -> Response:
        return await _ingest(request, name)

    receive.__name__ = f"post_{name}"
    receive.__doc__ = (
        'Many messages at once: ``{"batch": [...], "sentAt": ...}``, all stored or none.'
        if name == "batch"
        else f"One Segment ``{name}`` message, stored before the 200."
    )
    return receive


for _name in ("batch", *MESSAGE_TYPES):
    router.add_api_route(f"/v1/{_name}", _endpoint(_name), methods=["POST"])


# --- sources: /api/v1/tracking/sources ------------------------------------------------------------


class SourceIn(StrictModel):
    name: str = Field(min_length=1, max_length=120)
    kind: str = Field(description=", ".join(tracking.SOURCE_KINDS))


class SourceOut(BaseModel):
    source_id: str
    name: str
    kind: str
    created_at: datetime
    disabled: bool


class IssuedSourceOut(SourceOut):
    write_key: str = Field(description="Shown only in this answer; only its hash is kept.")


def _out(source: tracking.Source) -> SourceOut:
    return SourceOut(
        source_id=source.source_id,
        name=source.name,
        kind=source.kind,
        created_at=source.created_at,
        disabled=source.disabled,
    )


@router.post("/api/v1/tracking/sources", status_code=status.HTTP_201_CREATED)
def create_source(body: SourceIn, db: DbDep, principal: PrincipalDep) -> IssuedSourceOut:
    """Register a source (site, app, a store's tills, the contact center...) and issue its key."""
    principal.require(Permission.TRACKING_MANAGE)
    issued = tracking.create_source(db, name=body.name, kind=body.kind)
    return IssuedSourceOut(**_out(issued.source).model_dump(), write_key=issued.write_key)


@router.get("/api/v1/tracking/sources")
def list_sources(db: DbDep, principal: PrincipalDep) -> list[SourceOut]:
    principal.require(Permission.TRACKING_MANAGE)
    return [_out(s) for s in tracking.list_sources(db)]


@router.post("/api/v1/tracking/sources/{source_id}/disable")
def disable_source(source_id: str, db: DbDep, principal: PrincipalDep) -> SourceOut:
    """Refuse this source's write key from now on (401)."""
    principal.require(Permission.TRACKING_MANAGE)
    return _out(tracking.set_source_disabled(db, source_id, True))


@router.post("/api/v1/tracking/sources/{source_id}/enable")
def enable_source(source_id: str, db: DbDep, principal: PrincipalDep) -> SourceOut:
    principal.require(Permission.TRACKING_MANAGE)
    return _out(tracking.set_source_disabled(db, source_id, False))
