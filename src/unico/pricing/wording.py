"""Explanations of quote adjustments and coupon rejections, in English and Italian.

Money is written as a shopper reads it: "€1,234.50" in English, "1.234,50 €" in Italian.
"""

from __future__ import annotations

from functools import lru_cache

from unico.pricing.model import Promotion, PromotionKind, Target

MAX_TARGET_NAMES = 3

# reason key -> (English, Italian); "{x}" placeholders are filled by ``rejection``.
REASONS: dict[str, tuple[str, str]] = {
    "unavailable": ("promotion not available", "promozione non disponibile"),
    "inactive": ("promotion not active", "promozione non attiva"),
    "not_yet": ("promotion not started yet", "promozione non ancora iniziata"),
    "ended": ("promotion ended", "promozione terminata"),
    "channel": ("not valid in this channel", "non valida in questo canale"),
    "store": ("not valid in this store", "non valida in questo negozio"),
    "members_only": ("for loyalty members only", "riservata ai soci del programma fedeltà"),
    "tier": ("not available for your loyalty tier", "non disponibile per il tuo livello fedeltà"),
    "no_items": ("no eligible items in the cart", "nessun articolo idoneo nel carrello"),
    "claimed": (
        "eligible items already discounted by a non-combinable promotion",
        "articoli idonei già scontati da una promozione non cumulabile",
    ),
    "threshold": (
        "spend at least {en} on eligible items",
        "spesa minima di {it} su articoli idonei",
    ),
    "quantity": ("add at least {n} eligible items", "aggiungi almeno {n} articoli idonei"),
    "no_saving": ("no saving on these items", "nessun risparmio su questi articoli"),
    "no_delivery": ("no delivery fee to waive", "nessuna spesa di consegna da azzerare"),
    "budget": ("promotion budget exhausted", "budget della promozione esaurito"),
    "duplicate": ("coupon already applied", "coupon già applicato"),
}


def money_en(amount: int) -> str:
    """Euro amount in English: "€12.90", "-€1,234.50"."""
    sign = "-" if amount < 0 else ""
    euros, cents = divmod(-amount if sign else amount, 100)
    if euros < 1000:
        return f"{sign}€{euros}.{cents:02d}"
    return f"{sign}€{euros:,}.{cents:02d}"


def money_it(amount: int) -> str:
    """Euro amount in Italian: "12,90 €", "-1.234,50 €"."""
    sign = "-" if amount < 0 else ""
    euros, cents = divmod(-amount if sign else amount, 100)
    if euros < 1000:
        return f"{sign}{euros},{cents:02d} €"
    return f"{sign}{euros:,}".replace(",", ".") + f",{cents:02d} €"


def percent(bp: int, decimal_mark: str) -> str:
    """Basis points as a percentage: 1000 -> "10%", 1250 -> "12.5%" (or "12,5%")."""
    whole, fraction = divmod(bp, 100)
    if not fraction:
        return f"{whole}%"
    return f"{whole}{decimal_mark}{f'{fraction:02d}'.rstrip('0')}%"


def target_names(target: Target) -> str:
    """The target's category, brand and SKU codes (at most three, then "+N"); "" for all."""
    names = sorted(target.categories) + sorted(target.brands) + sorted(target.skus)
    if len(names) > MAX_TARGET_NAMES:
        return ", ".join(names[:MAX_TARGET_NAMES]) + f" +{len(names) - MAX_TARGET_NAMES}"
    return ", ".join(names)


def rejection(key: str, *, threshold: int = 0, quantity: int = 0) -> tuple[str, str]:
    """The English and Italian reason for a rejected coupon."""
    en, it = REASONS[key]
    values = {"en": money_en(threshold), "it": money_it(threshold), "n": quantity}
    return en.format(**values), it.format(**values)


def explain(
    promotion: Promotion,
    *,
    amount: int,
    lines: int,
    value: int | None,
    coupon: str | None,
    capped: bool,
) -> tuple[str, str]:
    """One adjustment in words: "SALDI10: 10% off Running (3 lines), -€12.90" and Italian.

    ``value`` is the figure the discount was computed with (a coupon's own value replaces the
    promotion's amount); ``capped`` says the budget or a voucher's value limited it.
    """
    p = promotion
    if coupon:
        en, it = _phrases(p, lines, value, capped, f"{p.code} (coupon {coupon})")
    else:
        key = (id(p), lines, value, capped)
        cached = _PHRASES.get(key)
        if cached is not None and cached[0] is p:
            en, it = cached[1], cached[2]
        else:
            en, it = _phrases(p, lines, value, capped, p.code)
            if len(_PHRASES) >= _PHRASES_KEPT:
                _PHRASES.clear()
            _PHRASES[key] = (p, en, it)
    if 0 < amount < 100000:  # the usual case, written at once: -€12.90 / -12,90 €
        euros, cents = divmod(amount, 100)
        return f"{en}, -€{euros}.{cents:02d}", f"{it}, -{euros},{cents:02d} €"
    return f"{en}, {money_en(-amount)}", f"{it}, {money_it(-amount)}"


