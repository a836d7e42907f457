"""The matching model with its shipped parameters, the import row checks and the CSV header."""

from __future__ import annotations

from pathlib import Path

import pytest

from unico.connectors.customers_csv import canonical_header, read_customer_rows
from unico.core.errors import ValidationFailed
from unico.customers import matching
from unico.customers.imports import check_row
from unico.customers.matching import Decision, MatchRecord, decide, make_record, score_pairs

ROSSI = {
    "first_name": "Maria",
    "last_name": "Rossi",
    "birthday": "1980-03-12",
    "postcode": "20121",
    "city": "Milano",
    "address": "Via Dante 5",
}


def test_thresholds_split_merge_review_and_distinct() -> None:
    assert decide(0.999) is Decision.MERGE
    assert decide(matching.AUTO_MERGE_PROBABILITY) is Decision.MERGE
    assert decide(0.98) is Decision.REVIEW
    assert decide(matching.REVIEW_PROBABILITY) is Decision.REVIEW
    assert decide(0.49) is Decision.DISTINCT


def test_records_are_normalised_for_the_model() -> None:
    record = make_record(
        "r1", {**ROSSI, "first_name": " Mària ", "address": "Via  Dante, 5", "phone": "+39 333-12"}
    )
    assert record == MatchRecord(
        record_id="r1",
        first_name="maria",
        surname="rossi",
        dob="19800312",
        address="via dante 5",
        postcode="20121",
        city="milano",
        phone="3933312",
    )


def test_a_typo_in_the_name_with_same_birthday_and_postcode_is_a_merge() -> None:
    typo = {**ROSSI, "first_name": "Mariaa", "address": None}
    [pair] = score_pairs([make_record("known", ROSSI), make_record("row", typo)])
    assert pair.decision is Decision.MERGE
    assert pair.levels == {
        "first_name": "Jaro-Winkler distance of first_name >= 0.92",
        "surname": "Exact match on surname",
        "dob": "Exact match on date of birth",
        "address": "address is NULL",
        "postcode": "Exact match on postcode",
        "city": "Exact match on city",
        "phone": "phone is NULL",
    }
    assert pair.evidence()["levels"] == pair.levels


def test_same_name_and_city_but_another_birthday_and_street_is_for_review() -> None:
    namesake = {**ROSSI, "birthday": "1951-02-03", "address": "Via Po 8", "postcode": None}
    [pair] = score_pairs([make_record("known", ROSSI), make_record("row", namesake)])
    assert pair.decision is Decision.REVIEW
    assert 0.9 < pair.probability < 0.99


def test_parent_and_child_at_one_address_are_never_merged_without_a_person() -> None:
    father = {**ROSSI, "first_name": "Mario", "birthday": "1950-06-01"}
    son = {**ROSSI, "first_name": "Mario", "birthday": "1982-09-15"}
    [pair] = score_pairs([make_record("father", father), make_record("son", son)])
    assert pair.probability >= matching.AUTO_MERGE_PROBABILITY
    assert pair.weights["dob"] < 0
    assert pair.decision is Decision.REVIEW


def test_different_people_are_not_returned() -> None:
    other = {"first_name": "Anna", "last_name": "Neri", "birthday": "1988-11-30", "city": "Bologna"}
    assert score_pairs([make_record("known", ROSSI), make_record("row", other)], threshold=0.0) == []
    assert score_pairs([make_record("alone", ROSSI)]) == []


def test_pairs_between_existing_records_are_not_scored_when_told_which_are_new() -> None:
    records = [make_record("a", ROSSI), make_record("b", ROSSI), make_record("new", {**ROSSI, "city": None})]
    pairs = score_pairs(records, involving=frozenset({"new"}))
    assert sorted((p.left_id, p.right_id) for p in pairs) == [("a", "new"), ("b", "new")]


def test_rows_are_checked_and_normalised() -> None:
    row = check_row(
        2,
        {
            "first_name": "Maria",
            "last_name": "Rossi",
            "email": " Maria.Rossi@Example.IT ",
            "phone": "333 123 4567",
            "date_of_birth": "12/03/1980",
            "loyalty_card": "null",
        },
    )
    assert row.identifiers == {"email": "maria.rossi@example.it", "phone": "+393331234567"}
    assert row.traits == {
        "first_name": "Maria",
        "last_name": "Rossi",
        "birthday": "1980-03-12",
        "email": "maria.rossi@example.it",
        "phone": "+393331234567",
    }


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ({"first_name": "Ada", "email": "ada@"}, "email"),
        ({"first_name": "Ada", "phone": "12"}, "phone"),
        ({"first_name": "Ada", "date_of_birth": "31/02/1980"}, "date_of_birth"),
        ({"first_name": "Ada", "date_of_birth": "1850-01-01"}, "date_of_birth"),
        ({"first_name": "Ada", "postcode": "!!"}, "postcode"),
        ({"city": "Milano"}, "first_name"),
        ({"first_name": "Ada", "__extra__": "yes"}, "row"),
    ],
)
def test_bad_rows_name_the_column_at_fault(raw: dict[str, str], field: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        check_row(3, raw)
    assert caught.value.details["field"] == field


def test_header_names_are_tolerant() -> None:
    assert canonical_header("Given Name") == "first_name"
    assert canonical_header("SURNAME") == "last_name"
    assert canonical_header("e-mail") == "email"
    assert canonical_header("Data di nascita") == "date_of_birth"
    assert canonical_header("CAP") == "postcode"
    assert canonical_header("Città") == "city"
    assert canonical_header("favourite colour") is None


@pytest.mark.parametrize(
    ("header", "problem"),
    [
        ("first_name,last_name,colour", "unknown columns ['colour']"),
        ("first_name,given_name,email", "columns named twice ['first_name']"),
        ("city,postcode", "no name and no identifier column"),
    ],
)
def test_a_bad_header_refuses_the_file(tmp_path: Path, header: str, problem: str) -> None:
    path = tmp_path / "customers.csv"
    path.write_text(f"{header}\nx,y,z\n")
    with pytest.raises(ValidationFailed) as caught:
        read_customer_rows(path)
    assert caught.value.code == "import.bad_header"
    assert problem in caught.value.message


def test_rows_keep_their_line_numbers(tmp_path: Path) -> None:
    path = tmp_path / "customers.csv"
    path.write_text('nome,cognome,email\nMaria,Rossi,m@x.it\n\n"Anna","Neri",a@x.it,extra\n')
    rows, digest = read_customer_rows(path)
    assert rows == [
        (2, {"first_name": "Maria", "last_name": "Rossi", "email": "m@x.it"}),
        (4, {"first_name": "Anna", "last_name": "Neri", "email": "a@x.it", "__extra__": "yes"}),
    ]
    assert len(digest) == 16


def test_spreadsheet_exports_with_semicolons_and_windows_1252_are_read(tmp_path: Path) -> None:
    path = tmp_path / "clienti.csv"
    path.write_bytes("Nome;Cognome;Città\nNicolò;Bassi;Forlì\n".encode("cp1252"))
    rows, _ = read_customer_rows(path)
    assert rows == [(2, {"first_name": "Nicolò", "last_name": "Bassi", "city": "Forlì"})]
