"""Sourcing: which location serves which order line. Pure, deterministic and explainable.

Given the lines of an order, the candidate locations (already limited to those the channel's
rules allow for the method) with what each can promise, its distance to the destination, the
capacity it has left today and its cost, :func:`source` returns a :class:`SourcingPlan` that
fills every line from as few locations as possible, then at the least distance and cost, within
``policy.max_locations``. Every plan carries its reasons, so a decision can be stored and shown.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class SourcingLine:
    """One order line to source: ``line_ref`` is the caller's id for it (e.g. the line number)."""

    line_ref: str
    sku: str
    quantity: int


@dataclass(frozen=True, slots=True)
class Candidate:
    """A location that may serve the order, with what it can promise now.

    ``available`` maps SKU -> units available to promise there. ``capacity_left`` is how many more
    order *shipments/pickups* the location can take today (None: no limit); a location with
    ``capacity_left == 0`` is never chosen. ``cost_per_unit`` is the handling/shipping cost of one
    unit from there, in minor units.
    """

    location_id: int
    code: str
    type: str  # "store" | "warehouse"
    distance_km: float
    available: Mapping[str, int]
    capacity_left: int | None = None
    cost_per_unit: int = 0


@dataclass(frozen=True, slots=True)
class SourcingPolicy:
    """Limits and weights of a decision.

    ``max_locations``: at most this many distinct locations serve the order (1 = no split).
    ``split_lines``: whether one line's units may come from more than one location.
    ``km_cost``: minor units one km of distance is worth, to weigh distance against cost.
    """

    max_locations: int = 3
    split_lines: bool = True
    km_cost: int = 10


@dataclass(frozen=True, slots=True)
class Assignment:
    line_ref: str
    sku: str
    location_id: int
    code: str
    quantity: int


@dataclass(frozen=True, slots=True)
class Shortfall:
    line_ref: str
    sku: str
    wanted: int
    available: int


@dataclass(frozen=True, slots=True)
class SourcingPlan:
    """The decision: assignments, any shortfall (then the plan is not ``complete``) and reasons.

    ``reasons`` are short human-readable sentences (English) explaining the choice, e.g.
    "MI-01 fills all 3 lines alone at 2.1 km" or "split over 2 locations: no single location has
    all lines"; ``considered`` counts the candidates looked at.
    """

    assignments: tuple[Assignment, ...]
    shortfalls: tuple[Shortfall, ...] = ()
    reasons: tuple[str, ...] = ()
    considered: int = 0
    locations: tuple[str, ...] = field(default=())

    @property
    def complete(self) -> bool:
        return not self.shortfalls


def source(
    lines: Sequence[SourcingLine],
    candidates: Sequence[Candidate],
    policy: SourcingPolicy = SourcingPolicy(),
) -> SourcingPlan:
    """Decide where each line comes from; see the module docstring.

    Promises: no assignment exceeds a candidate's availability (lines of the same SKU share it);
    every assigned quantity is positive; a complete plan fills every line exactly and uses at
    most ``policy.max_locations`` locations, as few as possible, and among those the cheapest
    (``distance_km * km_cost`` once per location used, plus ``cost_per_unit`` per unit); ties go
    to the nearer location, then the lower code. The result does not depend on the order of
    ``candidates``. When no plan fills every line, the plan holds the most units it can serve
    within the policy and one :class:`Shortfall` per line it cannot fill.
    """
    if policy.max_locations < 1:
        raise ValueError("max_locations must be at least 1")
    if any(line.quantity < 1 for line in lines):
        raise ValueError("every line needs a quantity of at least 1")
    demand: dict[str, int] = {}
    for line in lines:
        demand[line.sku] = demand.get(line.sku, 0) + line.quantity
    eligible, no_stock, no_capacity = _screen(candidates, demand)
    reasons = _exclusion_reasons(len(candidates), len(eligible), no_stock, no_capacity)
    if not lines:
        return SourcingPlan((), (), ("nothing to source",), len(candidates))

    single = _best_single(eligible, demand, lines, policy)
    if single is not None:
        reasons.extend(_single_reasons(single, lines, eligible, demand, policy))
        return _plan(single, (), reasons, len(candidates))
    if policy.max_locations > 1:
        kinds = _group_kinds(eligible, demand, policy)
        for k in range(2, policy.max_locations + 1):
            split = _best_split(kinds, lines, policy, k)
            if split is not None:
                reasons.append(f"split over {k} locations: no single location has all lines")
                reasons.extend(_split_reasons(split, lines))
                return _plan(split, (), reasons, len(candidates))

    partial = _best_effort(eligible, demand, lines, policy)
    served: dict[str, int] = {}
    for a in partial.assignments:
        served[a.line_ref] = served.get(a.line_ref, 0) + a.quantity
    shortfalls = tuple(
        Shortfall(line.line_ref, line.sku, line.quantity, served.get(line.line_ref, 0))
        for line in lines
        if served.get(line.line_ref, 0) < line.quantity
    )
    limit = "1 location" if policy.max_locations == 1 else f"{policy.max_locations} locations"
    rule = "" if policy.split_lines else ", without splitting a line"
    reasons.append(f"no plan fills every line within {limit}{rule}")
    reasons.extend(
        f"line {s.line_ref} ({s.sku}): wanted {s.wanted}, {s.available} available within the policy"
        for s in shortfalls
    )
    reasons.extend(_split_reasons(partial, lines))
    return _plan(partial, shortfalls, reasons, len(candidates))


