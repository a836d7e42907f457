"""The demo generator: deterministic per seed, the promised sizes, valid and coherent values."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, time, timedelta

import pytest

from unico.catalog.ean import is_valid_ean13
from unico.catalog.text import fold, query_terms
from unico.customers.identity import normalise_identifier
from unico.demo.activity import order_count, plan_orders
from unico.demo.generate import generate_demo, product_count
from unico.demo.model import DemoData
from unico.demo.network import easter_sunday
from unico.demo.prices import PRICE_BANDS, list_price_minor, price_of


@pytest.fixture(scope="module")
def full() -> DemoData:
    """The scale-1 retailer, generated once for this module (about three seconds)."""
    return generate_demo(7, 1.0)


def test_same_seed_gives_identical_data() -> None:
    first, second = generate_demo(11, 0.2), generate_demo(11, 0.2)

    assert first.digest() == second.digest()
    assert first == second


def test_different_seed_gives_different_data() -> None:
    assert generate_demo(11, 0.2).digest() != generate_demo(12, 0.2).digest()


def test_scale_one_has_the_promised_sizes(full: DemoData) -> None:
    assert len(full.stores) >= 25
    assert len(full.warehouses) == 2
    assert len(full.products) == 2000
    assert full.variant_count >= 6000
    assert len(full.places) >= 100
    assert {c.code for c in full.categories if c.parent is None} == {"fashion", "sport", "home"}
    assert 15 <= len(full.brands) <= 25


def test_small_scales_are_honoured() -> None:
    assert product_count(0.05) == 100
    assert product_count(0.0001) == 1
    assert len(generate_demo(3, 0.05).products) == 100
    with pytest.raises(ValueError):
        product_count(0)


def test_skus_and_eans_are_unique_and_well_formed(full: DemoData) -> None:
    variants = [(p.code, v) for p in full.products for v in p.variants]
    skus = [v.sku for _, v in variants]
    eans = [v.ean for _, v in variants]

    assert len(set(skus)) == len(skus)
    assert len(set(eans)) == len(eans)
    assert all(is_valid_ean13(ean) and ean.startswith("80") for ean in eans)
    assert all(re.fullmatch(rf"{re.escape(code)}-[A-Z]{{3}}-[0-9A-Z]+", v.sku) for code, v in variants)
    assert all(len(sku) <= 40 for sku in skus)


def test_products_are_bilingual_searchable_and_categorised(full: DemoData) -> None:
    leaves = {c.code for c in full.categories} - {c.parent for c in full.categories if c.parent}
    brands = {b.code for b in full.brands}
    for product in full.products:
        assert product.name_it and product.name_en and product.name_it != product.name_en
        assert product.description_it and product.description_en
        assert product.category in leaves
        assert product.brand in brands
        assert product.images[0] == f"https://img.demo.unico.example/p/{product.code}.jpg"
        assert {"line", "material", "season"} <= product.attributes.keys()
        assert product.search_text
        document = set(product.search_text.split())
        for word in query_terms(product.name_it) + query_terms(product.name_en):
            assert document.intersection(word), (product.code, word)


def test_a_few_product_names_read_naturally(full: DemoData) -> None:
    running = next(p for p in full.products if p.code.startswith("RUN-") and "uomo" in p.name_it)
    line = running.attributes["line"]

    assert running.name_it.startswith("Scarpa da corsa ") and running.name_it.endswith(f"{line} uomo")
    assert running.name_en.startswith(f"Men's {line} ") and running.name_en.endswith(" running shoe")
    assert running.variants[0].size in {str(n) for n in range(39, 47)}


def test_every_store_has_a_valid_week_and_holidays(full: DemoData) -> None:
    for location in full.locations:
        days = defaultdict(list)
        for slot in location.hours:
            assert time.fromisoformat(slot.opens) < time.fromisoformat(slot.closes)
            days[slot.weekday].append(slot)
        assert set(days) <= set(range(7))
        assert len(days) >= 6 if location.type == "store" else len(days) == 6
        holidays = {e.day: e for e in location.exceptions}
        christmas = date(2026, 12, 25)
        assert holidays[christmas].closed and holidays[date(2026, 1, 1)].closed
        assert all(date(2026, 1, 1) <= day < date(2027, 1, 2) for day in holidays)
    lunch_breaks = [loc for loc in full.stores if Counter(s.weekday for s in loc.hours)[2] == 2]
    assert lunch_breaks, "some small-town stores close for lunch"


def test_services_follow_the_network_shape(full: DemoData) -> None:
    stores = full.stores

    assert sum(s.pickup for s in stores) >= len(stores) - 2
    assert sum(s.returns for s in stores) >= len(stores) - 1
    assert sum(s.reserve_in_store for s in stores) == round(len(stores) * 2 / 3)
    assert sum(s.ship_from_store for s in stores) == round(len(stores) / 2)
    assert all(20 <= s.pickup_capacity_per_day <= 80 for s in stores if s.pickup)
    assert all(not w.pickup and w.pickup_capacity_per_day == 0 for w in full.warehouses)
    assert all(re.fullmatch(r"\+39\d{10}", loc.phone) for loc in full.locations)
    assert {"MI-BUENOSAIRES", "RM-DELCORSO", "WH-PIACENZA"} <= {loc.code for loc in full.locations}


def test_places_cover_the_big_cities_with_district_postcodes(full: DemoData) -> None:
    by_key = defaultdict(list)
    for place in full.places:
        assert 35.0 < place.latitude < 47.5 and 6.5 < place.longitude < 19.0, place
        assert re.fullmatch(r"\d{5}", place.postcode)
        assert place.name_key == fold(place.name)
        by_key[place.name_key].append(place.postcode)
    for city in (
        "Milano",
        "Roma",
        "Torino",
        "Napoli",
        "Palermo",
        "Cagliari",
        "Reggio Emilia",
        "Monza",
        "Bolzano",
    ):
        assert fold(city) in by_key, city
    assert {"20121", "20124", "20162"} <= set(by_key["milano"])
    assert all(fold(store.city) in by_key for store in full.stores)


def test_stock_is_sparse_in_stores_and_deep_in_warehouses(full: DemoData) -> None:
    skus = full.variant_count
    stores = {s.code for s in full.stores}
    store_rows = [s for s in full.stock if s.location in stores]
    warehouse_rows = [s for s in full.stock if s.location not in stores]
    on_hand_by_sku: Counter[str] = Counter()
    for level in full.stock:
        on_hand_by_sku[level.sku] += level.on_hand

    assert 0.25 < len(store_rows) / (skus * len(stores)) < 0.5
    assert len(warehouse_rows) > 0.8 * skus * len(full.warehouses)
    assert all(0 <= s.on_hand <= 6 and s.safety_stock in (0, 1) for s in store_rows)
    assert any(s.on_hand == 0 for s in store_rows)
    assert all(5 <= s.on_hand <= 200 for s in warehouse_rows if s.on_hand)
    assert sum(1 for p in full.products for v in p.variants if on_hand_by_sku[v.sku] == 0) > 0
    everywhere = Counter(s.sku for s in store_rows if s.on_hand > 0)
    assert any(count == len(stores) for count in everywhere.values()), "bestsellers are in every store"


@pytest.mark.parametrize(
    ("year", "expected"), [(2025, date(2025, 4, 20)), (2026, date(2026, 4, 5)), (2027, date(2027, 3, 28))]
)
def test_easter_sunday(year: int, expected: date) -> None:
    assert easter_sunday(year) == expected


# --- prices, customers and the planned trade ----------------------------------------------------

NOW = datetime(2026, 3, 18, 15, 30, tzinfo=UTC)


def test_every_variant_has_a_list_price_within_its_type_band(full: DemoData) -> None:
    for product in full.products:
        price = product.attributes["list_price_minor"]
        low, high = PRICE_BANDS[product.code[:3]]
        assert price == list_price_minor(product.code)
        assert low * 100 <= price <= high * 100 + 90 and price % 100 in (0, 90)
        assert all(price_of(v.sku) == price for v in product.variants)
    assert price_of("RUN-00168-ROS-38") == list_price_minor("RUN-00168")


def test_customers_are_italian_reachable_and_live_near_their_store(full: DemoData) -> None:
    people = full.people
    stores = {s.code: s for s in full.stores}

    assert len(people) == 1500
    assert len({p.email for p in people}) == len(people)
    assert all(normalise_identifier("phone", p.phone) and p.phone.startswith("+39 3") for p in people)
    assert all(
        p.city == stores[p.home_store].city and p.postcode == stores[p.home_store].postcode for p in people
    )
    assert 0.55 <= sum(1 for p in people if p.loyalty_card) / len(people) <= 0.65
    assert 0.6 <= sum(1 for p in people if p.user_id) / len(people) <= 0.7
    assert all(date(1950, 1, 1) <= p.birthday <= date(2006, 12, 31) for p in people)
    by_key = {p.key: p for p in people}
    households = [(p, by_key[p.household]) for p in people if p.household]
    assert 15 <= len(households) <= 45
    assert all(a.last_name == b.last_name and a.address == b.address for a, b in households)


def test_paper_signups_repeat_customers_without_any_identifier(full: DemoData) -> None:
    by_key = {p.key: p for p in full.people}

    assert len(full.paper_signups) == 9
    for form in full.paper_signups:
        person = by_key[form.of]
        assert form.last_name == person.last_name and form.first_name != person.first_name
        assert form.first_name[0] == person.first_name[0]
        assert form.birthday in (None, person.birthday) and form.postcode in (None, person.postcode)
        assert not {"email", "phone", "loyalty_card", "user_id"} & set(form.__slots__)


def test_the_plan_covers_every_channel_and_method_in_sixty_days(full: DemoData) -> None:
    plan = plan_orders(full, full.people, NOW, 7)
    skus = {v.sku for p in full.products for v in p.variants}
    people = {p.key for p in full.people}

    assert plan == plan_orders(full, full.people, NOW, 7)
    assert 490 <= len(plan) <= order_count(1.0) == 500
    assert {o.channel for o in plan} == {"web", "app", "store", "contact_center", "marketplace"}
    assert {line.method for o in plan for line in o.lines} == {
        "home_delivery", "pickup", "reserve_in_store", "ship_to_store", "carry_out"
    }  # fmt: skip
    assert Counter(o.fate for o in plan) == {
        "completed": 419, "open": 31, "returned": 24, "cancelled": 14, "expiring": 12
    }  # fmt: skip
    for order in plan:
        assert NOW - timedelta(days=60) < order.placed_at < NOW
        assert all(order.placed_at < at < NOW for at, _step in order.steps)
        assert all(line.sku in skus for line in order.lines)
        assert order.person is None or order.person in people
        assert (order.return_store is not None) == any(step == "return" for _at, step in order.steps)
    carry_out = [o for o in plan if o.lines[0].method == "carry_out"]
    assert all(o.channel == "store" and o.store and o.associate for o in carry_out)
