"""``bring_to_life``: the loaded retailer's last sixty days, through the real use cases.

In order: tracking sources, customer profiles (at their sign-up times), consents and households,
the promotions and explicit prices (:mod:`unico.demo.offers`), the loyalty members
(:mod:`unico.demo.members`), the orders and everything that happened to them
(:mod:`unico.demo.trade`) with the points they earned, matured and spent, the tracking history
(:mod:`unico.demo.behaviour`) and e-ticket openings, identity resolution over that history, and
the stores' paper sign-ups, whose near-duplicates land in the merge review queue, and last a few
marketing segments.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from unico.core.db import Database
from unico.customers.jobs import resolve_all_identities
from unico.demo import behaviour, customers, segments
from unico.demo.activity import plan_orders
from unico.demo.members import enroll_members, settle_points
from unico.demo.model import DemoData
from unico.demo.offers import create_offers
from unico.demo.trade import run_orders

# A stage: its description and size -> the function that advances it.
StartStage = Callable[[str, int], Callable[[int], None]]


@dataclass(frozen=True)
class Activity:
    counts: dict[str, int]
    write_keys: dict[str, str]  # tracking source kind -> write key


def bring_to_life(db: Database, data: DemoData, now: datetime, start: StartStage) -> Activity:
    """Load customers, orders and tracking for ``data`` into ``db`` as of ``now``; see the module doc."""
    keys = behaviour.create_sources(db)
    people = data.people
    profiles = customers.create_profiles(db, people, now, start("Customers", len(people)))
    consents = customers.record_people_consents(db, people, profiles, now, start("Consents", len(people)))
    households = customers.relate_households(db, people, profiles, now)
    advance = start("Promotions and members", 2)
    offers = create_offers(db, data, now)
    advance(1)
    members = enroll_members(db, people, profiles, now)
    advance(1)
    plan = plan_orders(data, people, now, data.seed)
    trade = run_orders(
        db,
        plan,
        {p.key: p for p in people},
        profiles,
        start("Orders", len(plan)),
        members=members,
        coupons=offers.coupons,
    )
    settle_points(db, people, profiles, members)
    messages = behaviour.plan_messages(data, people, trade, now, data.seed)
    events = behaviour.send_messages(db, keys, messages, start("Tracking events", len(messages)))
    opened = behaviour.open_etickets(db, messages)
    advance = start("Identity resolution", 1)
    resolved = resolve_all_identities(db)
    advance(1)
    advance = start("Paper sign-ups", len(data.paper_signups))
    paper = customers.import_paper_signups(db, data.paper_signups, now)
    advance(paper.rows)
    defined = segments.create_segments(db)
    return Activity(
        counts={
            "customers": len(people),
            "consents": consents,
            "households": households,
            "promotions": offers.promotions,
            "price_overrides": offers.overrides,
            "coupons": len(offers.coupons),
            "loyalty_members": len(members.accounts),
            "points_earned_orders": members.earned,
            "points_reversed_returns": members.reversed,
            "redemptions": members.redeemed,
            "orders": len(trade.placed),
            "returns": trade.returns,
            "etickets": len(trade.etickets),
            "eticket_opens": opened,
            "tracking_events": events,
            "resolved_events": resolved,
            "paper_signups": paper.rows,
            "merge_reviews": paper.sent_to_review,
            "segments": defined,
        },
        write_keys=keys,
    )
