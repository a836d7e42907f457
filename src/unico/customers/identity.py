"""Identity resolution rules, as Segment Unify applies them. Pure: no I/O.

Three rules protect the identity graph (Segment, "Identity Resolution Settings"):

* **blocked values** - placeholders such as ``null``, ``anonymous`` or ``0000`` are never promoted
  to identifiers, so a hard-coded test value cannot merge thousands of people;
* **limits** - how many values of one kind a profile may hold (one ``user_id``, a few emails...);
* **priority** - when attaching or merging would break a limit, the lowest-priority identifier of
  the incoming set is demoted (not used for matching) and the match is tried again.

:func:`decide_stitch` is the flat matching logic: no matching profile -> create, one -> attach,
several -> merge them into the oldest.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

import phonenumbers

DEFAULT_PHONE_REGION = "IT"


class IdentifierKind(StrEnum):
    USER_ID = "user_id"
    EMAIL = "email"
    PHONE = "phone"
    LOYALTY_CARD = "loyalty_card"
    ERP_ID = "erp_id"
    SOCIAL = "social"
    RECEIPT_CODE = "receipt_code"
    DEVICE_ID = "device_id"
    ANONYMOUS_ID = "anonymous_id"


@dataclass(frozen=True)
class KindRule:
    """Priority (1 = strongest) and the most values of this kind one profile may hold."""

    priority: int
    limit: int | None  # None: unlimited


# user_id and email first, as Segment orders them; identifiers that name a person before those
# that name a device or a browser; receipts and anonymous ids are unlimited because a loyal
# customer collects many of them.
RULES: dict[IdentifierKind, KindRule] = {
    IdentifierKind.USER_ID: KindRule(1, 1),
    IdentifierKind.EMAIL: KindRule(2, 5),
    IdentifierKind.PHONE: KindRule(3, 5),
    IdentifierKind.LOYALTY_CARD: KindRule(4, 3),
    IdentifierKind.ERP_ID: KindRule(5, 1),
    IdentifierKind.SOCIAL: KindRule(6, 5),
    IdentifierKind.RECEIPT_CODE: KindRule(7, None),
    IdentifierKind.DEVICE_ID: KindRule(8, 10),
    IdentifierKind.ANONYMOUS_ID: KindRule(9, None),
}

BLOCKED_VALUES = frozenset(
    {
        "null",
        "none",
        "nil",
        "undefined",
        "anonymous",
        "unknown",
        "n/a",
        "na",
        "-1",
        "void",
        "abc123",
        "test",
        "test@test.com",
        "test@example.com",
        "noemail@noemail.com",
        "no@email.com",
    }
)
_ZEROES_AND_DASHES = re.compile(r"^[0\-\s]*$")  # Segment's suggested pattern ^[0-]*$
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MAX_VALUE_LENGTH = 254


@dataclass(frozen=True, order=True)
class Identifier:
    kind: str
    value: str


def is_blocked(value: str) -> bool:
    """True for placeholders that must never join two people (checked before normalising too)."""
    cleaned = value.strip().lower()
    return not cleaned or cleaned in BLOCKED_VALUES or bool(_ZEROES_AND_DASHES.match(cleaned))


def normalise_identifier(kind: str, value: object) -> str | None:
    """The canonical form of an identifier, or None when it is blocked, malformed or of no known kind.

    Emails are trimmed and lower-cased (dots in Gmail addresses are kept: they are the customer's
    choice, not ours); phones become E.164 (default region IT); cards and receipt codes drop spaces
    and are upper-cased; social handles lose a leading ``@`` and are lower-cased.
    """
    if kind not in RULES or value is None or isinstance(value, bool):
        return None
    if not isinstance(value, str | int):
        return None
    text = str(value).strip()
    if is_blocked(text) or len(text) > MAX_VALUE_LENGTH:
        return None
    if kind == IdentifierKind.EMAIL:
        text = text.lower()
        return text if _EMAIL.match(text) and text not in BLOCKED_VALUES else None
    if kind == IdentifierKind.PHONE:
        return _normalise_phone(text)
    if kind in (IdentifierKind.LOYALTY_CARD, IdentifierKind.RECEIPT_CODE):
        text = re.sub(r"\s+", "", text).upper()
    elif kind == IdentifierKind.SOCIAL:
        text = text.lstrip("@").lower()
    return None if is_blocked(text) else text


def _normalise_phone(text: str) -> str | None:
    try:
        number = phonenumbers.parse(text, DEFAULT_PHONE_REGION)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return None if is_blocked(e164.lstrip("+")) else e164


def normalise_identifiers(pairs: Iterable[tuple[str, object]]) -> list[Identifier]:
    """Normalised identifiers from ``(kind, value)`` pairs, blocked ones left out, duplicates once,
    strongest first."""
    seen: set[Identifier] = set()
    for kind, value in pairs:
        normal = normalise_identifier(kind, value)
        if normal is not None:
            seen.add(Identifier(kind, normal))
    return sort_by_priority(seen)


def priority(kind: str) -> int:
    return RULES[IdentifierKind(kind)].priority


def limit(kind: str) -> int | None:
    return RULES[IdentifierKind(kind)].limit


def sort_by_priority(identifiers: Iterable[Identifier]) -> list[Identifier]:
    return sorted(identifiers, key=lambda i: (priority(i.kind), i.value))


# --- the stitching decision -------------------------------------------------------------------


@dataclass(frozen=True)
class Holding:
    """What one existing profile holds: identifier counts per kind, and its age (smaller = older)."""

    counts: Mapping[str, int]
    age: int


@dataclass(frozen=True)
class StitchDecision:
    """``create``: a new profile with ``add``; ``attach``: add ``add`` to ``profile``; ``merge``: merge
    ``merge`` into ``profile`` then add ``add``; ``none``: nothing usable came in.
    ``dropped`` are the incoming identifiers demoted to respect the limits (not stored anywhere)."""

    action: str
    profile: str | None = None
    merge: tuple[str, ...] = ()
    add: tuple[Identifier, ...] = ()
    dropped: tuple[Identifier, ...] = field(default=())


def decide_stitch(
    incoming: Iterable[Identifier],
    owners: Mapping[Identifier, str],
    holdings: Mapping[str, Holding],
    anchor: str | None = None,
) -> StitchDecision:
    """Where an event or record with ``incoming`` identifiers belongs.

    ``owners`` maps each incoming identifier already in the graph to its profile; ``holdings``
    describes every such profile (and ``anchor``, a profile the identifiers are being added to,
    which always takes part). Identifiers are tried strongest first; while the profile that
    would result breaks a limit, the weakest remaining identifier is dropped and matching is
    tried again, exactly as Segment demotes lower-priority identifiers.
    """
    kept = sort_by_priority(set(incoming))
    dropped: list[Identifier] = []
    while kept and (over := _kinds_over_limit(kept, owners, holdings, anchor)):
        # Only an identifier that brings in a profile, or one more value of a kind over its limit,
        # can be the cause; the weakest of those gives way (a fresh anonymous id never does).
        culprits = [i for i in kept if i in owners or i.kind in over]
        weakest = culprits[-1] if culprits else kept[-1]
        kept.remove(weakest)
        dropped.append(weakest)
    if not kept and anchor is None:
        return StitchDecision("none", dropped=tuple(dropped))
    candidates = {owners[i] for i in kept if i in owners} | ({anchor} if anchor else set())
    matched = sorted(candidates, key=lambda p: (holdings[p].age, p))
    new = tuple(i for i in kept if i not in owners)
    if not matched:
        return StitchDecision("create", add=new, dropped=tuple(dropped))
    survivor, others = matched[0], tuple(matched[1:])
    action = "merge" if others else "attach"
    return StitchDecision(action, profile=survivor, merge=others, add=new, dropped=tuple(dropped))


def _kinds_over_limit(
    kept: list[Identifier],
    owners: Mapping[Identifier, str],
    holdings: Mapping[str, Holding],
    anchor: str | None,
) -> set[str]:
    """Kinds of which the profile made of ``kept`` plus every profile they match would hold too many.

    A profile that already holds more than a limit allows (a manual merge may do that) is not
    itself a violation: only growth beyond both the limit and what one profile holds counts."""
    matched = {owners[i] for i in kept if i in owners} | ({anchor} if anchor else set())
    totals: dict[str, int] = {}
    for profile in matched:
        for kind, count in holdings[profile].counts.items():
            totals[kind] = totals.get(kind, 0) + count
    for identifier in kept:
        if identifier not in owners:
            totals[identifier.kind] = totals.get(identifier.kind, 0) + 1
    over: set[str] = set()
    for kind, total in totals.items():
        cap = limit(kind) if kind in RULES else None
        if cap is None or total <= cap:
            continue
        if total > max((holdings[p].counts.get(kind, 0) for p in matched), default=0):
            over.add(kind)
    return over


# --- identifiers carried by a Segment message -------------------------------------------------

# A till or a kiosk is shared by every customer who walks up to it: its anonymous id names the
# device, not a person, so it never stitches (Segment's "shared iPad" warning).
SHARED_DEVICE_SOURCES = frozenset({"pos", "kiosk"})
_TRAIT_KINDS = {
    "email": IdentifierKind.EMAIL,
    "phone": IdentifierKind.PHONE,
    "loyalty_card": IdentifierKind.LOYALTY_CARD,
    "loyaltyCard": IdentifierKind.LOYALTY_CARD,
    "erp_id": IdentifierKind.ERP_ID,
    "erpId": IdentifierKind.ERP_ID,
}
ETICKET_CODE_PROPERTIES = ("code", "eticket_code", "receipt_code")


def identifiers_of_message(
    *,
    source_kind: str,
    user_id: str | None,
    anonymous_id: str | None,
    traits: Mapping[str, object] | None,
    context: Mapping[str, object] | None,
) -> list[tuple[str, object]]:
    """The ``(kind, value)`` pairs a tracking message carries, before normalisation: ``userId``,
    ``anonymousId`` (not from shared devices), identifier traits (``email``, ``phone``,
    ``loyalty_card``...) from ``traits`` or ``context.traits``, ``context.device.id`` and
    ``context.externalIds`` entries of a known kind."""
    pairs: list[tuple[str, object]] = []
    if user_id is not None:
        pairs.append((IdentifierKind.USER_ID, user_id))
    if anonymous_id is not None and source_kind not in SHARED_DEVICE_SOURCES:
        pairs.append((IdentifierKind.ANONYMOUS_ID, anonymous_id))
    context = context or {}
    for bag in (traits or {}, context.get("traits") or {}):
        if isinstance(bag, Mapping):
            pairs.extend((kind, bag[key]) for key, kind in _TRAIT_KINDS.items() if key in bag)
    device = context.get("device")
    if (
        isinstance(device, Mapping)
        and device.get("id") is not None
        and source_kind not in SHARED_DEVICE_SOURCES
    ):
        pairs.append((IdentifierKind.DEVICE_ID, device["id"]))
    external = context.get("externalIds")
    if isinstance(external, list):
        for entry in external:
            if isinstance(entry, Mapping) and entry.get("type") in RULES:
                pairs.append((str(entry["type"]), entry.get("id")))
    return pairs
