"""HTTP routes for API keys (admins only)."""

from __future__ import annotations

from fastapi import APIRouter, status
from pydantic import BaseModel, ConfigDict, Field

from unico.access import service
from unico.access.model import Permission
from unico.api.deps import DbDep, PrincipalDep

router = APIRouter(tags=["access"])


class ApiKeyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=120)
    role: str
    store: str | None = Field(default=None, description="Store code; required for store_associate.")


class ApiKeyOut(BaseModel):
    key_id: str
    secret: str = Field(description="Shown once; only its hash is kept.")
    name: str
    role: str
    store: str | None


@router.post("/api-keys", status_code=status.HTTP_201_CREATED, response_model=ApiKeyOut)
def create_api_key(body: ApiKeyIn, db: DbDep, principal: PrincipalDep) -> ApiKeyOut:
    principal.require(Permission.ACCESS_MANAGE)
    issued = service.create_api_key(db, name=body.name, role=body.role, store_code=body.store)
    return ApiKeyOut(**issued.__dict__)


@router.delete("/api-keys/{key_id}", status_code=status.HTTP_204_NO_CONTENT)
def revoke_api_key(key_id: str, db: DbDep, principal: PrincipalDep) -> None:
    principal.require(Permission.ACCESS_MANAGE)
    service.revoke_api_key(db, key_id)
