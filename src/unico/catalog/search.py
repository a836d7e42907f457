"""Full-text search text and queries for the catalog. Pure: strings in, strings out.

A product's ``search_text`` holds the forms (folded word, Italian and English stems) of every word
of its names, descriptions, brand, categories, colours and code (``unico.catalog.text``). A query
matches a product when every query word has at least one of its forms in that text:

    "scarpe da corsa"  ->  FTS5:    ("scarpe" OR "scarp") AND ("corsa"* OR "cors")
                           tsquery: (scarpe | scarp) & (corsa:* | cors)

The last word is matched as a prefix so that results follow the user as they type. Only the word
as typed is a prefix, not its stems: "maglie" should find "maglia" (stem "magl") but not
"maglione", which a prefix on the stem "magl" would drag in.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from unico.catalog.text import query_terms, search_document


def build_search_text(
    *,
    code: str,
    name_it: str,
    name_en: str,
    description_it: str = "",
    description_en: str = "",
    brand: str | None = None,
    category_names: Iterable[str] = (),
    colours: Iterable[str | None] = (),
) -> str:
    """The ``products.search_text`` of one product.

    ``category_names`` are the Italian and English names of the product's category and of all
    its ancestors; ``colours`` are the colours of its variants (None entries are ignored).
    Callers that insert products in bulk (the demo loader, imports) must use this too, so that
    every product is found the same way.
    """
    texts = [name_it, name_en, description_it, description_en, brand or "", *category_names]
    texts.extend(colour for colour in colours if colour)
    texts.append(code)
    return search_document(texts)


def _alternatives(forms: Sequence[str], *, prefix: bool, quote: str, star: str) -> list[str]:
    typed, *stems = forms
    first = f"{quote}{typed}{quote}{star}" if prefix else f"{quote}{typed}{quote}"
    return [first, *(f"{quote}{stem}{quote}" for stem in stems)]


def fts5_match(query: str) -> str | None:
    """An FTS5 MATCH expression for ``query``, or None when it has no searchable word.

    Forms are ``[a-z0-9]+`` (see ``text.words``), so quoting them cannot break the syntax.
    """
    terms = query_terms(query)
    if not terms:
        return None
    groups = []
    for index, forms in enumerate(terms):
        alternatives = _alternatives(forms, prefix=index == len(terms) - 1, quote='"', star="*")
        groups.append("(" + " OR ".join(alternatives) + ")")
    return " AND ".join(groups)


def tsquery(query: str) -> str | None:
    """A PostgreSQL ``to_tsquery('simple', ...)`` expression for ``query``, or None when empty."""
    terms = query_terms(query)
    if not terms:
        return None
    groups = []
    for index, forms in enumerate(terms):
        alternatives = _alternatives(forms, prefix=index == len(terms) - 1, quote="", star=":*")
        groups.append("(" + " | ".join(alternatives) + ")")
    return " & ".join(groups)


def exact_keys(query: str) -> list[str]:
    """Strings a SKU, EAN or product code must equal for ``query`` to be an exact lookup."""
    stripped = query.strip()
    if not stripped:
        return []
    return list(dict.fromkeys([stripped, stripped.upper()]))
