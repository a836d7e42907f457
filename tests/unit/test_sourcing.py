"""Sourcing decisions: exact plans for hand-made networks, and properties over generated ones."""

from __future__ import annotations

import itertools
import random
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from unico.fulfillment.sourcing import (
    Assignment,
    Candidate,
    Shortfall,
    SourcingLine,
    SourcingPlan,
    SourcingPolicy,
    source,
)

_ids = itertools.count(1)


def store(
    code: str, km: float, capacity: int | None = None, cost: int = 0, kind: str = "store", **stock: int
) -> Candidate:
    return Candidate(
        next(_ids), code, kind, km, {sku.replace("_", "-"): q for sku, q in stock.items()}, capacity, cost
    )


def line(ref: str, sku: str, quantity: int = 1) -> SourcingLine:
    return SourcingLine(ref, sku, quantity)


def placed(plan: SourcingPlan) -> list[tuple[str, str, int]]:
    """(line, location code, quantity) of each assignment, in plan order."""
    return [(a.line_ref, a.code, a.quantity) for a in plan.assignments]


def test_one_store_holding_everything_serves_the_whole_order() -> None:
    mi = store("MI-01", 2.0, A=2, B=1)
    wh = store("WH-01", 300.0, kind="warehouse", A=50, B=50)
    plan = source([line("1", "A", 2), line("2", "B")], [wh, mi])
    assert plan.complete
    assert plan.assignments == (
        Assignment("1", "A", mi.location_id, "MI-01", 2),
        Assignment("2", "B", mi.location_id, "MI-01", 1),
    )
    assert plan.locations == ("MI-01",)
    assert plan.considered == 2
    assert plan.reasons == (
        "considered 2 candidates, 2 with stock of at least one line",
        "MI-01 fills all 2 lines alone at 2.0 km",
        "chosen over 1 other location that could fill it alone: cheaper (cost 20 against 3000 at WH-01)",
    )


def test_an_order_no_location_holds_alone_is_split_over_the_fewest_locations() -> None:
    candidates = [
        store("MI-01", 1.0, A=1),
        store("MI-02", 3.0, B=1),
        store("TO-01", 9.0, A=1, C=1),
        store("RM-01", 40.0, B=1, C=1),
        store("NA-01", 50.0, D=4),
    ]
    plan = source([line("1", "A"), line("2", "B"), line("3", "C")], candidates)
    # MI-01 + MI-02 are nearest but leave C unfilled; TO-01 + RM-01 fill it, but further away.
    assert placed(plan) == [("1", "TO-01", 1), ("2", "MI-02", 1), ("3", "TO-01", 1)]
    assert plan.locations == ("MI-02", "TO-01")
    assert plan.reasons == (
        "considered 5 candidates, 4 with stock of at least one line",
        "excluded for no stock of any line: NA-01",
        "split over 2 locations: no single location has all lines",
        "MI-02 at 3.0 km serves line 2 x1",
        "TO-01 at 9.0 km serves line 1 x1, line 3 x1",
    )


def test_fewer_locations_beat_shorter_distances() -> None:
    near_a, near_b = store("MI-01", 1.0, A=1), store("MI-02", 1.0, B=1)
    far = store("WH-01", 400.0, kind="warehouse", A=9, B=9)
    plan = source([line("1", "A"), line("2", "B")], [near_a, near_b, far])
    assert placed(plan) == [("1", "WH-01", 1), ("2", "WH-01", 1)]


def test_max_locations_is_respected_and_the_rest_is_a_shortfall() -> None:
    candidates = [store("MI-01", 1.0, A=1), store("MI-02", 3.0, B=2)]
    plan = source([line("1", "A"), line("2", "B", 2)], candidates, SourcingPolicy(max_locations=1))
    assert not plan.complete
    # The best single location serves the most units: MI-02's two.
    assert placed(plan) == [("2", "MI-02", 2)]
    assert plan.shortfalls == (Shortfall("1", "A", 1, 0),)
    assert plan.locations == ("MI-02",)
    assert plan.reasons[-3:] == (
        "no plan fills every line within 1 location",
        "line 1 (A): wanted 1, 0 available within the policy",
        "MI-02 at 3.0 km serves line 2 x2",
    )


def test_shortfall_reports_the_most_the_network_can_give() -> None:
    candidates = [store("MI-01", 1.0, A=1), store("MI-02", 2.0, A=1), store("MI-03", 3.0, A=1)]
    plan = source([line("1", "A", 5)], candidates, SourcingPolicy(max_locations=2))
    assert plan.shortfalls == (Shortfall("1", "A", 5, 2),)
    assert placed(plan) == [("1", "MI-01", 1), ("1", "MI-02", 1)]


