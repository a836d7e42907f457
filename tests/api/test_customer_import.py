"""`unico import customers FILE` as a real command, then the review queue through HTTP."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from rich.console import Console
from sqlalchemy import func, select

from unico.connectors.customers_csv import read_customer_rows, run_customer_import
from unico.core.db import Database
from unico.customers.imports import import_customers
from unico.customers.matching_store import customer_imports, match_reviews
from unico.customers.service import find_or_create_profile, resolve_profile_id
from unico.customers.store import customer_identifiers, customer_profiles, identity_merges

# Line 2: Maria by email (any case) -> matched by identifier.
# Line 3: "Giovany" Bianchi, same birthday, postcode and city as Giovanni -> merged automatically.
# Line 4: a Luca Verdi in Torino, born 29 years earlier on another street -> review.
# Line 5: Anna Neri, nobody like her -> created; line 8 shares her card -> matched by identifier.
# Lines 6 and 7: an impossible date, a broken email -> rejected.
CSV = """Nome,Cognome,E-mail,Telefono,Data di nascita,Indirizzo,CAP,Città,Tessera
Maria,Rossi,MARIA.ROSSI@example.it,,12/03/1980,,,,
Giovany,Bianchi,,,1975-07-01,,00184,Roma,
Luca,Verdi,,,1961-02-03,Via Po 8,,Torino,
Anna,Neri,anna.neri@example.it,,1988-11-30,Via Indipendenza 2,40121,Bologna,CARD-1
Paolo,Gialli,,,31/02/1980,,,,
Anna,Neri,anna@,,,,,,
Anna,Neri,,,,,,,card-1
"""


@pytest.fixture
def known(db: Database) -> dict[str, str]:
    """Three customers already in the graph."""
    people = {
        "maria": (
            {"email": "maria.rossi@example.it"},
            {"first_name": "Maria", "last_name": "Rossi", "birthday": "1980-03-12", "city": "Milano"},
        ),
        "giovanni": (
            {"phone": "+39 333 1234567"},
            {
                "first_name": "Giovanni",
                "last_name": "Bianchi",
                "birthday": "1975-07-01",
                "postcode": "00184",
                "city": "Roma",
                "address": "Via Nazionale 10",
            },
        ),
        "luca": (
            {"erp_id": "C-77"},
            {
                "first_name": "Luca",
                "last_name": "Verdi",
                "birthday": "1990-05-20",
                "postcode": "10121",
                "city": "Torino",
                "address": "Corso Francia 3",
            },
        ),
    }
    with db.write() as conn:
        return {
            name: find_or_create_profile(conn, ids, traits, "crm") for name, (ids, traits) in people.items()
        }


def run_import(db: Database, file: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "UNICO_DATABASE_URL": db.url, "UNICO_LOG_JSON": "false", "COLUMNS": "250"}
    return subprocess.run(
        [sys.executable, "-m", "unico.cli", "import", "customers", str(file), *extra],
        capture_output=True,
        text=True,
        env=env,
        timeout=180,
    )


def count(db: Database, table: object, *where: object) -> int:
    with db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(table).where(*where)).scalar_one())  # type: ignore[arg-type]


def test_import_stitches_merges_queues_and_creates(
    db: Database, known: dict[str, str], tmp_path: Path
) -> None:
    file = tmp_path / "crm.csv"
    file.write_text(CSV, encoding="utf-8")
    rejected = tmp_path / "rejected.csv"
    done = run_import(db, file, "--report", str(rejected))
    assert done.returncode == 1, done.stderr
    lines = [line.strip() for line in done.stdout.splitlines()]
    assert lines[-9:] == [
        lines[-9].split(":")[0] + ": 7 rows",
        "created:                     1",
        "matched by identifier:       2",
        "merged automatically:        1",
        "sent to review:              1",
        "rejected:                    2",
        "line 6: import.invalid_value — date_of_birth is not a date (YYYY-MM-DD or DD/MM/YYYY)",
        "line 7: import.invalid_value — email is not a valid email",
        f"rejected rows written to {rejected}",
    ]
    assert rejected.read_text().splitlines() == [
        "line,code,reason",
        "6,import.invalid_value,date_of_birth is not a date (YYYY-MM-DD or DD/MM/YYYY)",
        "7,import.invalid_value,email is not a valid email",
    ]

    # 3 known + Giovany (merged) + Luca of Via Po (in review) + Anna = 6 profiles, one merged.
    assert count(db, customer_profiles) == 6
    assert count(db, customer_profiles, customer_profiles.c.status == "merged") == 1
    with db.read() as conn:
        merge = conn.execute(select(identity_merges)).one()
        assert merge.survivor == known["giovanni"]
        assert merge.reason == "probabilistic match"
        assert merge.evidence["match_probability"] >= 0.99
        assert merge.evidence["levels"]["dob"] == "Exact match on date of birth"
        assert merge.evidence["levels"]["first_name"] == "Jaro-Winkler distance of first_name >= 0.92"
        review = conn.execute(select(match_reviews)).one()
        assert (review.survivor, review.status) == (known["luca"], "pending")
        assert 0.5 <= review.score < 0.99
        anna = conn.execute(
            select(customer_identifiers.c.profile_id).where(customer_identifiers.c.kind == "loyalty_card")
        ).scalar_one()
        assert count(db, customer_identifiers, customer_identifiers.c.profile_id == anna) == 2  # email, card
        run = conn.execute(select(customer_imports)).one()
        assert (run.filename, run.rows, run.created, run.matched_by_identifier) == ("crm.csv", 7, 1, 2)
        assert (run.merged_automatically, run.sent_to_review, run.rejected) == (1, 1, 2)
        assert [r["line"] for r in run.rejections] == [6, 7]
        maria = conn.execute(
            select(customer_profiles).where(customer_profiles.c.profile_id == known["maria"])
        ).one()
        assert maria.traits["birthday"] == "1980-03-12"


def test_a_bad_header_refuses_the_whole_file(db: Database, known: dict[str, str], tmp_path: Path) -> None:
    file = tmp_path / "crm.csv"
    file.write_text("nome,cognome,colore\nMaria,Rossi,blu\n", encoding="utf-8")
    out = io.StringIO()
    code = run_customer_import(db, file, console=Console(file=out, width=200), actor="test")
    assert code == 2
    assert out.getvalue() == (
        "file refused import.bad_header: bad header: unknown columns ['colore'] — nothing was imported\n"
    )
    assert count(db, customer_profiles) == 3
    assert count(db, customer_imports) == 0


def imported(db: Database, tmp_path: Path) -> str:
    """Import in process; returns the one pending review's id."""
    file = tmp_path / "crm.csv"
    file.write_text(CSV, encoding="utf-8")
    rows, digest = read_customer_rows(file)
    report = import_customers(db, rows, filename=file.name, digest=digest)
    assert report.sent_to_review == 1
    with db.read() as conn:
        return str(conn.execute(select(match_reviews.c.review_id)).scalar_one())


