"""Loading the demo retailer on SQLite and PostgreSQL: a coherent, usable, non-repeatable load,
with customers, orders in every channel and state, and a tracking history."""

from __future__ import annotations

import io
import stat
from pathlib import Path

import pytest
from rich.console import Console
from sqlalchemy import Table, func, select

from unico.access import service as access
from unico.access.model import Role
from unico.catalog.queries import search_products
from unico.catalog.store import products, variants
from unico.core import clock
from unico.core.db import Database
from unico.core.errors import Conflict
from unico.customers import service as customers
from unico.customers.jobs import resolve_all_identities
from unico.customers.matching_store import match_reviews
from unico.customers.privacy_store import customer_consents, segments
from unico.customers.store import customer_profiles, customer_relations
from unico.customers.tracking import authenticate_write_key
from unico.customers.tracking_store import tracking_events
from unico.demo.activity import order_count
from unico.demo.loader import CREDENTIALS_FILE, load_demo
from unico.demo.prices import price_of
from unico.fulfillment.returns_store import etickets, returns
from unico.fulfillment.store import fulfillment_tasks
from unico.inventory.locations import list_locations, resolve_place
from unico.inventory.model import LocationType
from unico.inventory.store import reservations, stock, stock_movements
from unico.loyalty.store import loyalty_accounts, loyalty_cards, loyalty_entries, loyalty_redemptions
from unico.orders.store import order_allocations, order_lines, orders
from unico.pricing import service as pricing
from unico.pricing.store import list_prices, price_overrides, promotions
from unico.settings import Settings

SCALE = 0.05  # 100 products: every stage runs, in a couple of seconds per backend


@pytest.fixture
def demo_settings(tmp_path: Path) -> Settings:
    return Settings(var_dir=tmp_path / "var", secret_key="test-secret-key-for-this-run-only")


def _count(db: Database, table: Table) -> int:
    with db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def test_demo_loads_a_coherent_retailer(db: Database, demo_settings: Settings) -> None:
    loaded = load_demo(db, demo_settings, scale=SCALE, seed=3)

    assert loaded is not None
    assert _count(db, products) == loaded.counts["products"] == 100
    assert _count(db, variants) == loaded.counts["variants"]
    # returns bring units to stores that had no row for them; orders and returns move stock
    assert loaded.counts["stock_rows"] <= _count(db, stock) <= loaded.counts["stock_rows"] + 10
    assert _count(db, stock_movements) > loaded.counts["movements"]
    with db.read() as conn:
        moves = stock_movements.c
        ledger = (
            select(moves.variant_id, moves.location_id, func.sum(moves.quantity).label("total"))
            .group_by(moves.variant_id, moves.location_id)
            .subquery()
        )
        unexplained = conn.execute(
            select(func.count())
            .select_from(
                stock.outerjoin(
                    ledger,
                    (ledger.c.variant_id == stock.c.variant_id)
                    & (ledger.c.location_id == stock.c.location_id),
                )
            )
            .where(stock.c.on_hand != func.coalesce(ledger.c.total, 0))
        ).scalar_one()
        code, name_en = conn.execute(
            select(products.c.code, products.c.name_en).order_by(products.c.code)
        ).first()
        by_english_name = search_products(
            conn, db.dialect, name_en, limit=50, offset=0, category=None, brand=None, status=None
        )
    assert unexplained == 0, "every unit on hand is explained by the ledger"
    assert code in [hit.code for hit in by_english_name.items]
    stores = list_locations(db, type=LocationType.STORE)
    assert len(stores) >= 25
    assert all(store.hours.weekly for store in stores)
    assert len(list_locations(db, type=LocationType.WAREHOUSE)) == 2


def test_places_resolve_by_name_and_postcode(db: Database, demo_settings: Settings) -> None:
    load_demo(db, demo_settings, scale=SCALE, seed=3, trade=False)

    milano = resolve_place(db, "Milano")
    district = resolve_place(db, "20124")
    reggio = resolve_place(db, "reggio emilia")

    assert (round(milano.latitude, 2), round(milano.longitude, 2)) == (45.46, 9.19)
    assert 45.47 < district.latitude < 45.49
    assert round(reggio.latitude, 1) == 44.7


def test_credentials_are_random_written_privately_and_work(db: Database, demo_settings: Settings) -> None:
    printed = io.StringIO()

    loaded = load_demo(
        db, demo_settings, scale=SCALE, seed=3, console=Console(file=printed, width=120), trade=False
    )

    assert loaded is not None
    path = demo_settings.var_dir / CREDENTIALS_FILE
    assert loaded.credentials_path == path
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    text = path.read_text()
    admin = loaded.credentials[0]
    assert admin.email == "admin@demo.unico.it" and admin.password in text and loaded.api_key in text
    associates = [c for c in loaded.credentials if c.role == Role.STORE_ASSOCIATE]
    assert len(associates) >= 8 and associates[0].email == "milano@demo.unico.it"
    assert len({c.password for c in loaded.credentials}) == len(loaded.credentials)
    assert access.authenticate_api_key(db, loaded.api_key).role is Role.ADMIN
    _, principal = access.open_session(
        db, email=associates[0].email, password=associates[0].password, hours=1
    )
    assert principal.store_code == associates[0].store == "MI-BUENOSAIRES"
    screen = printed.getvalue()
    assert "Demo retailer loaded" in screen and admin.password in screen and loaded.api_key in screen


