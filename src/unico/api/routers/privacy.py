"""HTTP routes of consent and privacy (consents, export, erasure, suppression) and of segments."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from enum import StrEnum
from typing import Any

from fastapi import APIRouter, Response, status
from pydantic import BaseModel, Field

from unico.access.model import Permission
from unico.api.deps import DbDep, PrincipalDep
from unico.api.schemas import StrictModel
from unico.customers import consent, privacy, segment_queries
from unico.customers.consent import ConsentRecord, Consents, ConsentSource, Purpose
from unico.customers.segment_queries import Member, SegmentView

router = APIRouter(tags=["privacy"])


# --- consents ---------------------------------------------------------------------------------


class ConsentsIn(StrictModel):
    """The person's choices; purposes left out are not changed."""

    email: bool | None = None
    sms: bool | None = None
    push: bool | None = None
    profiling: bool | None = None
    proximity: bool | None = None
    source: ConsentSource
    store: str | None = Field(default=None, max_length=40, description="The store it was given at.")


class ConsentOut(BaseModel):
    purpose: Purpose
    granted: bool
    source: ConsentSource
    store: str | None
    actor: str
    recorded_at: datetime


class ConsentsOut(BaseModel):
    profile_id: str
    consents: dict[Purpose, ConsentOut | None]
    history: list[ConsentOut]


def _consent(record: ConsentRecord) -> ConsentOut:
    return ConsentOut(**{k: getattr(record, k) for k in ConsentOut.model_fields})


def _consents(c: Consents) -> ConsentsOut:
    return ConsentsOut(
        profile_id=c.profile_id,
        consents={p: None if r is None else _consent(r) for p, r in c.current.items()},
        history=[_consent(r) for r in c.history],
    )


@router.put("/customers/{profile_id}/consents", response_model=ConsentsOut)
def put_consents(profile_id: str, body: ConsentsIn, db: DbDep, principal: PrincipalDep) -> ConsentsOut:
    """Record consent choices; only changes are appended to the history."""
    principal.require(Permission.CUSTOMERS_WRITE)
    choices = {p: granted for p in Purpose if (granted := getattr(body, p.value)) is not None}
    recorded = consent.record_consents(
        db, profile_id, choices, source=body.source, store=body.store, principal=principal
    )
    return _consents(recorded)


@router.get("/customers/{profile_id}/consents", response_model=ConsentsOut)
def get_consents(profile_id: str, db: DbDep, principal: PrincipalDep) -> ConsentsOut:
    principal.require(Permission.CUSTOMERS_READ)
    return _consents(consent.get_consents(db, profile_id))


# --- export, erasure, suppression -------------------------------------------------------------


@router.get("/customers/{profile_id}/export")
def export_customer(profile_id: str, db: DbDep, principal: PrincipalDep) -> dict[str, Any]:
    """Everything held on the person (JSON), table by table."""
    principal.require(Permission.PRIVACY_MANAGE)
    return privacy.export_customer(db, profile_id)


class ErasureOut(BaseModel):
    erasure_id: str
    profile_id: str
    profiles: list[str]
    counts: dict[str, int]
    erased_at: datetime


@router.post("/customers/{profile_id}/erase", response_model=ErasureOut)
def erase_customer(profile_id: str, db: DbDep, principal: PrincipalDep) -> ErasureOut:
    """Erase the person's data everywhere; orders stay as anonymised facts."""
    principal.require(Permission.PRIVACY_MANAGE)
    done = privacy.erase_customer(db, profile_id, principal)
    return ErasureOut(**{k: getattr(done, k) for k in ErasureOut.model_fields})


class SuppressionOut(BaseModel):
    profile_id: str
    identifiers: int
    suppressed_at: datetime