def test_a_location_without_capacity_left_is_never_chosen() -> None:
    full = store("MI-01", 1.0, capacity=0, A=5)
    open_ = store("RM-01", 20.0, capacity=3, A=5)
    plan = source([line("1", "A", 2)], [full, open_])
    assert placed(plan) == [("1", "RM-01", 2)]
    assert plan.reasons == (
        "considered 2 candidates, 1 with stock of at least one line",
        "excluded for no capacity left today: MI-01",
        "RM-01 fills all 1 line alone at 20.0 km",
    )


def test_nothing_at_all_gives_a_shortfall_of_zero() -> None:
    plan = source([line("1", "A", 2)], [store("MI-01", 1.0, capacity=0, A=5), store("MI-02", 2.0, B=1)])
    assert plan.assignments == ()
    assert plan.shortfalls == (Shortfall("1", "A", 2, 0),)
    assert plan.locations == ()


def test_the_nearest_of_equal_locations_wins_then_the_lower_code() -> None:
    plan = source(
        [line("1", "A")], [store("TO-01", 8.0, A=1), store("MI-09", 5.0, A=1), store("MI-01", 5.0, A=1)]
    )
    assert placed(plan) == [("1", "MI-01", 1)]
    assert plan.reasons[-1] == (
        "chosen over 2 other locations that could fill it alone: as cheap and nearer or first by code "
        "(cost 50 against 50 at MI-09)"
    )


def test_unit_cost_is_weighed_against_distance() -> None:
    shop = store("MI-01", 5.0, cost=100, A=3)
    depot = store("WH-01", 20.0, cost=10, kind="warehouse", A=3)
    lines = [line("1", "A", 3)]
    # 5 km x 10 + 3 x 100 = 350 against 20 km x 10 + 3 x 10 = 230.
    assert placed(source(lines, [shop, depot], SourcingPolicy(km_cost=10))) == [("1", "WH-01", 3)]
    # 5 km x 100 + 300 = 800 against 20 km x 100 + 30 = 2030.
    assert placed(source(lines, [shop, depot], SourcingPolicy(km_cost=100))) == [("1", "MI-01", 3)]


def test_a_line_is_split_only_when_the_policy_allows_it() -> None:
    candidates = [store("MI-01", 1.0, A=2), store("TO-01", 9.0, A=2)]
    split = source([line("1", "A", 3)], candidates)
    assert placed(split) == [("1", "MI-01", 2), ("1", "TO-01", 1)]
    assert (
        split.reasons[-1] == "line 1 split (2 from MI-01, 1 from TO-01): no location in the plan holds all 3"
    )
    whole = source([line("1", "A", 3)], candidates, SourcingPolicy(split_lines=False))
    assert not whole.complete
    assert whole.shortfalls == (Shortfall("1", "A", 3, 2),)
    assert whole.reasons[-3] == "no plan fills every line within 3 locations, without splitting a line"


def test_whole_lines_of_one_sku_are_packed_across_locations() -> None:
    # First-fit in line order would put line 1 (2 units) at MI-01 and strand line 2 (3 units).
    candidates = [store("MI-01", 1.0, A=3), store("TO-01", 2.0, A=2)]
    plan = source([line("1", "A", 2), line("2", "A", 3)], candidates, SourcingPolicy(split_lines=False))
    assert placed(plan) == [("1", "TO-01", 2), ("2", "MI-01", 3)]


def test_a_line_the_plan_can_serve_whole_is_not_split() -> None:
    # Both locations are needed (B is only at TO-01); A could come 1 + 1, but TO-01 has both.
    candidates = [store("MI-01", 1.0, A=1, C=1), store("TO-01", 9.0, A=2, B=1)]
    plan = source([line("1", "A", 2), line("2", "B"), line("3", "C")], candidates)
    assert placed(plan) == [("1", "TO-01", 2), ("2", "TO-01", 1), ("3", "MI-01", 1)]


# --- properties ----------------------------------------------------------------------------

SKUS = ("A", "B", "C")


