"""The category tree: paths, descendants and nesting, computed from flat rows. Pure."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from unico.catalog.model import Category, CategoryRef


@dataclass(frozen=True)
class CategoryRow:
    """A category as stored: ids and the parent's id."""

    id: int
    code: str
    parent_id: int | None
    name_it: str
    name_en: str
    position: int


def category_path(rows: Iterable[CategoryRow], category_id: int | None) -> list[CategoryRef]:
    """The path from the root down to ``category_id`` (empty for None)."""
    by_id = {row.id: row for row in rows}
    path: list[CategoryRef] = []
    seen: set[int] = set()
    current = by_id.get(category_id) if category_id is not None else None
    while current is not None and current.id not in seen:  # `seen` guards against a corrupt cycle
        seen.add(current.id)
        path.append(CategoryRef(code=current.code, name_it=current.name_it, name_en=current.name_en))
        current = by_id.get(current.parent_id) if current.parent_id is not None else None
    return list(reversed(path))


def path_names(path: Iterable[CategoryRef]) -> list[str]:
    """Italian and English names of every category on ``path``: what search indexes."""
    return [name for ref in path for name in (ref.name_it, ref.name_en)]


def descendant_ids(rows: Iterable[CategoryRow], category_id: int) -> set[int]:
    """``category_id`` and every category below it."""
    children: dict[int | None, list[int]] = {}
    for row in rows:
        children.setdefault(row.parent_id, []).append(row.id)
    found = {category_id}
    stack = [category_id]
    while stack:
        for child in children.get(stack.pop(), []):
            if child not in found:
                found.add(child)
                stack.append(child)
    return found


def category_tree(rows: Iterable[CategoryRow]) -> list[Category]:
    """The roots, each with nested children; siblings sorted by position then code."""
    rows = list(rows)
    code_of = {row.id: row.code for row in rows}
    children: dict[int | None, list[CategoryRow]] = {}
    for row in rows:
        children.setdefault(row.parent_id, []).append(row)

    def build(parent_id: int | None, seen: frozenset[int]) -> list[Category]:
        siblings = sorted(children.get(parent_id, []), key=lambda r: (r.position, r.code))
        return [
            Category(
                code=row.code,
                name_it=row.name_it,
                name_en=row.name_en,
                position=row.position,
                parent=code_of.get(row.parent_id) if row.parent_id is not None else None,
                children=build(row.id, seen | {row.id}),
            )
            for row in siblings
            if row.id not in seen
        ]

    return build(None, frozenset())