@router.post("/customers/{profile_id}/suppress", response_model=SuppressionOut)
def suppress_customer(profile_id: str, db: DbDep, principal: PrincipalDep) -> SuppressionOut:
    """Stop collecting data about the person (their identifiers join the suppression list)."""
    principal.require(Permission.PRIVACY_MANAGE)
    done = privacy.suppress_customer(db, profile_id, principal)
    return SuppressionOut(
        profile_id=done.profile_id, identifiers=done.identifiers, suppressed_at=done.suppressed_at
    )


# --- segments ---------------------------------------------------------------------------------


class SegmentIn(StrictModel):
    name: str = Field(min_length=1, max_length=120)
    description: str = Field(default="", max_length=500)
    definition: Any = Field(
        description='Rules, e.g. {"all": [{"trait": "city", "op": "eq", "value": "Milano"}]}'
    )


class DefinitionIn(StrictModel):
    definition: Any


class SegmentOut(BaseModel):
    segment_id: str
    name: str
    description: str
    definition: dict[str, Any]
    created_by: str
    created_at: datetime
    count: int | None = None


class MemberOut(BaseModel):
    profile_id: str
    first_name: str | None
    last_name: str | None
    email: str | None
    phone: str | None
    city: str | None


class MembersOut(BaseModel):
    segment_id: str
    count: int
    members: list[MemberOut]


class MembersFormat(StrEnum):
    JSON = "json"
    CSV = "csv"


def _segment(view: SegmentView) -> SegmentOut:
    return SegmentOut(**{k: getattr(view, k) for k in SegmentOut.model_fields})


@router.post("/segments", status_code=status.HTTP_201_CREATED, response_model=SegmentOut)
def create_segment(body: SegmentIn, db: DbDep, principal: PrincipalDep) -> SegmentOut:
    """Store a segment definition (422 naming the bad place) and count its members now."""
    principal.require(Permission.CUSTOMERS_WRITE)
    view = segment_queries.create_segment(
        db, name=body.name, description=body.description, definition=body.definition, principal=principal
    )
    return _segment(view)


@router.post("/segments/preview")
def preview_segment(body: DefinitionIn, db: DbDep, principal: PrincipalDep) -> dict[str, int]:
    """How many customers a definition would select, without storing it."""
    principal.require(Permission.CUSTOMERS_READ)
    return {"count": segment_queries.preview_count(db, body.definition)}


@router.get("/segments", response_model=list[SegmentOut])
def list_segments(db: DbDep, principal: PrincipalDep) -> list[SegmentOut]:
    principal.require(Permission.CUSTOMERS_READ)
    return [_segment(v) for v in segment_queries.list_segments(db)]


@router.get("/segments/{segment_id}", response_model=SegmentOut)
def get_segment(segment_id: str, db: DbDep, principal: PrincipalDep) -> SegmentOut:
    principal.require(Permission.CUSTOMERS_READ)
    return _segment(segment_queries.get_segment(db, segment_id))


def _cell(value: str | None) -> str:
    """A CSV cell that a spreadsheet will not run as a formula."""
    text = value or ""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _members_csv(segment_id: str, members: list[Member]) -> Response:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(MemberOut.model_fields)
    for m in members:
        writer.writerow(_cell(getattr(m, k)) for k in MemberOut.model_fields)
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{segment_id}.csv"'},
    )


@router.get("/segments/{segment_id}/members", response_model=MembersOut)
def segment_members(
    segment_id: str, db: DbDep, principal: PrincipalDep, format: MembersFormat = MembersFormat.JSON
) -> Response | MembersOut:
    """The members now, as JSON or as a CSV file for a campaign tool."""
    principal.require(Permission.CUSTOMERS_READ)
    view, members = segment_queries.segment_members(db, segment_id)
    if format is MembersFormat.CSV:
        return _members_csv(segment_id, members)
    return MembersOut(
        segment_id=view.segment_id,
        count=len(members),
        members=[MemberOut(**{k: getattr(m, k) for k in MemberOut.model_fields}) for m in members],
    )
