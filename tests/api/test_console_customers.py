"""The customer pages of the console through real HTTP, on both databases: search, the profile,
consents recorded by an associate, the merge review queue, merges undone, segments."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import select

from tests.api.test_console import PASSWORD, add_store, csrf_of, sign_in
from tests.factories import make_variants
from tests.identity_support import (
    NOW,
    add_order,
    freeze,
    identify,
    make_sources,
    message,
    minutes,
    resolve,
    send,
    track,
)
from tests.support import LiveServer
from unico.access import service as access
from unico.core import clock
from unico.core.db import Database
from unico.customers import consent, service
from unico.customers.consent import ConsentSource, Purpose
from unico.customers.matching_store import match_reviews
from unico.customers.store import identity_merges

HX = {"HX-Request": "true"}


def add_customer(db: Database, identifiers: dict[str, str], **traits: str) -> str:
    return str(service.upsert_profile(db, identifiers, traits, "test", "test")["profile_id"])


def profiles_in(html: str) -> list[str]:
    return re.findall(r'data-profile="(cus_\w+)"', html)


@pytest.fixture
def browser(server: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=30.0) as client:
        yield client


@pytest.fixture
def associate(db: Database, browser: httpx.Client) -> httpx.Client:
    """Giulia, store associate at MI01, signed in (Italian by default)."""
    add_store(db, "MI01", "Milano Duomo", "Milano", 45.4642, 9.1900)
    access.create_user(
        db,
        email="giulia@example.com",
        name="Giulia",
        password=PASSWORD,
        role="store_associate",
        store_code="MI01",
    )
    assert sign_in(browser, "giulia@example.com").status_code == 303
    return browser


@pytest.fixture
def office(db: Database, browser: httpx.Client) -> httpx.Client:
    """An administrator, signed in."""
    access.create_user(db, email="capo@example.com", name="Capo", password=PASSWORD, role="admin")
    assert sign_in(browser, "capo@example.com").status_code == 303
    return browser


@pytest.fixture
def anna(db: Database) -> str:
    return add_customer(
        db,
        {"email": "Anna.Rossi@Example.it", "phone": "347 123 4567", "loyalty_card": "LC 0042"},
        first_name="Anna",
        last_name="Rossi",
        city="Milano",
    )


def test_customer_pages_speak_italian_and_english(associate: httpx.Client, anna: str) -> None:
    pages = [
        "/console/customers",
        f"/console/customers/{anna}",
        "/console/customers/reviews",
        "/console/segments",
    ]
    italian = [associate.get(p) for p in pages]
    assert [r.status_code for r in italian] == [200, 200, 200, 200]
    assert "Trova un cliente" in italian[0].text
    assert "Visto online" in italian[1].text and "Anna Rossi" in italian[1].text
    assert "Possibili doppioni da verificare" in italian[2].text
    assert "Nuovo segmento" in italian[3].text
    assert ">Clienti</a>" in italian[0].text and ">Revisione duplicati</a>" in italian[0].text

    switched = associate.post(
        "/console/locale", data={"locale": "en", "csrf_token": csrf_of(italian[0].text)}
    )
    assert switched.status_code == 303

    english = [associate.get(p).text for p in pages]
    assert "Find a customer" in english[0]
    assert "Seen online" in english[1] and "Visto online" not in english[1]
    assert "Possible duplicates to review" in english[2]
    assert "New segment" in english[3]


def test_search_by_card_phone_email_or_name_finds_the_profile(
    associate: httpx.Client, db: Database, anna: str
) -> None:
    other = add_customer(db, {"email": "marco@example.it"}, first_name="Marco", last_name="Bianchi")

    found = {
        q: profiles_in(associate.get("/console/customers", params={"q": q}, headers=HX).text)
        for q in (
            "lc0042",
            "LC 0042",
            "+39 347 1234567",
            "0039-347-123-4567",
            "ANNA.ROSSI@example.it",
            "rossi",
        )
    }

    assert found == {q: [anna] for q in found}
    assert profiles_in(associate.get("/console/customers", params={"q": "marco"}).text) == [other]
    page = associate.get("/console/customers", params={"q": "lc0042"})
    assert "<html" in page.text and 'value="lc0042"' in page.text
    assert "Trovato per Carta fedeltà" in page.text
    partial = associate.get("/console/customers", params={"q": "nessuno"}, headers=HX).text
    assert "<html" not in partial
    assert "Nessun cliente corrisponde a “nessuno”." in partial


def test_the_profile_shows_what_was_seen_online_the_timeline_and_the_orders(
    associate: httpx.Client, db: Database
) -> None:
    freeze()
    keys = make_sources(db)
    make_variants(db, "BAG-1", product_code="P-BAG")
    send(
        db,
        keys["web"],
        track(
            "Product Viewed",
            minutes(1),
            anon="web-1",
            product_id="P-BAG",
            sku="BAG-1",
            name="Borsa a tracolla",
        ),
        track("Products Searched", minutes(2), anon="web-1", query="borsa pelle"),
        track(
            "Product Added",
            minutes(3),
            anon="web-1",
            product_id="P-BAG",
            sku="BAG-1",
            name="Borsa a tracolla",
        ),
    )
    card = {"traits": {"loyaltyCard": "LC77"}}
    send(db, keys["web"], identify(minutes(20), anon="web-1", loyalty_card="LC77"))
    send(
        db,
        keys["pos"],
        message(
            "track",
            minutes(30),
            anon="till-1",
            event="Store Visited",
            properties={"store": "MI01"},
            context=card,
        ),
    )
    send(db, keys["web"], track("Product Viewed", minutes(31), anon="web-1", product_id="P-X"))
    resolve(db)
    [profile_id] = service.search_profiles(db, "LC77")
    pid = profile_id["profile_id"]
    add_order(
        db, pid, order_id="ord_1", channel="store", store="MI01", lines=[("BAG-1", 1, 12_950)], at=minutes(40)
    )
    clock.reset_clock()

    page = associate.get(f"/console/customers/{pid}").text

    viewed = page[page.index('id="recently-viewed"') : page.index('id="searches"')]
    assert re.findall(r'data-product="([\w-]+)"', viewed) == ["P-X", "P-BAG"]
    assert "Borsa a tracolla" in viewed
    assert "“borsa pelle”" in page
    cart = page[page.index('id="cart"') :]
    assert "Borsa a tracolla" in cart and "× 1" in cart
    events = re.findall(r'<tr data-event="([^"]+)" data-channel="(\w+)"', page)
    assert events == [
        ("Order Placed", "store"),
        ("Product Viewed", "web"),
        ("Store Visited", "pos"),
        ("identify", "web"),
        ("Product Added", "web"),
        ("Products Searched", "web"),
        ("Product Viewed", "web"),
    ]
    assert '<tr data-order="ord_1">' in page
    assert '<a href="/console/orders/ord_1">ord_1</a>' in page  # the orders area's page
    assert "129,50\xa0€" in page  # the order total, Italian style
    assert re.search(r'data-field="order_count">1<', page)
    assert re.search(r'data-field="favourite_store">MI01<', page)
    assert 'data-field="channels">Cassa, Negozio, Sito web<' in page


def test_an_associate_records_a_consent_change_with_the_store_as_source(
    associate: httpx.Client, db: Database, anna: str
) -> None:
    page = associate.get(f"/console/customers/{anna}").text
    token = csrf_of(page)
    url = f"/console/customers/{anna}/consents"

    refused = associate.post(url, data={"email": "yes"})
    empty = associate.post(url, data={"csrf_token": token, "email": ""}, headers=HX)
    saved = associate.post(url, data={"csrf_token": token, "email": "yes", "sms": "no"}, headers=HX)

    assert refused.status_code == 403
    assert "Scegli “concesso” o “revocato” per almeno una finalità." in empty.text
    assert saved.status_code == 200
    assert "2 modifiche registrate." in saved.text
    assert re.search(r'data-purpose="email">.*?Concesso.*?Negozio MI01', saved.text, flags=re.S)
    state = consent.get_consents(db, anna)
    recorded = {p.value: (r.granted, r.source, r.store, r.actor) for p, r in state.current.items() if r}
    assert recorded == {
        "email": (True, ConsentSource.STORE, "MI01", "user:giulia@example.com"),
        "sms": (False, ConsentSource.STORE, "MI01", "user:giulia@example.com"),
    }
    plain = associate.post(url, data={"csrf_token": token, "email": "no"})
    assert plain.status_code == 303
    assert plain.headers["location"] == f"/console/customers/{anna}#consents"
    assert consent.get_consents(db, anna).granted(Purpose.EMAIL) is False


def _review(db: Database, review_id: str, survivor: str, candidate: str, score: float) -> None:
    with db.write() as conn:
        conn.execute(
            match_reviews.insert().values(
                review_id=review_id,
                survivor=survivor,
                candidate=candidate,
                status="pending",
                score=score,
                match_weight=3.25,
                evidence={
                    "match_probability": score,
                    "levels": {"first_name": "Exact match on first_name", "dob": "All other comparisons"},
                    "weights": {"first_name": 4.1, "dob": -2.5},
                },
                source="import:imp_1",
                created_at=NOW,
            )
        )


def test_the_review_queue_merges_or_keeps_apart(associate: httpx.Client, db: Database, anna: str) -> None:
    paper = add_customer(db, {"erp_id": "CRM-9"}, first_name="Anna", last_name="Rosi", city="Milano")
    stranger = add_customer(db, {"erp_id": "CRM-10"}, first_name="Anna", last_name="Russo")
    _review(db, "mrv_1", anna, paper, 0.875)
    _review(db, "mrv_2", anna, stranger, 0.61)

    queue = associate.get("/console/customers/reviews").text
    assert re.findall(r'data-review="(mrv_\d)"', queue) == ["mrv_1", "mrv_2"]
    assert "Somiglianza 87,5%" in queue
    first = queue[queue.index('data-review="mrv_1"') : queue.index('data-review="mrv_2"')]
    assert re.search(
        r'data-field="first_name">.*?Anna.*?Anna.*?Exact match on first_name.*?4,10', first, re.S
    )
    assert re.search(r'data-field="surname">.*?Rossi.*?Rosi', first, re.S)
    token = csrf_of(queue)

    merged = associate.post("/console/customers/reviews/mrv_1/merge", data={"csrf_token": token}, headers=HX)
    kept = associate.post("/console/customers/reviews/mrv_2/reject", data={"csrf_token": token})
    again = associate.post("/console/customers/reviews/mrv_1/reject", data={"csrf_token": token}, headers=HX)

    assert merged.status_code == 200 and "<html" not in merged.text
    assert 'data-field="status">Uniti<' in merged.text
    assert kept.status_code == 303 and kept.headers["location"] == "/console/customers/reviews"
    assert "review mrv_1 is already merged" in again.text
    assert service.get_profile(db, paper)["profile_id"] == anna
    assert service.get_profile(db, stranger)["profile_id"] == stranger
    assert associate.get("/console/customers/reviews").text.count('data-review="') == 0
    decided = associate.get("/console/customers/reviews?status=rejected").text
    assert re.findall(r'data-review="(mrv_\d)"', decided) == ["mrv_2"]
    redirect = associate.get(f"/console/customers/{paper}")
    assert redirect.status_code == 303
    assert redirect.headers["location"] == f"/console/customers/{anna}?merged_from={paper}"


def test_only_administrators_undo_a_merge(office: httpx.Client, db: Database, anna: str) -> None:
    twin = add_customer(db, {"email": "anna@lavoro.it"}, first_name="Anna")
    merge = service.merge(db, anna, twin, "same person", "test")["merge_id"]
    page = office.get(f"/console/customers/{anna}").text
    assert f'action="/console/customers/merges/{merge}/undo"' in page

    undone = office.post(
        f"/console/customers/merges/{merge}/undo", data={"csrf_token": csrf_of(page), "profile": anna}
    )

    assert undone.status_code == 303
    assert undone.headers["location"] == f"/console/customers/{anna}#merges"
    with db.read() as conn:
        row = conn.execute(select(identity_merges).where(identity_merges.c.merge_id == merge)).one()
    assert row.undone_by == "user:capo@example.com"
    assert service.get_profile(db, twin)["profile_id"] == twin
    again = office.post(f"/console/customers/merges/{merge}/undo", data={"csrf_token": csrf_of(page)})
    assert again.status_code == 409


def test_an_associate_cannot_undo_a_merge(associate: httpx.Client, db: Database, anna: str) -> None:
    twin = add_customer(db, {"email": "anna@lavoro.it"}, first_name="Anna")
    merge = service.merge(db, anna, twin, "same person", "test")["merge_id"]
    page = associate.get(f"/console/customers/{anna}").text
    assert "/undo" not in page
    assert f'data-merge="{merge}"' in page

    refused = associate.post(f"/console/customers/merges/{merge}/undo", data={"csrf_token": csrf_of(page)})

    assert refused.status_code == 403
    assert service.get_profile(db, twin)["profile_id"] == anna


def test_segments_are_created_counted_listed_and_exported(
    associate: httpx.Client, db: Database, anna: str
) -> None:
    luca = add_customer(db, {}, first_name="Luca", last_name="=Verdi", city="Milano", email="luca@example.it")
    add_customer(db, {"email": "sara@example.it"}, first_name="Sara", city="Roma")
    page = associate.get("/console/segments").text
    token = csrf_of(page)
    form = {
        "csrf_token": token,
        "name": "Milanesi",
        "kind_0": "trait",
        "name_0": "city",
        "op_0": "eq",
        "value_0": "Milano",
    }

    preview = associate.post("/console/segments/preview", data=form, headers=HX)
    created = associate.post("/console/segments", data=form)
    bad_json = associate.post(
        "/console/segments", data={"csrf_token": token, "name": "X", "definition": "{oops"}
    )
    bad_rule = associate.post(
        "/console/segments", data={"csrf_token": token, "name": "Y", "definition": '{"trait": "city"}'}
    )
    taken = associate.post("/console/segments", data=form)

    assert "2 clienti" in preview.text
    assert created.status_code == 303
    detail_url = created.headers["location"]
    detail = associate.get(detail_url).text
    assert sorted(re.findall(r'<tr data-profile="(cus_\w+)"', detail)) == sorted([anna, luca])
    assert bad_json.status_code == 422 and "La regola non è un JSON valido." in bad_json.text
    assert bad_rule.status_code == 422
    assert "La regola non è stata accettata: definition.op: is required" in bad_rule.text
    assert taken.status_code == 409 and "Milanesi" in taken.text
    listed = associate.get("/console/segments").text
    assert re.search(r'>Milanesi</a>.*?data-field="count">2<', listed, re.S)
    csv_file = associate.get(detail_url + "/members.csv")
    assert csv_file.headers["content-type"] == "text/csv; charset=utf-8"
    rows = sorted(csv_file.text.splitlines()[1:])
    assert csv_file.text.splitlines()[0] == "profile_id,first_name,last_name,email,phone,city"
    assert rows == sorted([f"{anna},Anna,Rossi,,,Milano", f"{luca},Luca,'=Verdi,luca@example.it,,Milano"])


def test_the_timeline_pages_back_in_time(associate: httpx.Client, db: Database) -> None:
    freeze()
    keys = make_sources(db)
    send(
        db,
        keys["web"],
        identify(minutes(0), anon="web-7", email="pia@example.it"),
        *(track("Product Viewed", minutes(n), anon="web-7", product_id=f"P-{n:02}") for n in range(1, 35)),
    )
    resolve(db)
    clock.reset_clock()
    [found] = service.search_profiles(db, "pia@example.it")

    page = associate.get(f"/console/customers/{found['profile_id']}").text
    more = re.search(r'hx-get="(/console/customers/cus_\w+/timeline\?before=[^"]+)"', page)

    assert page.count('<tr data-event="') == 30
    assert more is not None
    older = associate.get(more.group(1).replace("&amp;", "&"), headers=HX).text
    assert re.findall(r"P-\d\d", older) == ["P-04", "P-03", "P-02", "P-01"]
    assert older.count('<tr data-event="identify"') == 1
    assert "hx-get" not in older


def test_relations_are_added_by_email_and_bad_names_are_explained(
    associate: httpx.Client, db: Database, anna: str
) -> None:
    nonno = add_customer(db, {"email": "nonno@example.it"}, first_name="Pietro", last_name="Rossi")
    page = associate.get(f"/console/customers/{anna}").text
    url = f"/console/customers/{anna}/relations"
    token = csrf_of(page)

    added = associate.post(
        url, data={"csrf_token": token, "kind": "bought_for", "other": "NONNO@example.it"}, headers=HX
    )
    unknown = associate.post(
        url, data={"csrf_token": token, "kind": "household", "other": "chi?"}, headers=HX
    )
    plain = associate.post(url, data={"csrf_token": token, "kind": "household", "other": anna})

    assert re.findall(r'data-relation="(\w+)" data-other="(cus_\w+)"', added.text) == [("bought_for", nonno)]
    assert "Ha comprato per: <a" in added.text and "Pietro Rossi" in added.text
    assert "Nessun cliente corrisponde a “chi?”." in unknown.text
    assert plain.status_code == 422
    assert "Un cliente non può essere collegato a sé stesso." in plain.text
    assert [r["kind"] for r in service.get_profile(db, nonno)["relations"]] == ["bought_for"]
