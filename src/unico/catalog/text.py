"""Text normalisation for bilingual (Italian/English) product search. Pure.

A product's search document is the set of accent-free tokens of its names, descriptions, brand,
category and colours, each with its Italian and English Snowball stems. A query word matches a
product when any of its forms (folded word, Italian stem, English stem) is in the document, so
"scarpe da corsa" finds "Scarpa da corsa" (plural, stopword) and "running shoes" finds the same
product through its English name. Both SQLite FTS5 and PostgreSQL index this same document.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

import snowballstemmer

_ITALIAN = snowballstemmer.stemmer("italian")
_ENGLISH = snowballstemmer.stemmer("english")
_WORD = re.compile(r"[a-z0-9]+")

STOPWORDS = frozenset(
    """
    a ad al alla alle allo ai agli anche che chi con coi col da dal dalla dalle dai dagli degli dei del
    della delle dello di e ed gli i il in l la le lo ma ne nei nel nella nelle nello o per su sul sulla
    sulle sui tra fra un una uno
    an and are as at be by for from in into is it of on or the to with
    """.split()
)


def fold(text: str) -> str:
    """Lower case without accents: 'Perché Città' -> 'perche citta'."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def words(text: str) -> list[str]:
    """The folded words of ``text``, stopwords removed (single letters dropped)."""
    return [w for w in _WORD.findall(fold(text)) if w not in STOPWORDS and (len(w) > 1 or w.isdigit())]


@lru_cache(maxsize=65536)
def forms(word: str) -> tuple[str, ...]:
    """The folded word and its Italian and English stems, deduplicated, in a fixed order."""
    found = [word, _ITALIAN.stemWord(word), _ENGLISH.stemWord(word)]
    return tuple(dict.fromkeys(f for f in found if f))


def search_document(texts: Iterable[str]) -> str:
    """Space-separated forms of every word in ``texts``: what the full-text index stores."""
    seen: dict[str, None] = {}
    for text in texts:
        for word in words(text):
            for form in forms(word):
                seen.setdefault(form, None)
    return " ".join(seen)


def query_terms(query: str) -> list[tuple[str, ...]]:
    """One tuple of alternative forms per query word; a product must match every tuple."""
    return [forms(word) for word in dict.fromkeys(words(query))]
