"""Importing legacy customers (CRM exports, paper sign-ups): identifiers first, then matching.

Each valid row lands in exactly one outcome:

* **matched by identifier** - it shares an email, phone, loyalty card or ERP number with a known
  profile or with an earlier row of the file: deterministic stitching (``find_or_create_profile``);
* **merged automatically** - no shared identifier, but the model finds an existing profile (or an
  earlier row) to be the same person with probability >= ``AUTO_MERGE_PROBABILITY`` and the
  dates of birth do not disagree: a profile is created for the row and merged into that one,
  the evidence (score, per-field levels and weights) audited on the merge;
* **sent to review** - the best candidate is in the uncertain band: the row gets its own profile
  and a pending ``match_reviews`` entry proposes the merge to a person;
* **created** - nobody close enough: a new profile.

Bad rows are rejected by line number with the column at fault (never its value: rejection
reasons are stored, and they must not hold personal data). Valid rows are applied even when
others are rejected; a bad header is refused earlier, by the reader.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import date, datetime
from typing import Any

from sqlalchemy import select, tuple_
from sqlalchemy.engine import Connection

from unico.core import clock
from unico.core.db import Database
from unico.core.errors import UnicoError, ValidationFailed
from unico.core.events import DomainEvent, record_event
from unico.core.ids import new_id
from unico.customers import matching
from unico.customers.graph import create_profile_row
from unico.customers.identity import is_blocked
from unico.customers.matching import Decision, MatchRecord, ScoredPair
from unico.customers.matching_store import customer_imports, match_reviews
from unico.customers.service import (
    find_or_create_profile,
    merge_profiles,
    normalise_identifier,
    resolve_profile_id,
)
from unico.customers.store import customer_identifiers, customer_profiles

FIELDS = (
    "first_name",
    "last_name",
    "email",
    "phone",
    "date_of_birth",
    "address",
    "postcode",
    "city",
    "loyalty_card",
    "erp_id",
)
IDENTIFIER_FIELDS = ("email", "phone", "loyalty_card", "erp_id")
NAME_FIELDS = ("first_name", "last_name")
MAX_TEXT = 200
CHUNK = 200
ACTOR = "system:customer-import"
INVALID = "import.invalid_value"
_DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d.%m.%Y", "%d-%m-%Y", "%Y%m%d")
_POSTCODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 \-]{1,11}$")


@dataclass(frozen=True)
class CustomerRow:
    line: int
    identifiers: dict[str, str]  # kind -> normalised value
    traits: dict[str, str]  # first_name, last_name, birthday (ISO), address, postcode, city, email, phone


@dataclass(frozen=True)
class RejectedRow:
    line: int
    code: str
    reason: str


@dataclass
class CustomerImportReport:
    import_id: str = ""
    rows: int = 0
    created: int = 0
    matched_by_identifier: int = 0
    merged_automatically: int = 0
    sent_to_review: int = 0
    rejected: list[RejectedRow] = field(default_factory=list)

    def add(self, outcome: Counter[str]) -> None:
        self.created += outcome["created"]
        self.matched_by_identifier += outcome["matched_by_identifier"]
        self.merged_automatically += outcome["merged_automatically"]
        self.sent_to_review += outcome["sent_to_review"]

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "rejected": [asdict(r) for r in self.rejected]}


# -- checking rows ------------------------------------------------------------------------------


def check_row(line: int, raw: Mapping[str, str]) -> CustomerRow:
    """A row (canonical column names, see ``FIELDS``) validated and normalised.

    Identifiers are normalised as the identity graph stores them; a placeholder value
    (``null``, ``0000``) is dropped, as tracking drops it, but a malformed email or phone rejects
    the row. A row needs a name or an identifier.
    """
    if set(raw) - set(FIELDS):
        raise ValidationFailed(
            "the row has more values than the header has columns", code="import.bad_row", field="row"
        )
    values = {k: (raw.get(k) or "").strip() for k in FIELDS}
    for name, value in values.items():
        if len(value) > MAX_TEXT:
            raise ValidationFailed(f"{name} is longer than {MAX_TEXT} characters", code=INVALID, field=name)
    identifiers: dict[str, str] = {}
    for kind in IDENTIFIER_FIELDS:
        value = values[kind]
        if not value or is_blocked(value):
            continue
        normal = normalise_identifier(kind, value)
        if normal is None:
            raise ValidationFailed(
                f"{kind} is not a valid {kind.replace('_', ' ')}", code=INVALID, field=kind
            )
        identifiers[kind] = normal
    traits = {k: values[k] for k in ("first_name", "last_name", "address", "postcode", "city") if values[k]}
    if values["postcode"] and not _POSTCODE.match(values["postcode"]):
        raise ValidationFailed("postcode is not a postcode", code=INVALID, field="postcode")
    if values["date_of_birth"]:
        traits["birthday"] = _parse_birthday(values["date_of_birth"]).isoformat()
    for kind in ("email", "phone"):
        if kind in identifiers:
            traits[kind] = identifiers[kind]
    if not identifiers and not any(values[k] for k in NAME_FIELDS):
        raise ValidationFailed(
            "the row has no name and no identifier", code="import.empty_row", field="first_name"
        )
    return CustomerRow(line=line, identifiers=identifiers, traits=traits)


def _parse_birthday(text: str) -> date:
    for fmt in _DATE_FORMATS:
        try:
            born = datetime.strptime(text, fmt).date()
        except ValueError:
            continue
        if not date(1900, 1, 1) <= born <= clock.now().date():
            raise ValidationFailed("date_of_birth is out of range", code=INVALID, field="date_of_birth")
        return born
    raise ValidationFailed(
        "date_of_birth is not a date (YYYY-MM-DD or DD/MM/YYYY)", code=INVALID, field="date_of_birth"
    )


# -- the use case -------------------------------------------------------------------------------


@dataclass
class _Group:
    """Rows of the file that share identifiers: one person, whatever else happens."""

    rows: list[CustomerRow]
    known: bool = False  # an identifier is already in the graph

    @property
    def key(self) -> str:
        return f"row:{self.rows[0].line}"

    def traits(self) -> dict[str, str]:
        merged: dict[str, str] = {}
        for row in self.rows:
            for k, v in row.traits.items():
                merged.setdefault(k, v)
        return merged


def import_customers(
    db: Database,
    rows: Sequence[tuple[int, Mapping[str, str]]],
    *,
    filename: str,
    digest: str,
    actor: str = ACTOR,
    model: Mapping[str, Any] | None = None,
    on_progress: Callable[[int], None] = lambda _n: None,
) -> CustomerImportReport:
    """Import customer rows (line number, canonical columns); see the module docstring."""
    report = CustomerImportReport(import_id=new_id("imp"), rows=len(rows))
    started = clock.now()
    valid: list[CustomerRow] = []
    for line, raw in rows:
        try:
            valid.append(check_row(line, raw))
        except UnicoError as exc:
            report.rejected.append(RejectedRow(line, exc.code, exc.message))
    on_progress(len(rows) - len(valid))
    source = f"import:{report.import_id}"[:40]
    groups = _group_by_identifiers(valid)
    with db.read() as conn:
        _mark_known(conn, groups)
        existing = _existing_records(conn)
    fresh = [g for g in groups if not g.known]
    best = _best_candidates(existing, fresh, model)
    profile_of: dict[str, str] = {}
    for start in range(0, len(groups), CHUNK):
        chunk = groups[start : start + CHUNK]
        with db.write() as conn:
            for group in chunk:
                try:
                    with conn.begin_nested():
                        profile_id, outcome = _apply(
                            conn, group, best.get(group.key), profile_of, source, actor
                        )
                except UnicoError as exc:  # e.g. an identifier limit: these rows only
                    report.rejected.extend(RejectedRow(r.line, exc.code, exc.message) for r in group.rows)
                    continue
                profile_of[group.key] = profile_id
                report.add(outcome)
        on_progress(sum(len(g.rows) for g in chunk))
    report.rejected.sort(key=lambda r: r.line)
    with db.write() as conn:
        _record_import(conn, report, filename, digest, actor, started)
    return report


def _group_by_identifiers(rows: list[CustomerRow]) -> list[_Group]:
    """Union rows that share a (kind, value), in file order."""
    parent = list(range(len(rows)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    first_with: dict[tuple[str, str], int] = {}
    for index, row in enumerate(rows):
        for identifier in row.identifiers.items():
            if identifier in first_with:
                a, b = sorted((find(first_with[identifier]), find(index)))
                parent[b] = a
            else:
                first_with[identifier] = index
    groups: dict[int, _Group] = {}
    for index, row in enumerate(rows):
        groups.setdefault(find(index), _Group(rows=[])).rows.append(row)
    return [groups[root] for root in sorted(groups)]


def _mark_known(conn: Connection, groups: list[_Group]) -> None:
    wanted = sorted({pair for g in groups for row in g.rows for pair in row.identifiers.items()})
    known: set[tuple[str, str]] = set()
    for start in range(0, len(wanted), 500):
        known.update(
            (r.kind, r.value)
            for r in conn.execute(
                select(customer_identifiers.c.kind, customer_identifiers.c.value).where(
                    tuple_(customer_identifiers.c.kind, customer_identifiers.c.value).in_(
                        wanted[start : start + 500]
                    )
                )
            )
        )
    for group in groups:
        group.known = any(pair in known for row in group.rows for pair in row.identifiers.items())


def _existing_records(conn: Connection) -> list[MatchRecord]:
    rows = conn.execute(
        select(customer_profiles.c.profile_id, customer_profiles.c.traits).where(
            customer_profiles.c.status == "active"
        )
    )
    records = (matching.make_record(r.profile_id, r.traits or {}) for r in rows)
    # Profiles known only by identifiers (an anonymous browser) have nothing to compare.
    return [r for r in records if any(getattr(r, name) for name in matching.FIELDS)]


def _best_candidates(
    existing: list[MatchRecord], fresh: list[_Group], model: Mapping[str, Any] | None
) -> dict[str, ScoredPair]:
    """For each new group, its most likely match among existing profiles and earlier new groups.

    Pairs are oriented (row, candidate); a row is only compared with rows before it, so that
    the decisions can be applied in file order.
    """
    if not fresh:
        return {}
    order = {g.key: i for i, g in enumerate(fresh)}
    records = existing + [matching.make_record(g.key, g.traits()) for g in fresh]
    local = matching.with_local_u(records, model if model is not None else matching.load_model())
    pairs = matching.score_pairs(records, local, involving=frozenset(order))
    best: dict[str, ScoredPair] = {}
    for pair in pairs:
        left, right = pair.left_id, pair.right_id
        if left in order and right in order:
            row, candidate = (left, right) if order[left] > order[right] else (right, left)
        else:
            row, candidate = (left, right) if left in order else (right, left)
        if row not in best:  # pairs come best first
            best[row] = replace(pair, left_id=row, right_id=candidate)
    return best


def _apply(
    conn: Connection,
    group: _Group,
    candidate: ScoredPair | None,
    profile_of: Mapping[str, str],
    source: str,
    actor: str,
) -> tuple[str, Counter[str]]:
    """Carry out one group's outcome; returns its profile and how many rows landed where."""
    outcome: Counter[str] = Counter()
    profile_id = ""
    for index, row in enumerate(group.rows):
        if row.identifiers:
            profile_id = find_or_create_profile(conn, row.identifiers, row.traits, source)
        else:
            profile_id = _create_profile(conn, row.traits)
        if group.known or index > 0:
            outcome["matched_by_identifier"] += 1
    if group.known:
        return profile_id, outcome
    decision = candidate.decision if candidate else Decision.DISTINCT
    target = None
    if candidate is not None and decision is not Decision.DISTINCT:
        other = profile_of.get(candidate.right_id, candidate.right_id)
        if other.startswith("row:"):  # an earlier row that was itself rejected
            decision = Decision.DISTINCT
        else:
            target = resolve_profile_id(conn, other)
            if target == resolve_profile_id(conn, profile_id):
                decision = Decision.DISTINCT
    if decision is Decision.MERGE and candidate and target:
        merge_profiles(conn, target, profile_id, "probabilistic match", actor, candidate.evidence())
        outcome["merged_automatically"] += 1
    elif decision is Decision.REVIEW and candidate and target:
        _queue_review(conn, target, profile_id, candidate, source)
        outcome["sent_to_review"] += 1
    else:
        outcome["created"] += 1
    return profile_id, outcome