def test_a_review_is_merged_once(
    db: Database, known: dict[str, str], admin: httpx.Client, tmp_path: Path
) -> None:
    review_id = imported(db, tmp_path)
    listed = admin.get("/api/v1/customers/reviews", params={"status": "pending"})
    assert listed.status_code == 200
    [item] = listed.json()["items"]
    assert item["review_id"] == review_id
    assert item["survivor"]["profile_id"] == known["luca"]
    assert item["survivor"]["traits"]["first_name"] == "Luca"
    assert item["candidate"]["traits"]["address"] == "Via Po 8"
    assert set(item["evidence"]["levels"]) == {
        "first_name",
        "surname",
        "dob",
        "address",
        "postcode",
        "city",
        "phone",
    }

    merged = admin.post(f"/api/v1/customers/reviews/{review_id}/merge")
    assert merged.status_code == 200, merged.text
    body = merged.json()
    assert body["status"] == "merged" and body["merge_id"].startswith("mrg_")
    assert body["decided_by"].endswith("test-admin")
    with db.read() as conn:
        assert resolve_profile_id(conn, item["candidate"]["profile_id"]) == known["luca"]
        merge = conn.execute(
            select(identity_merges).where(identity_merges.c.merge_id == body["merge_id"])
        ).one()
        assert (merge.reason, merge.evidence["review_id"]) == ("match review", review_id)

    again = admin.post(f"/api/v1/customers/reviews/{review_id}/merge")
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "matching.review_decided"
    assert admin.post(f"/api/v1/customers/reviews/{review_id}/reject").status_code == 409
    assert admin.get("/api/v1/customers/reviews").json()["items"] == []
    assert len(admin.get("/api/v1/customers/reviews", params={"status": "merged"}).json()["items"]) == 1


def test_a_rejected_review_keeps_two_people(
    db: Database, known: dict[str, str], admin: httpx.Client, tmp_path: Path
) -> None:
    review_id = imported(db, tmp_path)
    rejected = admin.post(f"/api/v1/customers/reviews/{review_id}/reject")
    assert rejected.status_code == 200
    assert rejected.json()["status"] == "rejected"
    assert admin.post(f"/api/v1/customers/reviews/{review_id}/merge").json()["error"]["code"] == (
        "matching.review_decided"
    )
    assert count(db, identity_merges, identity_merges.c.reason == "match review") == 0
    assert admin.post("/api/v1/customers/reviews/mrv_nope/merge").status_code == 404
    assert admin.get("/api/v1/customers/reviews", params={"status": "maybe"}).status_code == 422
