"""The search text of a product and the FTS5 / tsquery expressions built from a query. Pure."""

from __future__ import annotations

import pytest

from unico.catalog.search import build_search_text, exact_keys, fts5_match, tsquery
from unico.catalog.text import query_terms


def test_search_text_holds_forms_of_every_source_once() -> None:
    text = build_search_text(
        code="CAL-100",
        name_it="Scarpa da corsa",
        name_en="Running shoe",
        description_it="Leggera",
        description_en="Light",
        brand="Acme",
        category_names=["Calzature", "Footwear"],
        colours=["Blu", None, "Blu"],
    )

    assert text.split() == [
        "scarpa", "scarp", "corsa", "cors", "running", "run", "shoe", "sho", "leggera", "legger",
        "light", "acme", "acm", "calzature", "calzatur", "footwear", "footw", "blu", "cal", "100",
    ]  # fmt: skip


def test_search_text_with_only_names() -> None:
    assert build_search_text(code="X1", name_it="Maglia", name_en="Shirt") == "maglia magl shirt x1"


def test_every_query_form_of_a_name_is_in_its_search_text() -> None:
    text = set(build_search_text(code="P", name_it="Scarpa da corsa", name_en="Running shoe").split())

    for query in ("scarpe da corsa", "running shoes", "SCARPÈ"):
        for forms in query_terms(query):
            assert text & set(forms), (query, forms)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("scarpe da corsa", '("scarpe" OR "scarp") AND ("corsa"* OR "cors")'),
        ("running shoes", '("running" OR "run") AND ("shoes"* OR "shoe")'),
        ("Maglià", '("maglia"* OR "magl")'),
        ("scarp", '("scarp"*)'),
        ('red" OR x*', '("red"*)'),  # syntax in the query is folded away, never passed on
        ("da", None),
        ("", None),
    ],
)
def test_fts5_match_ands_words_ors_forms_and_prefixes_the_last_word(query: str, expected: str | None) -> None:
    assert fts5_match(query) == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("scarpe da corsa", "(scarpe | scarp) & (corsa:* | cors)"),
        ("running shoes", "(running | run) & (shoes:* | shoe)"),
        ("maglie", "(maglie:* | magl | magli)"),
        ("rosso & nero | !blu", "(rosso | ross) & (nero | ner) & (blu:*)"),  # operators are dropped
        ("  ", None),
    ],
)
def test_tsquery_ands_words_ors_forms_and_prefixes_the_last_word(query: str, expected: str | None) -> None:
    assert tsquery(query) == expected


def test_repeated_words_count_once() -> None:
    assert fts5_match("corsa corsa") == '("corsa"* OR "cors")'


@pytest.mark.parametrize(
    ("query", "expected"),
    [("CAL-100-42", ["CAL-100-42"]), (" cal-100 ", ["cal-100", "CAL-100"]), ("   ", [])],
)
def test_exact_keys_try_the_query_as_typed_and_upper_cased(query: str, expected: list[str]) -> None:
    assert exact_keys(query) == expected
