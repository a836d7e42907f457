"""Typed FastAPI dependencies: the database and the authenticated principal."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from unico.access import service as access
from unico.access.model import Principal
from unico.core.db import Database
from unico.core.errors import Unauthenticated
from unico.settings import Settings


# Coroutines, though they do no I/O: FastAPI runs a sync dependency in its thread pool, and the
# hop there and back costs more than reading an attribute (measurable on the orders hot path).
async def get_db(request: Request) -> Database:
    return request.app.state.db


async def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_principal(request: Request) -> Principal:
    """An API key (``Authorization: Bearer`` or ``X-API-Key``), else a console session cookie."""
    db: Database = request.app.state.db
    header = request.headers.get("authorization", "")
    secret = header[7:].strip() if header.lower().startswith("bearer ") else request.headers.get("x-api-key")
    if secret:
        return access.authenticate_api_key(db, secret)
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        return access.principal_for_session(db, token)
    raise Unauthenticated("an API key is required (Authorization: Bearer <key>)", code="auth.missing_key")


SESSION_COOKIE = "unico_session"

DbDep = Annotated[Database, Depends(get_db)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
PrincipalDep = Annotated[Principal, Depends(get_principal)]
