"""HTTP routes of probabilistic matching: the merge review queue, and POS receipts linking a
loyalty card to a profile."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import Field

from unico.api.deps import DbDep, PrincipalDep
from unico.api.schemas import StrictModel
from unico.customers import receipts, reviews

router = APIRouter(tags=["customers"])


class ReceiptIn(StrictModel):
    receipt_code: str = Field(min_length=1, max_length=80)
    loyalty_card: str = Field(min_length=1, max_length=80)
    store: str = Field(min_length=1, max_length=40)
    order_id: str | None = Field(default=None, max_length=40)
    email: str | None = Field(default=None, max_length=254)
    phone: str | None = Field(default=None, max_length=40)


@router.get("/customers/reviews")
def list_reviews(
    db: DbDep,
    principal: PrincipalDep,
    status: Annotated[str, Query(description="pending | merged | rejected")] = "pending",
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> dict[str, Any]:
    """Pairs of profiles the model found likely the same person, with its evidence."""
    return {"items": reviews.list_reviews(db, principal, status=status, limit=limit)}


@router.post("/customers/reviews/{review_id}/merge")
def merge_review(review_id: str, db: DbDep, principal: PrincipalDep) -> dict[str, Any]:
    """Merge the candidate into the survivor (audited, undoable); 409 if already decided."""
    return reviews.merge_review(db, review_id, principal)


@router.post("/customers/reviews/{review_id}/reject")
def reject_review(review_id: str, db: DbDep, principal: PrincipalDep) -> dict[str, Any]:
    """Keep the two profiles apart; 409 if already decided."""
    return reviews.reject_review(db, review_id, principal)


@router.post("/customers/receipts")
def link_receipt(body: ReceiptIn, db: DbDep, principal: PrincipalDep) -> dict[str, Any]:
    """A POS receipt: its loyalty card and code (and any contact given) join one profile."""
    return receipts.link_receipt(db, receipts.Receipt(**body.model_dump()), principal)
