"""Identity rules (normalising, blocking, limits and priorities), computed traits and continuity:
pure functions, no database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from unico.customers.continuity import EventFact, build_continuity
from unico.customers.identity import (
    Holding,
    Identifier,
    StitchDecision,
    decide_stitch,
    identifiers_of_message,
    normalise_identifier,
    normalise_identifiers,
)
from unico.customers.profiles import OrderFact, ProfileFacts, compute_traits, rfm_segment

T0 = datetime(2026, 11, 1, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("kind", "value", "expected"),
    [
        ("email", "  Mario.Rossi@Gmail.COM ", "mario.rossi@gmail.com"),
        ("email", "mario.rossi+shop@gmail.com", "mario.rossi+shop@gmail.com"),
        ("email", "not-an-email", None),
        ("phone", "333 123 4567", "+393331234567"),
        ("phone", "+39 02 1234 5678", "+390212345678"),
        ("phone", "0039 333 1234567", "+393331234567"),
        ("phone", "+44 20 7946 0958", "+442079460958"),
        ("phone", "12", None),
        ("loyalty_card", " lc 0012 3456 ", "LC00123456"),
        ("receipt_code", "ab12 cd34", "AB12CD34"),
        ("social", "@Mario_Rossi", "mario_rossi"),
        ("user_id", " u-42 ", "u-42"),
        ("anonymous_id", "7f1c-aa", "7f1c-aa"),
        ("user_id", 42, "42"),
        ("shoe_size", "42", None),
    ],
)
def test_identifiers_are_normalised_per_kind(kind: str, value: object, expected: str | None) -> None:
    assert normalise_identifier(kind, value) == expected


@pytest.mark.parametrize(
    "value",
    ["", "   ", "null", "NULL", "undefined", "anonymous", "Unknown", "0000", "0", "---", "0-0", "-1", "none"],
)
def test_placeholder_values_are_blocked_for_every_kind(value: str) -> None:
    for kind in ("user_id", "anonymous_id", "email", "phone", "loyalty_card", "device_id"):
        assert normalise_identifier(kind, value) is None


def test_blocked_emails_and_non_strings_are_refused() -> None:
    assert normalise_identifier("email", "TEST@test.com") is None
    assert normalise_identifier("user_id", None) is None
    assert normalise_identifier("user_id", True) is None
    assert normalise_identifier("user_id", {"id": 1}) is None


def test_normalised_identifiers_come_strongest_first_without_duplicates() -> None:
    pairs = [
        ("anonymous_id", "a1"),
        ("email", "X@Y.IT"),
        ("email", "x@y.it"),
        ("user_id", "null"),
        ("loyalty_card", "C1"),
        ("user_id", "u1"),
    ]
    assert normalise_identifiers(pairs) == [
        Identifier("user_id", "u1"),
        Identifier("email", "x@y.it"),
        Identifier("loyalty_card", "C1"),
        Identifier("anonymous_id", "a1"),
    ]


U1, U2 = Identifier("user_id", "u1"), Identifier("user_id", "u2")
EMAIL = Identifier("email", "jane@example.com")
ANON, ANON2 = Identifier("anonymous_id", "a1"), Identifier("anonymous_id", "a2")


def test_no_match_creates_and_one_match_attaches() -> None:
    assert decide_stitch([ANON], {}, {}) == StitchDecision("create", add=(ANON,))
    owners = {ANON: "cus_a"}
    holdings = {"cus_a": Holding({"anonymous_id": 1}, 1)}
    assert decide_stitch([U1, EMAIL, ANON], owners, holdings) == StitchDecision(
        "attach", profile="cus_a", add=(U1, EMAIL)
    )


def test_identifiers_of_several_profiles_merge_them_into_the_oldest() -> None:
    owners = {U1: "cus_new", ANON: "cus_old"}
    holdings = {"cus_new": Holding({"user_id": 1}, 9), "cus_old": Holding({"anonymous_id": 3}, 2)}
    assert decide_stitch([U1, ANON, EMAIL], owners, holdings) == StitchDecision(
        "merge", profile="cus_old", merge=("cus_new",), add=(EMAIL,)
    )


def test_segment_example_a_second_user_id_demotes_the_shared_email() -> None:
    """Segment's documented case: a profile with user_id abc123 and an email; an event with a new
    user_id and the same email. Two user_ids would break the limit of 1, so the lower-priority
    email is demoted and the event creates a profile of its own."""
    owners = {EMAIL: "cus_jane"}
    holdings = {"cus_jane": Holding({"user_id": 1, "email": 1}, 1)}
    assert decide_stitch([U2, EMAIL], owners, holdings) == StitchDecision(
        "create", add=(U2,), dropped=(EMAIL,)
    )


def test_a_shared_browser_does_not_merge_two_users() -> None:
    owners = {ANON: "cus_1", U1: "cus_1"}
    holdings = {"cus_1": Holding({"user_id": 1, "anonymous_id": 1}, 1)}
    assert decide_stitch([U2, ANON], owners, holdings) == StitchDecision("create", add=(U2,), dropped=(ANON,))


def test_a_fourth_loyalty_card_is_demoted_but_the_event_still_joins() -> None:
    card = Identifier("loyalty_card", "C4")
    owners = {U1: "cus_1"}
    holdings = {"cus_1": Holding({"user_id": 1, "loyalty_card": 3}, 1)}
    assert decide_stitch([U1, card], owners, holdings) == StitchDecision(
        "attach", profile="cus_1", dropped=(card,)
    )


def test_anonymous_ids_are_unlimited() -> None:
    owners = {U1: "cus_1"}
    holdings = {"cus_1": Holding({"user_id": 1, "anonymous_id": 500}, 1)}
    assert decide_stitch([U1, ANON2], owners, holdings).add == (ANON2,)


def test_a_profile_already_over_a_limit_is_not_itself_a_violation() -> None:
    owners = {U1: "cus_1"}
    holdings = {"cus_1": Holding({"user_id": 2}, 1)}  # after a manual merge
    assert decide_stitch([U1], owners, holdings) == StitchDecision("attach", profile="cus_1")


def test_an_anchor_profile_always_takes_part() -> None:
    card = Identifier("loyalty_card", "C1")
    owners = {card: "cus_web"}
    holdings = {"cus_web": Holding({"loyalty_card": 1, "user_id": 1}, 1), "cus_pos": Holding({}, 5)}
    assert decide_stitch([card], owners, holdings, anchor="cus_pos") == StitchDecision(
        "merge", profile="cus_web", merge=("cus_pos",)
    )
    assert decide_stitch([], {}, {"cus_pos": Holding({}, 5)}, anchor="cus_pos") == StitchDecision(
        "attach", profile="cus_pos"
    )


def test_messages_carry_their_identifiers_but_a_till_is_not_a_person() -> None:
    web = identifiers_of_message(
        source_kind="web",
        user_id="u1",
        anonymous_id="a1",
        traits={"email": "a@b.it", "loyaltyCard": "C1"},
        context={
            "device": {"id": "d1"},
            "externalIds": [{"id": "E9", "type": "erp_id"}, {"id": "x", "type": "?"}],
        },
    )
    assert web == [
        ("user_id", "u1"),
        ("anonymous_id", "a1"),
        ("email", "a@b.it"),
        ("loyalty_card", "C1"),
        ("device_id", "d1"),
        ("erp_id", "E9"),
    ]
    till = identifiers_of_message(
        source_kind="pos", user_id=None, anonymous_id="till-3", traits={"loyalty_card": "C1"}, context={}
    )
    assert till == [("loyalty_card", "C1")]


# --- computed traits --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("days", "orders", "spend", "segment"),
    [
        (None, 0, 0, "prospect"),
        (5, 6, 60_000, "champion"),
        (5, 6, 5_000, "loyal"),
        (60, 2, 1_000, "loyal"),
        (10, 1, 90_000, "new"),
        (200, 3, 20_000, "at_risk"),
        (200, 1, 20_000, "lost"),
        (60, 1, 20_000, "needs_attention"),
    ],
)
def test_rfm_segments(days: int | None, orders: int, spend: int, segment: str) -> None:
    assert rfm_segment(days, orders, spend) == segment


def test_computed_traits_of_a_known_customer() -> None:
    orders = [
        OrderFact("ord_1", "web", "completed", "MI-01", 5_000, "EUR", T0),
        OrderFact("ord_2", "store", "completed", "MI-02", 12_000, "EUR", T0 + timedelta(days=2)),
        OrderFact("ord_3", "store", "completed", "MI-02", 3_001, "EUR", T0 + timedelta(days=5)),
        OrderFact("ord_4", "app", "cancelled", "RM-01", 99_000, "EUR", T0 + timedelta(days=6)),
    ]
    facts = ProfileFacts(
        first_event_at=T0 - timedelta(days=30),
        last_event_at=T0 + timedelta(days=7),
        event_channels=frozenset({"web", "pos"}),
        orders=orders,
        units_by_category={"shoes": 3, "bags": 1, "hats": 1, "socks": 2},
        views_by_category={"coats": 10},
    )
    assert compute_traits(facts, T0 + timedelta(days=15)) == {
        "first_seen_at": T0 - timedelta(days=30),
        "last_seen_at": T0 + timedelta(days=7),
        "channels_used": ["app", "pos", "store", "web"],
        "order_count": 3,
        "total_spend": 20_001,
        "currency": "EUR",
        "average_order_value": 6_667,
        "last_order_at": T0 + timedelta(days=5),
        "days_since_last_order": 10,
        "favourite_store": "MI-02",
        "favourite_categories": ["shoes", "socks", "bags"],
        "rfm": {"recency": 3, "frequency": 2, "monetary": 2, "segment": "loyal"},
    }


def test_computed_traits_without_orders() -> None:
    facts = ProfileFacts(views_by_category={"coats": 2, "bags": 2, "hats": 1, "shoes": 1})
    computed = compute_traits(facts, T0)
    assert computed["order_count"] == 0
    assert computed["total_spend"] == 0
    assert computed["average_order_value"] is None
    assert computed["favourite_store"] is None
    assert computed["favourite_categories"] == ["bags", "coats", "hats"]
    assert computed["rfm"] == {"recency": None, "frequency": None, "monetary": None, "segment": "prospect"}


# --- continuity -------------------------------------------------------------------------------


def _e(minute: int, event: str, channel: str = "web", **properties: object) -> EventFact:
    return EventFact(event, properties, channel, T0 + timedelta(minutes=minute))


def test_continuity_replays_views_searches_wishlist_and_cart() -> None:
    events = [
        _e(1, "Products Searched", query="scarpe running"),
        _e(2, "Product Viewed", product_id="P1", sku="S1", name="Runner"),
        _e(3, "Product Viewed", "app", product_id="P2", name="Trail"),
        _e(4, "Product Viewed", product_id="P1", sku="S1", name="Runner"),
        _e(5, "Products Searched", "app", query="Scarpe Running"),
        _e(6, "Product Added to Wishlist", productId="P2", name="Trail"),
        _e(7, "Product Added to Wishlist", product_id="P3"),
        _e(8, "Product Removed from Wishlist", product_id="P3"),
        _e(9, "Product Added", product_id="P1", sku="S1", quantity=2),
        _e(10, "Product Added", "app", product_id="P4", sku="S4"),
        _e(11, "Product Removed", product_id="P1", sku="S1", quantity=1),
        _e(12, "Products Searched", query="  "),
    ]
    panel = build_continuity(reversed(events))
    assert panel["recently_viewed"] == [
        {
            "product_id": "P1",
            "sku": "S1",
            "name": "Runner",
            "channel": "web",
            "at": T0 + timedelta(minutes=4),
        },
        {"product_id": "P2", "name": "Trail", "channel": "app", "at": T0 + timedelta(minutes=3)},
    ]
    assert panel["searches"] == [
        {"query": "Scarpe Running", "channel": "app", "at": T0 + timedelta(minutes=5)}
    ]
    assert panel["wishlist"] == [
        {"product_id": "P2", "name": "Trail", "channel": "web", "at": T0 + timedelta(minutes=6)}
    ]
    assert [(c["product_id"], c["quantity"]) for c in panel["cart"]] == [("P1", 1), ("P4", 1)]


def test_a_completed_order_empties_the_tracked_cart() -> None:
    events = [_e(1, "Product Added", product_id="P1"), _e(2, "Order Completed", order_id="o1")]
    assert build_continuity(events)["cart"] == []