def test_a_second_load_conflicts_and_if_empty_skips(db: Database, demo_settings: Settings) -> None:
    load_demo(db, demo_settings, scale=SCALE, seed=3, trade=False)
    before = _count(db, stock_movements)

    with pytest.raises(Conflict) as raised:
        load_demo(db, demo_settings, scale=SCALE, seed=3)
    printed = io.StringIO()
    skipped = load_demo(db, demo_settings, scale=SCALE, seed=3, if_empty=True, console=Console(file=printed))

    assert raised.value.code == "demo.database_not_empty"
    assert raised.value.details["products"] == 100
    assert skipped is None
    assert "not loaded" in printed.getvalue()
    assert _count(db, stock_movements) == before


def test_leftover_demo_users_also_count_as_not_empty(db: Database, demo_settings: Settings) -> None:
    access.create_user(db, email="milano@demo.unico.it", name="", password="a-long-password", role="admin")
    access.create_user(db, email="owner@example.com", name="", password="a-long-password", role="admin")

    with pytest.raises(Conflict) as raised:
        load_demo(db, demo_settings, scale=SCALE, seed=3)

    assert raised.value.details == {"demo_users": 1}
    assert _count(db, products) == 0


# Allocation statuses that still hold units at their location (their reservation is active).
_HOLDING = ("reserved", "picked", "packed", "ready", "received")


def test_the_retailer_trades_in_every_channel_and_state(db: Database, demo_settings: Settings) -> None:
    started = clock.now()
    printed = io.StringIO()
    loaded = load_demo(db, demo_settings, scale=SCALE, seed=3, console=Console(file=printed, width=120))

    assert loaded is not None
    counts = loaded.counts
    with db.read() as conn:
        channels = set(conn.execute(select(orders.c.channel).distinct()).scalars())
        methods = set(conn.execute(select(order_lines.c.method).distinct()).scalars())
        statuses = dict(conn.execute(select(orders.c.status, func.count()).group_by(orders.c.status)).all())
        queue = conn.execute(
            select(func.count()).where(fulfillment_tasks.c.status.in_(["open", "picked", "ready"]))
        ).scalar_one()
        expiring = conn.execute(
            select(func.count())
            .select_from(orders.join(order_lines, order_lines.c.order_id == orders.c.id))
            .where(
                order_lines.c.method == "reserve_in_store",
                orders.c.status.in_(["allocated", "in_fulfillment", "ready_for_pickup"]),
                orders.c.expires_at > started,
            )
        ).scalar_one()
        returned_elsewhere = conn.execute(
            select(func.count())
            .select_from(returns.join(orders, orders.c.id == returns.c.order_id))
            .where(returns.c.location_id != func.coalesce(orders.c.origin_location_id, -1))
        ).scalar_one()
        lines = conn.execute(select(order_lines.c.sku, order_lines.c.unit_price_minor)).all()
        history = conn.execute(select(func.min(orders.c.created_at), func.max(orders.c.created_at))).one()
        reserved = dict(
            conn.execute(
                select(stock.c.variant_id, func.sum(stock.c.reserved)).group_by(stock.c.variant_id)
            ).all()
        )
        held = dict(
            conn.execute(
                select(reservations.c.variant_id, func.sum(reservations.c.quantity))
                .where(reservations.c.status == "active")
                .group_by(reservations.c.variant_id)
            ).all()
        )
        active_ids = set(
            conn.execute(
                select(reservations.c.reservation_id).where(reservations.c.status == "active")
            ).scalars()
        )
        holding_ids = set(
            conn.execute(
                select(order_allocations.c.reservation_id).where(
                    order_allocations.c.status.in_(_HOLDING), order_allocations.c.reservation_id.is_not(None)
                )
            ).scalars()
        )
        customer = (
            conn.execute(
                select(orders.c.customer_id)
                .where(orders.c.channel.in_(["web", "app"]), orders.c.customer_id.is_not(None))
                .order_by(orders.c.id)
            )
            .scalars()
            .first()
        )
        unresolved = conn.execute(
            select(func.count()).where(tracking_events.c.resolved_at.is_(None))
        ).scalar_one()
        pending_reviews = conn.execute(
            select(func.count()).where(match_reviews.c.status == "pending")
        ).scalar_one()
        table_counts = {
            table.name: conn.execute(select(func.count()).select_from(table)).scalar_one()
            for table in (etickets, customer_consents, customer_relations, tracking_events, segments)
        }
        active_profiles = conn.execute(
            select(func.count()).where(customer_profiles.c.status == "active")
        ).scalar_one()

    assert counts["customers"] == 75 and active_profiles >= 75
    assert counts["orders"] == sum(statuses.values())
    assert order_count(SCALE) - 3 <= counts["orders"] <= order_count(SCALE)
    assert channels == {"web", "app", "store", "contact_center", "marketplace"}
    assert methods == {"home_delivery", "pickup", "reserve_in_store", "ship_to_store", "carry_out"}
    assert statuses["completed"] >= counts["orders"] // 2
    assert statuses.get("cancelled", 0) >= 1
    assert queue >= 1, "the stores have work waiting today"
    assert expiring >= 1, "some e-reservations are still held, to expire shortly"
    assert returned_elsewhere >= 1 and counts["returns"] >= 1
    assert all(price == price_of(sku) and price > 0 for sku, price in lines)
    assert history[0] < history[1] and (history[1] - history[0]).days >= 7
    assert {v: total for v, total in reserved.items() if total} == held, "stock.reserved = active holds"
    assert active_ids == holding_ids, "no reservation orphaned, no live allocation without its hold"
    assert table_counts["etickets"] == counts["etickets"] >= 1
    assert table_counts["customer_consents"] == counts["consents"] > 0
    assert table_counts["customer_relations"] == counts["households"]
    assert table_counts["tracking_events"] == counts["tracking_events"] > 500
    assert unresolved == 0 and resolve_all_identities(db) == 0
    assert pending_reviews == counts["merge_reviews"] >= 1
    assert table_counts["segments"] == counts["segments"] == 5
    assert customer is not None
    kinds = {entry["kind"] for entry in customers.get_timeline(db, customer)["entries"]}
    assert kinds == {"event", "order"}
    assert customers.get_continuity(db, customer)["profile_id"]
    text = loaded.credentials_path.read_text()
    assert "Demo retailer loaded" in printed.getvalue() and "Tracking write key (pos)" in printed.getvalue()
    assert set(loaded.write_keys) == {"web", "app", "pos", "contact_center"}
    for key in loaded.write_keys.values():
        assert key in text
        assert authenticate_write_key(db, key) > 0
    _assert_prices_and_loyalty(db, counts)