# --- screening -------------------------------------------------------------------------------


def _screen(
    candidates: Sequence[Candidate], demand: Mapping[str, int]
) -> tuple[list[Candidate], list[Candidate], list[Candidate]]:
    """(eligible in canonical order, those without stock of any line, those at capacity)."""
    eligible: list[Candidate] = []
    no_stock: list[Candidate] = []
    no_capacity: list[Candidate] = []
    for c in candidates:
        if c.capacity_left is not None and c.capacity_left <= 0:
            no_capacity.append(c)
        elif any(c.available.get(sku, 0) > 0 for sku in demand):
            eligible.append(c)
        else:
            no_stock.append(c)
    eligible.sort(key=_nearest)
    return eligible, sorted(no_stock, key=_nearest), sorted(no_capacity, key=_nearest)


def _nearest(c: Candidate) -> tuple[float, str, int]:
    return (c.distance_km, c.code, c.location_id)


def _exclusion_reasons(
    total: int, kept: int, no_stock: list[Candidate], no_capacity: list[Candidate]
) -> list[str]:
    reasons = [f"considered {total} candidates, {kept} with stock of at least one line"]
    if no_stock:
        reasons.append(f"excluded for no stock of any line: {_codes(no_stock)}")
    if no_capacity:
        reasons.append(f"excluded for no capacity left today: {_codes(no_capacity)}")
    return reasons


def _codes(cs: Sequence[Candidate], shown: int = 5) -> str:
    names = ", ".join(c.code for c in cs[:shown])
    return names if len(cs) <= shown else f"{names} and {len(cs) - shown} more"


# --- filling from a chosen set of locations ---------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Fill:
    cost: float
    members: tuple[Candidate, ...]  # the locations used, nearest first
    assignments: tuple[Assignment, ...]


