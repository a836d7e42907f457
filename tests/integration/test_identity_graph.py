"""The identity graph's service functions inside a unit of work, on both databases: stitching,
merge chains and their undo, concurrent stitching of the same new person."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from sqlalchemy import select

from unico.core.db import Database
from unico.core.errors import Conflict, NotFound, ValidationFailed
from unico.customers import service
from unico.customers.store import customer_identifiers, customer_profiles


def holdings(db: Database) -> dict[str, list[tuple[str, str]]]:
    """Every profile (merged ones included) with its identifiers."""
    with db.read() as conn:
        rows = conn.execute(
            select(customer_profiles.c.profile_id, customer_identifiers.c.kind, customer_identifiers.c.value)
            .select_from(customer_profiles)
            .outerjoin(customer_identifiers, customer_identifiers.c.profile_id == customer_profiles.c.id)
            .order_by(
                customer_profiles.c.profile_id, customer_identifiers.c.kind, customer_identifiers.c.value
            )
        ).all()
    out: dict[str, list[tuple[str, str]]] = {}
    for r in rows:
        out.setdefault(r.profile_id, [])
        if r.kind is not None:
            out[r.profile_id].append((r.kind, r.value))
    return out


def create(db: Database, identifiers: dict[str, str], traits: dict[str, Any] | None = None) -> str:
    with db.write() as conn:
        return service.find_or_create_profile(conn, identifiers, traits or {}, "test")


def test_find_or_create_is_deterministic_and_normalises(db: Database) -> None:
    first = create(db, {"email": "Anna.Verdi@Example.it"}, {"firstName": "Anna"})
    assert create(db, {"email": " anna.verdi@example.it "}) == first
    assert create(db, {"phone": "347 000 1111"}, {"email": "ANNA.VERDI@example.it"}) == first
    assert holdings(db) == {first: [("email", "anna.verdi@example.it"), ("phone", "+393470001111")]}
    assert service.get_profile(db, first)["traits"] == {
        "email": "ANNA.VERDI@example.it",
        "first_name": "Anna",
    }
    with pytest.raises(ValidationFailed) as blocked:
        create(db, {"email": "null", "user_id": "undefined"})
    assert blocked.value.code == "customers.no_identifier"
    assert service.normalise_identifier("phone", "+39 347 000 1111") == "+393470001111"
    assert service.normalise_identifier("email", "anonymous") is None


def test_merge_chains_resolve_to_the_end_and_undo_in_any_order(db: Database) -> None:
    a = create(db, {"user_id": "a"})
    b = create(db, {"user_id": "b", "email": "b@x.it"})
    c = create(db, {"user_id": "c"})
    original = holdings(db)
    with db.write() as conn:
        b_into_a = service.merge_profiles(conn, a, b, "review", "user:ops")
        a_into_c = service.merge_profiles(conn, c, b, "review", "user:ops")  # b resolves to a
    with db.read() as conn:
        assert [service.resolve_profile_id(conn, p) for p in (a, b, c)] == [c, c, c]
        assert sorted(service.profile_family(conn, c)) == sorted([a, b, c])
    assert holdings(db)[c] == [("email", "b@x.it"), ("user_id", "a"), ("user_id", "b"), ("user_id", "c")]

    # Undo the older merge first: b's identifiers, now held by c, go back to b.
    with db.write() as conn:
        service.undo_merge(conn, b_into_a, "user:ops")
    assert holdings(db)[b] == original[b]
    with db.read() as conn:
        assert [service.resolve_profile_id(conn, p) for p in (a, b, c)] == [c, b, c]
    with db.write() as conn:
        service.undo_merge(conn, a_into_c, "user:ops")
    assert holdings(db) == original
    with db.read() as conn:
        assert [service.resolve_profile_id(conn, p) for p in (a, b, c)] == [a, b, c]
        with pytest.raises(NotFound):
            service.resolve_profile_id(conn, "cus_missing")


def test_a_merged_profile_cannot_be_merged_again_and_undo_checks_state(db: Database) -> None:
    a = create(db, {"user_id": "a"})
    b = create(db, {"user_id": "b"})
    with db.write() as conn:
        merge_id = service.merge_profiles(conn, a, b, "dup", "user:ops", {"score": 0.99})
    with db.write() as conn, pytest.raises(Conflict) as again:
        service.merge_profiles(conn, b, a, "dup", "user:ops")
    assert again.value.code == "customers.already_merged"
    with db.write() as conn:
        view = service.undo_merge(conn, merge_id, "user:ops")
    assert (view["evidence"], view["undone_by"]) == ({"score": 0.99}, "user:ops")
    with db.write() as conn, pytest.raises(Conflict) as twice:
        service.undo_merge(conn, merge_id, "user:ops")
    assert twice.value.code == "customers.merge_already_undone"


def test_concurrent_first_sightings_of_one_person_make_one_profile(db: Database) -> None:
    """Two requests see the same new email at once: the unique (kind, value) decides, the loser
    stitches again and joins the winner's profile (merging the profile it had just created)."""
    barrier = threading.Barrier(4)
    results: list[str] = []
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            barrier.wait()
            results.append(create(db, {"email": "same@x.it", "anonymous_id": f"tab-{n}"}))
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with db.read() as conn:
        survivors = {service.resolve_profile_id(conn, p) for p in results}
    assert len(survivors) == 1
    [survivor] = survivors
    assert holdings(db)[survivor] == [
        ("anonymous_id", "tab-0"),
        ("anonymous_id", "tab-1"),
        ("anonymous_id", "tab-2"),
        ("anonymous_id", "tab-3"),
        ("email", "same@x.it"),
    ]