@st.composite
def networks(draw: st.DrawFn) -> tuple[list[SourcingLine], list[Candidate], SourcingPolicy]:
    unit_cost = draw(st.one_of(st.none(), st.integers(0, 3)))  # None: each location its own
    lines = [
        SourcingLine(str(i + 1), draw(st.sampled_from(SKUS)), draw(st.integers(1, 4)))
        for i in range(draw(st.integers(1, 4)))
    ]
    candidates = [
        Candidate(
            location_id=i + 1,
            code=f"L{i:02d}",
            type="store",
            distance_km=draw(st.sampled_from([1.0, 2.5, 5.0, 10.0, 40.0])),
            available=draw(st.dictionaries(st.sampled_from(SKUS), st.integers(0, 5), max_size=3)),
            capacity_left=draw(st.sampled_from([None, None, 0, 1])),
            cost_per_unit=unit_cost if unit_cost is not None else draw(st.integers(0, 3)),
        )
        for i in range(draw(st.integers(0, 7)))
    ]
    policy = SourcingPolicy(
        max_locations=draw(st.integers(1, 3)),
        split_lines=draw(st.booleans()),
        km_cost=draw(st.integers(0, 20)),
    )
    return lines, candidates, policy


def feasible_sets(
    lines: list[SourcingLine], candidates: list[Candidate], policy: SourcingPolicy
) -> list[tuple[Candidate, ...]]:
    """Brute force: the smallest sets of usable locations that fill every line (empty: none do)."""
    usable = [c for c in candidates if c.capacity_left != 0]
    wanted = Counter[str]()
    for ln in lines:
        wanted[ln.sku] += ln.quantity

    def fills(chosen: tuple[Candidate, ...]) -> bool:
        if policy.split_lines:
            return all(sum(c.available.get(s, 0) for c in chosen) >= q for s, q in wanted.items())
        for homes in itertools.product(chosen, repeat=len(lines)):
            load = Counter[tuple[int, str]]()
            for ln, c in zip(lines, homes, strict=True):
                load[c.location_id, ln.sku] += ln.quantity
            if all(c.available.get(s, 0) >= load[c.location_id, s] for c in chosen for s in wanted):
                return True
        return False

    for k in range(1, policy.max_locations + 1):
        found = [chosen for chosen in itertools.combinations(usable, k) if fills(chosen)]
        if found:
            return found
    return []


@settings(max_examples=150, deadline=None)
@given(networks())
def test_plans_keep_every_promise(
    network: tuple[list[SourcingLine], list[Candidate], SourcingPolicy],
) -> None:
    lines, candidates, policy = network
    plan = source(lines, candidates, policy)
    by_id = {c.location_id: c for c in candidates}

    taken = Counter[tuple[int, str]]()
    for a in plan.assignments:
        assert a.quantity > 0
        assert by_id[a.location_id].code == a.code
        assert by_id[a.location_id].capacity_left != 0
        taken[a.location_id, a.sku] += a.quantity
    for (lid, sku), units in taken.items():
        assert units <= by_id[lid].available.get(sku, 0)

    served = Counter[str]()
    for a in plan.assignments:
        served[a.line_ref] += a.quantity
    for ln in lines:
        assert served[ln.line_ref] <= ln.quantity
        if not policy.split_lines:
            assert len({a.location_id for a in plan.assignments if a.line_ref == ln.line_ref}) <= 1
    assert plan.shortfalls == tuple(
        Shortfall(ln.line_ref, ln.sku, ln.quantity, served[ln.line_ref])
        for ln in lines
        if served[ln.line_ref] < ln.quantity
    )
    assert set(plan.locations) == {a.code for a in plan.assignments}
    assert len(plan.locations) <= policy.max_locations

    smallest = feasible_sets(lines, candidates, policy)
    assert plan.complete == bool(smallest)
    if plan.complete:
        assert len(plan.locations) == len(smallest[0])
        if len({c.cost_per_unit for c in candidates}) == 1 and policy.km_cost > 0:
            # Same unit cost everywhere: the cheapest plan is the one with the least distance.
            km = {c.code: c.distance_km for c in candidates}
            assert sum(km[code] for code in plan.locations) == pytest.approx(
                min(sum(c.distance_km for c in chosen) for chosen in smallest)
            )


@settings(max_examples=80, deadline=None)
@given(networks(), st.randoms(use_true_random=False))
def test_the_same_question_gets_the_same_answer(
    network: tuple[list[SourcingLine], list[Candidate], SourcingPolicy], rnd: random.Random
) -> None:
    lines, candidates, policy = network
    shuffled = list(candidates)
    rnd.shuffle(shuffled)
    assert source(lines, candidates, policy) == source(lines, shuffled, policy)