def _fill(
    members: Sequence[Candidate], lines: Sequence[SourcingLine], policy: SourcingPolicy, *, short: bool
) -> _Fill | None:
    """The cheapest way to fill ``lines`` from ``members`` (None when it cannot, unless ``short``).

    Lines of one SKU share a location's units. With ``short`` a line is filled as far as it can
    be (never splitting it when the policy forbids), and the rest is left to the shortfall.
    """
    left = {
        (c.location_id, sku): c.available.get(sku, 0) for c in members for sku in {ln.sku for ln in lines}
    }
    by_cost = sorted(members, key=lambda c: (c.cost_per_unit, c.distance_km, c.code))
    if not policy.split_lines and not short and len({ln.sku for ln in lines}) < len(lines):
        return _fill_whole_lines(by_cost, lines, left, policy)
    assignments: list[Assignment] = []
    unit_cost = 0
    for line in lines:
        whole = [c for c in by_cost if left[c.location_id, line.sku] >= line.quantity]
        picks: list[tuple[Candidate, int]] = []
        if not policy.split_lines:
            if whole:
                picks = [(whole[0], line.quantity)]
            elif short:
                best = max(by_cost, key=lambda c: left[c.location_id, line.sku])
                if left[best.location_id, line.sku] > 0:
                    picks = [(best, left[best.location_id, line.sku])]
            else:
                return None
        else:
            need = line.quantity
            for c in by_cost:
                take = min(need, left[c.location_id, line.sku])
                if take > 0:
                    picks.append((c, take))
                    need -= take
                if need == 0:
                    break
            if need > 0 and not short:
                return None
            # One parcel beats two when it costs no more.
            if len(picks) > 1 and whole:
                split_cost = sum(c.cost_per_unit * q for c, q in picks)
                if whole[0].cost_per_unit * line.quantity <= split_cost:
                    picks = [(whole[0], line.quantity)]
        for c, q in picks:
            left[c.location_id, line.sku] -= q
            unit_cost += c.cost_per_unit * q
            assignments.append(Assignment(line.line_ref, line.sku, c.location_id, c.code, q))
    return _priced(members, assignments, unit_cost, policy)


def _fill_whole_lines(
    by_cost: list[Candidate],
    lines: Sequence[SourcingLine],
    left: dict[tuple[int, str], int],
    policy: SourcingPolicy,
) -> _Fill | None:
    """Each line whole from one member, when several lines share a SKU (a small packing search).

    Largest lines are placed first; members are tried cheapest first, so the first of equally
    cheap packings wins and the answer is deterministic.
    """
    order = sorted(range(len(lines)), key=lambda i: -lines[i].quantity)
    choice: list[Candidate | None] = [None] * len(lines)
    best: tuple[int, list[Candidate | None]] | None = None

    def place(pos: int, cost: int) -> None:
        nonlocal best
        if best is not None and cost >= best[0]:
            return
        if pos == len(order):
            best = (cost, list(choice))
            return
        line = lines[order[pos]]
        for c in by_cost:
            if left[c.location_id, line.sku] >= line.quantity:
                left[c.location_id, line.sku] -= line.quantity
                choice[order[pos]] = c
                place(pos + 1, cost + c.cost_per_unit * line.quantity)
                left[c.location_id, line.sku] += line.quantity

    place(0, 0)
    if best is None:
        return None
    unit_cost, chosen = best
    assignments = [
        Assignment(line.line_ref, line.sku, c.location_id, c.code, line.quantity)
        for line, c in zip(lines, chosen, strict=True)
        if c is not None
    ]
    return _priced(by_cost, assignments, unit_cost, policy)


def _priced(
    members: Sequence[Candidate], assignments: list[Assignment], unit_cost: int, policy: SourcingPolicy
) -> _Fill:
    """The fill with its cost: each location used travels its distance once, plus unit costs."""
    used = {a.location_id for a in assignments}
    kept = tuple(c for c in sorted(members, key=_nearest) if c.location_id in used)
    cost = unit_cost + sum(c.distance_km * policy.km_cost for c in kept)
    return _Fill(cost, kept, tuple(assignments))


def _rank(fill: _Fill) -> tuple[float, tuple[float, ...], tuple[str, ...]]:
    return (fill.cost, tuple(c.distance_km for c in fill.members), tuple(c.code for c in fill.members))


# --- one location ---------------------------------------------------------------------------


def _best_single(
    eligible: list[Candidate],
    demand: Mapping[str, int],
    lines: Sequence[SourcingLine],
    policy: SourcingPolicy,
) -> _Fill | None:
    best: _Fill | None = None
    units = sum(demand.values())
    for c in eligible:
        if all(c.available.get(sku, 0) >= q for sku, q in demand.items()):
            cost = c.distance_km * policy.km_cost + c.cost_per_unit * units
            if best is None or (cost, c.distance_km, c.code) < _rank_single(best):
                best = _Fill(cost, (c,), ())
    if best is None:
        return None
    return _fill(best.members, lines, policy, short=False)