def _create_profile(conn: Connection, traits: Mapping[str, Any]) -> str:
    """A profile for a person known only by name and address (no identifier to stitch on)."""
    profile_id = new_id("cus")
    create_profile_row(conn, profile_id, traits, clock.now())
    record_event(
        conn, DomainEvent("customer.profile_created", "customer", profile_id, {"profile_id": profile_id})
    )
    return profile_id


def _queue_review(conn: Connection, survivor: str, candidate: str, pair: ScoredPair, source: str) -> None:
    review_id = new_id("mrv")
    conn.execute(
        match_reviews.insert().values(
            review_id=review_id,
            survivor=survivor,
            candidate=candidate,
            status="pending",
            score=pair.probability,
            match_weight=pair.match_weight,
            evidence=pair.evidence(),
            source=source,
            created_at=clock.now(),
        )
    )
    record_event(
        conn,
        DomainEvent(
            "customer.match_review_opened",
            "customer",
            survivor,
            {"review_id": review_id, "survivor": survivor, "candidate": candidate},
        ),
    )


def _record_import(
    conn: Connection,
    report: CustomerImportReport,
    filename: str,
    digest: str,
    actor: str,
    started: datetime,
) -> None:
    counts = {
        "rows": report.rows,
        "created": report.created,
        "matched_by_identifier": report.matched_by_identifier,
        "merged_automatically": report.merged_automatically,
        "sent_to_review": report.sent_to_review,
        "rejected": len(report.rejected),
    }
    conn.execute(
        customer_imports.insert().values(
            import_id=report.import_id,
            filename=filename[:255],
            digest=digest[:64],
            actor=actor[:120],
            rejections=[asdict(r) for r in report.rejected],
            started_at=started,
            finished_at=clock.now(),
            **counts,
        )
    )
    record_event(
        conn,
        DomainEvent(
            "customer.import_completed",
            "customer_import",
            report.import_id,
            {"import_id": report.import_id, **counts},
        ),
    )