# (id of the promotion, lines, value, capped) -> (the promotion, English, Italian) without the
# amount: the same few hundred promotions are explained on every quote. Each entry holds its
# promotion, so an id is never mistaken for another's; cleared when full.
_PHRASES: dict[tuple[int, int, int | None, bool], tuple[Promotion, str, str]] = {}
_PHRASES_KEPT = 20000


def _phrases(p: Promotion, lines: int, value: int | None, capped: bool, head: str) -> tuple[str, str]:
    """``explain`` up to the amount: "SALDI10: 10% off Running (3 lines)" and Italian."""
    kind = p.kind
    target = p.target
    en, it = describe(
        kind,
        p.percent_bp,
        value,
        p.threshold,
        p.buy_quantity,
        p.get_quantity,
        p.bundle_quantity,
        target.skus,
        target.categories,
        target.brands,
    )
    if kind is not PromotionKind.FREE_DELIVERY:
        if lines == 1:
            en, it = f"{en} (1 line)", f"{it} (1 riga)"
        else:
            en, it = f"{en} ({lines} lines)", f"{it} ({lines} righe)"
    if capped:
        en, it = f"{en}, capped", f"{it}, con limite"
    return f"{head}: {en}", f"{head}: {it}"


@lru_cache(maxsize=4096)
def describe(
    kind: PromotionKind,
    percent_bp: int | None,
    value: int | None,
    threshold: int | None,
    buy_quantity: int | None,
    get_quantity: int | None,
    bundle_quantity: int | None,
    skus: frozenset[str],
    categories: frozenset[str],
    brands: frozenset[str],
) -> tuple[str, str]:
    """What a promotion gives, in English and Italian: "10% off running" (cached by value: the
    same few hundred promotions are described on every quote; the target comes as its three
    sets, whose hashes Python keeps)."""
    names = target_names(Target(skus, categories, brands))
    on_en, on_it = (f" {names}", f" {names}") if names else (" everything", " tutto")
    if kind is PromotionKind.PERCENT_OFF:
        return (
            f"{percent(percent_bp or 0, '.')} off{on_en}",
            f"sconto {percent(percent_bp or 0, ',')} su{on_it}",
        )
    if kind is PromotionKind.AMOUNT_OFF:
        return (
            f"{money_en(value or 0)} off each item of{on_en}",
            f"{money_it(value or 0)} di sconto a pezzo su{on_it}",
        )
    if kind is PromotionKind.SPEND_GET:
        got_en = money_en(value) if value is not None else percent(percent_bp or 0, ".")
        got_it = money_it(value) if value is not None else percent(percent_bp or 0, ",")
        if threshold:
            return (
                f"spend {money_en(threshold)} on{on_en}, get {got_en} off",
                f"spendi {money_it(threshold)} su{on_it}, sconto di {got_it}",
            )
        return f"{got_en} off{on_en}", f"sconto di {got_it} su{on_it}"
    if kind is PromotionKind.BUY_X_GET_Y:
        bp = percent_bp if percent_bp is not None else 10000
        buy, get = buy_quantity or 1, get_quantity or 1
        if bp >= 10000:
            return f"buy {buy} get {get} free on{on_en}", f"compra {buy}, {get} in omaggio su{on_it}"
        return (
            f"buy {buy} get {get} at {percent(bp, '.')} off on{on_en}",
            f"compra {buy}, {get} scontati del {percent(bp, ',')} su{on_it}",
        )
    if kind is PromotionKind.BUNDLE_PRICE:
        return (
            f"{bundle_quantity} for {money_en(value or 0)} on{on_en}",
            f"{bundle_quantity} a {money_it(value or 0)} su{on_it}",
        )
    if threshold:
        return f"free delivery over {money_en(threshold)}", f"consegna gratuita sopra {money_it(threshold)}"
    return "free delivery", "consegna gratuita"
