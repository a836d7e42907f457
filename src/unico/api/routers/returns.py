"""HTTP routes of the returns area (filled by the issue that builds it)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()

# Routes outside /api/v1 (the e-ticket link a customer opens).
public_router = APIRouter()