def _assert_prices_and_loyalty(db: Database, counts: dict[str, int]) -> None:
    """Every SKU priced, the promotions and justified store prices live, orders priced by the
    engine, about 60 % of customers members with a physical card, and a ledger that adds up."""
    with db.read() as conn:
        priced = conn.execute(select(func.count()).select_from(list_prices)).scalar_one()
        unpriced_orders = conn.execute(select(func.count()).where(orders.c.pricing.is_(None))).scalar_one()
        promoted = conn.execute(select(func.count()).where(order_lines.c.discount_minor > 0)).scalar_one()
        overrides = conn.execute(
            select(price_overrides.c.store, price_overrides.c.channel, price_overrides.c.reason)
        ).all()
        live = conn.execute(select(func.count()).select_from(promotions)).scalar_one()
        members = conn.execute(select(func.count()).select_from(loyalty_accounts)).scalar_one()
        physical = conn.execute(select(func.count()).where(loyalty_cards.c.kind == "physical")).scalar_one()
        accounts = conn.execute(
            select(loyalty_accounts.c.id, loyalty_accounts.c.available, loyalty_accounts.c.pending)
        ).all()
        entries = {
            (account, bucket): int(total)
            for account, bucket, total in conn.execute(
                select(
                    loyalty_entries.c.account_id, loyalty_entries.c.bucket, func.sum(loyalty_entries.c.points)
                ).group_by(loyalty_entries.c.account_id, loyalty_entries.c.bucket)
            )
        }
        all_entries = conn.execute(select(func.coalesce(func.sum(loyalty_entries.c.points), 0))).scalar_one()
        redeemed = conn.execute(select(func.count()).select_from(loyalty_redemptions)).scalar_one()
    assert priced == counts["list_prices"] == counts["variants"]
    assert unpriced_orders == 0 and promoted >= 1, "every demo order was priced by the engine"
    assert live == counts["promotions"] + 1 >= 9  # and the loyalty program's voucher promotion
    assert counts["price_overrides"] == len(overrides) >= 3
    assert all(reason for _store, _channel, reason in overrides), "every explicit price says why"
    assert {channel for _store, channel, _reason in overrides} == {None, "marketplace"}
    assert counts["coupons"] == len(pricing.export_coupons(db, "BENVENUTO10")) == 60
    assert members == physical == counts["loyalty_members"]
    assert 0.45 * counts["customers"] <= members <= 0.75 * counts["customers"]
    assert counts["points_earned_orders"] >= 1 and redeemed == counts["redemptions"] >= 1
    assert all_entries == 0, "every posting's legs sum to zero"
    for account_pk, available, pending in accounts:
        assert (entries.get((account_pk, "available"), 0), entries.get((account_pk, "pending"), 0)) == (
            available,
            pending,
        ), "each balance is the sum of its postings"