def _rank_single(fill: _Fill) -> tuple[float, float, str]:
    return (fill.cost, fill.members[0].distance_km, fill.members[0].code)


# --- several locations -----------------------------------------------------------------------

# Beyond this many kinds of candidate (distinct capped availability vectors) the exact search
# keeps the kinds that cover most units; orders of a few lines rarely get near it.
_MAX_KINDS = 120


@dataclass(slots=True)
class _Kinds:
    """Candidates grouped by what they hold of each SKU, capped at the demand (their "kind").

    Whether a set of locations can fill the order depends only on these vectors, so the search
    runs over multisets of kinds rather than sets of candidates. Each kind lists its members
    cheapest first. ``at_least[s][t]`` has bit i set when kind i holds >= t units of SKU s.
    """

    wanted: tuple[int, ...]
    vectors: list[tuple[int, ...]]
    members: list[list[Candidate]]
    at_least: list[list[int]]


def _group_kinds(eligible: list[Candidate], demand: Mapping[str, int], policy: SourcingPolicy) -> _Kinds:
    skus = tuple(demand)
    wanted = tuple(demand[s] for s in skus)
    grouped: dict[tuple[int, ...], list[tuple[tuple[float, float, str, int], Candidate]]] = {}
    for c in eligible:
        vector = tuple(min(c.available.get(s, 0), q) for s, q in zip(skus, wanted, strict=True))
        solo = (c.distance_km * policy.km_cost + c.cost_per_unit * sum(vector), *_nearest(c))
        grouped.setdefault(vector, []).append((solo, c))
    for ranked in grouped.values():
        ranked.sort(key=lambda pair: pair[0])
    vectors = sorted(grouped, key=lambda v: (-sum(v), grouped[v][0][0]))[:_MAX_KINDS]
    at_least = [[0] * (q + 1) for q in wanted]
    for i, v in enumerate(vectors):
        for s, units in enumerate(v):
            for t in range(1, units + 1):
                at_least[s][t] |= 1 << i
    return _Kinds(wanted, vectors, [[c for _, c in grouped[v]] for v in vectors], at_least)


def _best_split(
    kinds_: _Kinds, lines: Sequence[SourcingLine], policy: SourcingPolicy, k: int
) -> _Fill | None:
    """The cheapest plan over exactly ``k`` locations, or None when no ``k`` locations fill it.

    Each kind is represented by its cheapest members; the last location of a set is looked up
    with the bit masks, so pairs cost one AND per SKU.
    """
    vectors, kinds, at_least = kinds_.vectors, kinds_.members, kinds_.at_least
    everything = (1 << len(vectors)) - 1

    combos: list[tuple[int, ...]] = []

    def extend(start: int, chosen: tuple[int, ...], residual: tuple[int, ...]) -> None:
        if len(chosen) == k - 1:
            fits = everything
            for s, r in enumerate(residual):
                if r:
                    fits &= at_least[s][r]
            fits >>= start
            i = start
            while fits:
                if fits & 1 and chosen.count(i) < len(kinds[i]):
                    combos.append((*chosen, i))
                fits >>= 1
                i += 1
            return
        for i in range(start, len(vectors)):
            v = vectors[i]
            if chosen.count(i) >= len(kinds[i]) or not any(x and r for x, r in zip(v, residual, strict=True)):
                continue
            extend(i, (*chosen, i), tuple(max(0, r - x) for r, x in zip(residual, v, strict=True)))

    extend(0, (), kinds_.wanted)
    if not combos:
        return None

    def members_of(combo: tuple[int, ...]) -> tuple[Candidate, ...]:
        seen: dict[int, int] = {}
        out = []
        for i in combo:
            out.append(kinds[i][seen.get(i, 0)])
            seen[i] = seen.get(i, 0) + 1
        return tuple(out)

    # Cheapest first by the distance part, which bounds the total from below.
    sets = sorted(
        (members_of(c) for c in combos),
        key=lambda ms: (sum(m.distance_km for m in ms), sorted(_nearest(m) for m in ms)),
    )
    best: _Fill | None = None
    for ms in sets:
        if best is not None and sum(m.distance_km for m in ms) * policy.km_cost > best.cost:
            break
        fill = _fill(ms, lines, policy, short=False)
        if fill is not None and len(fill.members) == k and (best is None or _rank(fill) < _rank(best)):
            best = fill
    return best


