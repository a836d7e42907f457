"""The demo retailer's promotions are valid definitions covering every kind the engine knows."""

from __future__ import annotations

from datetime import UTC, datetime

from unico.demo.offers import clearance_price, demo_promotions
from unico.pricing.model import PromotionKind
from unico.pricing.rules import check_promotion

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


def test_every_demo_promotion_is_valid_and_every_kind_is_shown() -> None:
    promotions = demo_promotions(NOW, frozenset({"CND-00001-BIA-U"}))

    for promotion in promotions:
        check_promotion(promotion)
    assert {p.kind for p in promotions} == set(PromotionKind)
    assert len({p.code for p in promotions}) == len(promotions) == 10
    assert [p.code for p in promotions if p.members_only or p.tiers] == ["SOCI-OUTDOOR", "ORO-15"]
    assert [p.code for p in promotions if p.requires_coupon] == ["BENVENUTO10"]
    assert [p.code for p in promotions if p.valid_to and p.valid_to <= NOW] == ["PRIMAVERA"]


def test_without_candles_there_is_no_bundle() -> None:
    assert "CANDELE-2X15" not in {p.code for p in demo_promotions(NOW, frozenset())}


def test_the_outlet_sells_at_sixty_percent_ending_in_90() -> None:
    assert [clearance_price(a) for a in (12990, 34900, 100)] == [7690, 20890, 90]
