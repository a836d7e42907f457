"""Redemptions run in separate OS processes by the loyalty race test (importable by spawn)."""

from __future__ import annotations

from typing import Any

from unico.access.model import SYSTEM, Principal, Role
from unico.core.db import Database
from unico.core.errors import Conflict
from unico.loyalty.model import RedemptionRequest
from unico.loyalty.redemptions import redeem

TILL = Principal(kind="api_key", name="till", role=Role.STORE_ASSOCIATE, store_id=1, store_code="MI-01")


def redeem_rounds(
    url: str, channel: str, rounds: list[tuple[str, int, int]], barrier: Any
) -> list[tuple[int, str]]:
    """For each round ``(account_id, points, attempts)``: wait for the other process, then try
    ``attempts`` redemptions of ``points`` PUNTI-SCONTO points; returns ``(round, outcome)`` with
    outcome "ok" or the refusal's error code. ``channel`` "store" redeems as a till associate."""
    db = Database(url, pool_size=2)
    principal = TILL if channel == "store" else SYSTEM
    outcomes: list[tuple[int, str]] = []
    try:
        for number, (account_id, points, attempts) in enumerate(rounds):
            barrier.wait(60)
            for attempt in range(attempts):
                request = RedemptionRequest(
                    reward_code="PUNTI-SCONTO",
                    redemption_ref=f"{channel}-{number}-{attempt}",
                    channel=channel,
                    account_id=account_id,
                    points=points,
                )
                try:
                    redeem(db, request, principal)
                    outcomes.append((number, "ok"))
                except Conflict as refused:
                    outcomes.append((number, refused.code))
    finally:
        db.dispose()
    return outcomes
