"""Segments: the list with member counts, a create form (rule JSON or a simple builder), the members
of one segment and their CSV export."""

from __future__ import annotations

import csv
import io
import json
import re
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from unico.access.model import Permission
from unico.console.rendering import render
from unico.console.security import StaffSession
from unico.console.sessions import DbDep, StaffDep, require_csrf
from unico.core.errors import Conflict, ValidationFailed
from unico.customers import segment_queries
from unico.customers.segments import CONSENT_PURPOSES, Computed, Op

router = APIRouter(dependencies=[Depends(require_csrf)])

BUILDER_ROWS = 3
MEMBERS_SHOWN = 200
CSV_COLUMNS = ("profile_id", "first_name", "last_name", "email", "phone", "city")
KINDS = ("trait", "computed", "event", "consent")
_INTEGER = re.compile(r"^-?\d+$")
_DECIMAL = re.compile(r"^-?\d+\.\d+$")


class FormError(Exception):
    """The form cannot become a definition; ``key`` names the message the page shows."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _typed(text: str) -> str | int | float | bool:
    """A builder value as the rule language wants it: numbers and true/false are not strings."""
    if text in ("true", "false"):
        return text == "true"
    if _INTEGER.match(text):
        return int(text)
    if _DECIMAL.match(text):
        return float(text)
    return text


def _condition(kind: str, name: str, op: str, value: str, days: str) -> dict[str, Any]:
    if kind == "consent":
        return {"consent": name}
    if kind == "event":
        rule: dict[str, Any] = {"event": name}
        if value:
            rule["min_count"] = _typed(value)
        if days:
            rule["within_days"] = _typed(days)
        return rule
    rule = {kind: name, "op": op}
    if op in (Op.IN, Op.NOT_IN):
        rule["value"] = [_typed(v.strip()) for v in value.split(",") if v.strip()]
    elif op not in (Op.EXISTS, Op.NOT_EXISTS):
        rule["value"] = _typed(value)
    return rule


def definition_from_form(form: dict[str, str]) -> Any:
    """The JSON definition when given, else the builder's rows joined with "all"."""
    text = form.get("definition", "").strip()
    if text:
        try:
            return json.loads(text)
        except ValueError:
            raise FormError("json") from None
    rules = []
    for n in range(BUILDER_ROWS):
        kind, name = form.get(f"kind_{n}", ""), form.get(f"name_{n}", "").strip()
        if kind not in KINDS or not name:
            continue
        rules.append(
            _condition(
                kind,
                name,
                form.get(f"op_{n}", "eq"),
                form.get(f"value_{n}", "").strip(),
                form.get(f"days_{n}", "").strip(),
            )
        )
    if not rules:
        raise FormError("empty")
    return {"all": rules}


def _fields(form: FormData) -> dict[str, str]:
    return {k: v for k, v in form.items() if isinstance(v, str)}


def _page(
    request: Request, staff: StaffSession, template: str, status_code: int = 200, **context: Any
) -> Response:
    return render(
        request,
        template,
        staff.locale,
        status_code=status_code,
        staff=staff,
        csrf_token=staff.csrf_token,
        **context,
    )


def _list_page(
    request: Request, db: DbDep, staff: StaffSession, form: dict[str, str], error: str, status_code: int = 200
) -> Response:
    found = [segment_queries.get_segment(db, s.segment_id) for s in segment_queries.list_segments(db)]
    return _page(
        request,
        staff,
        "segments/list.html",
        status_code=status_code,
        segments=found,
        form=form,
        error=error,
        rows=range(BUILDER_ROWS),
        kinds=KINDS,
        ops=list(Op),
        computed=list(Computed),
        purposes=CONSENT_PURPOSES,
        can_write=staff.principal.can(Permission.CUSTOMERS_WRITE),
    )


@router.get("/segments")
def segment_list(request: Request, db: DbDep, staff: StaffDep) -> Response:
    staff.principal.require(Permission.CUSTOMERS_READ)
    return _list_page(request, db, staff, {}, "")


@router.post("/segments")
async def create(request: Request, db: DbDep, staff: StaffDep) -> Response:
    """Store the segment and show its members; a bad rule comes back on the form, explained."""
    staff.principal.require(Permission.CUSTOMERS_WRITE)
    form = _fields(await request.form())
    try:
        created = segment_queries.create_segment(
            db,
            name=form.get("name", ""),
            description=form.get("description", "").strip(),
            definition=definition_from_form(form),
            principal=staff.principal,
        )
    except FormError as error:
        return _list_page(request, db, staff, form, error.key, 422)
    except (ValidationFailed, Conflict) as error:
        return _list_page(request, db, staff, form, error.message, error.status)
    return RedirectResponse(f"/console/segments/{created.segment_id}", status_code=303)


@router.post("/segments/preview")
async def preview(request: Request, db: DbDep, staff: StaffDep) -> Response:
    """How many customers the rule on the form selects now, without saving it (htmx)."""
    staff.principal.require(Permission.CUSTOMERS_READ)
    count: int | None = None
    error = ""
    try:
        count = segment_queries.preview_count(db, definition_from_form(_fields(await request.form())))
    except FormError as failed:
        error = failed.key
    except ValidationFailed as failed:
        error = failed.message
    return _page(request, staff, "segments/_preview.html", count=count, error=error)


@router.get("/segments/{segment_id}")
def members(request: Request, db: DbDep, staff: StaffDep, segment_id: str) -> Response:
    staff.principal.require(Permission.CUSTOMERS_READ)
    view, found = segment_queries.segment_members(db, segment_id)
    return _page(
        request,
        staff,
        "segments/detail.html",
        segment=view,
        members=found[:MEMBERS_SHOWN],
        total=len(found),
        definition=json.dumps(view.definition, indent=2, ensure_ascii=False),
    )


def _cell(value: str | None) -> str:
    """A CSV cell a spreadsheet will not run as a formula."""
    text = value or ""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@router.get("/segments/{segment_id}/members.csv")
def members_csv(db: DbDep, staff: StaffDep, segment_id: str) -> Response:
    staff.principal.require(Permission.CUSTOMERS_READ)
    view, found = segment_queries.segment_members(db, segment_id)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for m in found:
        writer.writerow([_cell(getattr(m, column)) for column in CSV_COLUMNS])
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{view.segment_id}.csv"',
            "Cache-Control": "no-store",
        },
    )
