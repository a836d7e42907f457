"""The coherence audit: at a moment, every SKU whose price or promotions differ between channels
or stores, and whether an explicit rule justifies the difference.

A difference comes from one of two rules:

- an *override* (a channel and/or store price) that is the price the engine uses where it
  applies and differs from the *reference price* (what a channel without such a rule pays: the
  list price, or an override for every channel and store). It is justified when it states a
  reason; a store price pushed by a till or an import without a reason (see
  :func:`unico.pricing.prices.record_store_price_in`) is **unjustified**;
- a live *promotion restricted to channels or stores*: it is explicit by construction, so it is
  always justified; it is listed for each SKU it targets so the report shows every difference.

``audit_coherence(..., emit=True)`` records one ``pricing.incoherence_detected`` event per
unjustified finding the first time it is seen (its fingerprint is kept in ``price_audits``).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection

from unico.access.model import Permission, Principal
from unico.core import clock
from unico.core.db import Database
from unico.core.errors import ValidationFailed
from unico.core.events import DomainEvent, record_event
from unico.pricing import engine
from unico.pricing.allocation import div_half_even
from unico.pricing.book import list_prices_in
from unico.pricing.model import Cart, CartLine, ListPrice, PriceBook, PriceOverride, Promotion, PromotionKind
from unico.pricing.promotions import live_promotions_in
from unico.pricing.store import list_prices, price_audits, price_overrides


@dataclass(frozen=True)
class CoherenceFinding:
    """One rule that makes a SKU's price or promotions differ between channels or stores."""

    sku: str
    channel: str | None  # the channel(s) the rule applies to, comma-separated; None = any
    store: str | None  # the store(s), comma-separated; None = any
    effective_price: int  # unit price there (after the promotion's per-unit discount, if any)
    list_price: int
    reference_price: int  # what a channel or store without such a rule pays
    difference: int  # effective_price - reference_price
    cause: str  # "override" | "promotion"
    rule: str  # the override id or the promotion code
    justified: bool
    reason: str | None  # the override's reason or the promotion's explicit restriction
    source: str | None  # of an override: api | pos_sync | import
    fingerprint: str


@dataclass(frozen=True)
class CoherenceReport:
    at: datetime
    findings: tuple[CoherenceFinding, ...]  # unjustified first, then by SKU
    new_findings: int = 0  # unjustified findings first recorded by this run (events emitted)

    @property
    def unjustified(self) -> tuple[CoherenceFinding, ...]:
        return tuple(f for f in self.findings if not f.justified)

    @property
    def skus(self) -> int:
        return len({f.sku for f in self.findings})


@dataclass(frozen=True)
class _Override:
    rule: PriceOverride
    source: str
    reason: str | None


def _fingerprint(*parts: Any) -> str:
    return hashlib.sha256("|".join("" if p is None else str(p) for p in parts).encode()).hexdigest()


def _valid_overrides(conn: Connection, at: datetime) -> list[_Override]:
    rows = conn.execute(
        select(price_overrides)
        .where(
            price_overrides.c.valid_from.is_(None) | (price_overrides.c.valid_from <= at),
            price_overrides.c.valid_to.is_(None) | (price_overrides.c.valid_to > at),
        )
        .order_by(price_overrides.c.override_id)
    )
    return [
        _Override(
            PriceOverride(
                override_id=r.override_id,
                sku=r.sku,
                amount=r.amount_minor,
                reason=r.reason or "",
                channel=r.channel,
                store=r.store,
                valid_from=r.valid_from,
                valid_to=r.valid_to,
            ),
            r.source,
            r.reason.strip() if r.reason and r.reason.strip() else None,
        )
        for r in rows
    ]


def _reference(price: ListPrice, overrides: list[_Override]) -> int:
    """What a channel and store without their own rule pay: an override for everyone, else list."""
    general = [o.rule for o in overrides if o.rule.channel is None and o.rule.store is None]
    return min(general, key=lambda o: o.override_id).amount if general else price.amount


def _in_force(price: ListPrice, rule: PriceOverride, overrides: list[_Override], at: datetime) -> bool:
    """Whether the engine prices with ``rule`` where it applies (not shadowed by another rule)."""
    channel = rule.channel or ("store" if rule.store is not None else "web")
    cart = Cart(lines=(CartLine(price.sku, 1),), channel=channel, at=at, store=rule.store)
    book = PriceBook(prices={price.sku: price}, overrides=tuple(o.rule for o in overrides))
    return engine.quote(cart, book).lines[0].price_source == f"override:{rule.override_id}"


def _override_findings(
    prices: dict[str, ListPrice], overrides: list[_Override], at: datetime
) -> list[CoherenceFinding]:
    by_sku: dict[str, list[_Override]] = {}
    for o in overrides:
        by_sku.setdefault(o.rule.sku, []).append(o)
    found = []
    for sku, mine in sorted(by_sku.items()):
        price = prices.get(sku)
        if price is None:
            continue
        reference = _reference(price, mine)
        for o in mine:
            rule = o.rule
            if (rule.channel is None and rule.store is None) or rule.amount == reference:
                continue
            if not _in_force(price, rule, mine, at):
                continue
            found.append(
                CoherenceFinding(
                    sku=sku,
                    channel=rule.channel,
                    store=rule.store,
                    effective_price=rule.amount,
                    list_price=price.amount,
                    reference_price=reference,
                    difference=rule.amount - reference,
                    cause="override",
                    rule=rule.override_id,
                    justified=o.reason is not None,
                    reason=o.reason,
                    source=o.source,
                    fingerprint=_fingerprint(
                        sku, rule.channel, rule.store, "override", rule.override_id, rule.amount, reference
                    ),
                )
            )
    return found