# --- when nothing fills the order ----------------------------------------------------------------


def _best_effort(
    eligible: list[Candidate],
    demand: Mapping[str, int],
    lines: Sequence[SourcingLine],
    policy: SourcingPolicy,
) -> _Fill:
    """Greedy: add the location serving most of what is still missing, up to max_locations."""
    chosen: list[Candidate] = []
    current = _Fill(0.0, (), ())
    for _ in range(policy.max_locations):
        best: tuple[tuple[int, float, float, str], _Fill] | None = None
        missing = _missing(current, lines)
        taken = {m.location_id for m in chosen}
        for c in eligible:
            if c.location_id in taken or not any(c.available.get(sku, 0) > 0 for sku in missing):
                continue
            fill = _fill([*chosen, c], lines, policy, short=True)
            assert fill is not None
            units = sum(a.quantity for a in fill.assignments)
            key = (-units, fill.cost, c.distance_km, c.code)
            if best is None or key < best[0]:
                best = (key, fill)
        if best is None or -best[0][0] <= sum(a.quantity for a in current.assignments):
            break
        current = best[1]
        chosen = list(current.members)
    return current


def _missing(fill: _Fill, lines: Sequence[SourcingLine]) -> set[str]:
    served: dict[str, int] = {}
    for a in fill.assignments:
        served[a.line_ref] = served.get(a.line_ref, 0) + a.quantity
    return {line.sku for line in lines if served.get(line.line_ref, 0) < line.quantity}


# --- explanations ----------------------------------------------------------------------------


def _plan(
    fill: _Fill, shortfalls: tuple[Shortfall, ...], reasons: list[str], considered: int
) -> SourcingPlan:
    return SourcingPlan(
        assignments=fill.assignments,
        shortfalls=shortfalls,
        reasons=tuple(reasons),
        considered=considered,
        locations=tuple(c.code for c in fill.members),
    )


def _single_reasons(
    fill: _Fill,
    lines: Sequence[SourcingLine],
    eligible: list[Candidate],
    demand: Mapping[str, int],
    policy: SourcingPolicy,
) -> list[str]:
    chosen = fill.members[0]
    n = len(lines)
    reasons = [
        f"{chosen.code} fills all {n} line{'s' if n != 1 else ''} alone at {chosen.distance_km:.1f} km"
    ]
    rivals = [
        c for c in eligible if c is not chosen and all(c.available.get(s, 0) >= q for s, q in demand.items())
    ]
    if rivals:
        units = sum(demand.values())
        cost = chosen.distance_km * policy.km_cost + chosen.cost_per_unit * units
        nxt = min(
            rivals, key=lambda c: (c.distance_km * policy.km_cost + c.cost_per_unit * units, *_nearest(c))
        )
        nxt_cost = nxt.distance_km * policy.km_cost + nxt.cost_per_unit * units
        why = "cheaper" if cost < nxt_cost else "as cheap and nearer or first by code"
        reasons.append(
            f"chosen over {len(rivals)} other location{'s' if len(rivals) != 1 else ''} that could fill it "
            f"alone: {why} (cost {cost:.0f} against {nxt_cost:.0f} at {nxt.code})"
        )
    return reasons


def _split_reasons(fill: _Fill, lines: Sequence[SourcingLine]) -> list[str]:
    reasons = []
    for c in fill.members:
        parts = [
            f"line {a.line_ref} x{a.quantity}" for a in fill.assignments if a.location_id == c.location_id
        ]
        reasons.append(f"{c.code} at {c.distance_km:.1f} km serves {', '.join(parts)}")
    for line in lines:
        froms = [a for a in fill.assignments if a.line_ref == line.line_ref]
        if len(froms) > 1:
            split = ", ".join(f"{a.quantity} from {a.code}" for a in froms)
            reasons.append(
                f"line {line.line_ref} split ({split}): no location in the plan holds all {line.quantity}"
            )
    return reasons