def _targets(p: Promotion, price: ListPrice) -> bool:
    t = p.target
    if not (t.skus or t.categories or t.brands):
        return True
    return price.sku in t.skus or price.brand in t.brands or not t.categories.isdisjoint(price.categories)


def _unit_after(p: Promotion, unit: int) -> int:
    if p.kind is PromotionKind.PERCENT_OFF and p.percent_bp is not None:
        return unit - div_half_even(unit * p.percent_bp, 10000)
    if p.kind is PromotionKind.AMOUNT_OFF and p.amount is not None:
        return max(0, unit - p.amount)
    return unit  # conditional on the cart (thresholds, quantities): no per-unit figure


def _promotion_findings(
    prices: dict[str, ListPrice], overrides: list[_Override], restricted: list[Promotion]
) -> list[CoherenceFinding]:
    by_sku: dict[str, list[_Override]] = {}
    for o in overrides:
        by_sku.setdefault(o.rule.sku, []).append(o)
    found = []
    for p in sorted(restricted, key=lambda x: x.code):
        channels = ",".join(sorted(p.channels)) or None
        stores = ",".join(sorted(p.stores)) or None
        where = "; ".join(
            x for x in (f"channels {channels}" if channels else "", f"stores {stores}" if stores else "") if x
        )
        for sku in sorted(prices):
            price = prices[sku]
            if not _targets(p, price):
                continue
            reference = _reference(price, by_sku.get(sku, []))
            effective = _unit_after(p, reference)
            found.append(
                CoherenceFinding(
                    sku=sku,
                    channel=channels,
                    store=stores,
                    effective_price=effective,
                    list_price=price.amount,
                    reference_price=reference,
                    difference=effective - reference,
                    cause="promotion",
                    rule=p.code,
                    justified=True,
                    reason=f"{p.code}: {p.name} (only {where})",
                    source=None,
                    fingerprint=_fingerprint(
                        sku, channels, stores, "promotion", p.code, effective, reference
                    ),
                )
            )
    return found


def coherence_findings_in(conn: Connection, at: datetime) -> list[CoherenceFinding]:
    """Every finding at ``at``: unjustified first, then by SKU, cause, channel, store."""
    overrides = _valid_overrides(conn, at)
    restricted = [p for p in live_promotions_in(conn, at) if p.channels or p.stores]
    skus = {o.rule.sku for o in overrides}
    if any(p.target.categories or p.target.brands or not p.target.skus for p in restricted):
        skus |= set(conn.execute(select(list_prices.c.sku)).scalars())
    else:
        skus |= {s for p in restricted for s in p.target.skus}
    prices = list_prices_in(conn, skus)
    found = _override_findings(prices, overrides, at) + _promotion_findings(prices, overrides, restricted)
    return sorted(found, key=lambda f: (f.justified, f.sku, f.cause, f.channel or "", f.store or "", f.rule))


def _payload(f: CoherenceFinding, at: datetime) -> dict[str, Any]:
    return {
        "sku": f.sku,
        "channel": f.channel,
        "store": f.store,
        "effective_price": f.effective_price,
        "list_price": f.list_price,
        "reference_price": f.reference_price,
        "difference": f.difference,
        "cause": f.cause,
        "rule": f.rule,
        "source": f.source,
        "reason": f.reason,
        "fingerprint": f.fingerprint,
        "at": at.isoformat(),
    }


def _record_new(conn: Connection, findings: list[CoherenceFinding], at: datetime) -> int:
    """Store unseen unjustified findings and record one event for each; returns how many."""
    insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    new = 0
    for f in findings:
        if f.justified:
            continue
        stored = conn.execute(
            insert(price_audits)
            .values(
                fingerprint=f.fingerprint,
                sku=f.sku,
                channel=f.channel,
                store=f.store,
                finding=_payload(f, at),
                event_id="",
                first_seen_at=clock.now(),
            )
            .on_conflict_do_nothing(index_elements=["fingerprint"])
            .returning(price_audits.c.id)
        ).first()
        if stored is None:
            continue
        event_id = record_event(
            conn, DomainEvent("pricing.incoherence_detected", "sku", f.sku, _payload(f, at))
        )
        conn.execute(
            price_audits.update().where(price_audits.c.fingerprint == f.fingerprint).values(event_id=event_id)
        )
        new += 1
    return new


def audit_coherence(
    db: Database, at: datetime | None = None, *, emit: bool = True, principal: Principal | None = None
) -> CoherenceReport:
    """The coherence report at ``at`` (now by default). With ``emit``, each unjustified finding
    not seen before is stored and announced by a ``pricing.incoherence_detected`` event."""
    if principal is not None:
        principal.require(Permission.PRICING_MANAGE if emit else Permission.PRICING_READ)
    if at is not None and at.tzinfo is None:
        raise ValidationFailed("at must carry a time zone", code="pricing.invalid_time", field="at")
    at = at or clock.now()
    if not emit:
        with db.read() as conn:
            return CoherenceReport(at=at, findings=tuple(coherence_findings_in(conn, at)))
    with db.write() as conn:
        findings = coherence_findings_in(conn, at)
        return CoherenceReport(at=at, findings=tuple(findings), new_findings=_record_new(conn, findings, at))
