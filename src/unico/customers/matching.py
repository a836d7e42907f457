"""Probabilistic matching of customer records that share no identifier (Fellegi–Sunter, via Splink).

Paper sign-ups in a store and legacy CRM rows often carry no email, phone or card that the
identity graph already knows, yet describe a person it does. Splink scores every candidate pair
(on an in-process DuckDB) by how strongly each field agrees, weighted by how often that level
of agreement happens among true matches (m) and among non-matches (u).

The model compares, once each: first name, surname, date of birth, address line, postcode,
city and a digits field (the phone number: exact, one typo, or the same last four digits; the
FEBRL benchmark puts its personal id number there, the one digits field it has).

Decisions are made on the match probability with two thresholds fixed here, not per dataset:
``AUTO_MERGE_PROBABILITY`` (0.99: merge only when a wrong merge is 99 times less likely than a
right one) and ``REVIEW_PROBABILITY`` (0.5: at least as likely a match as not goes to a person).
One guard on top: a pair whose dates of birth disagree (beyond one typo) is never merged without
a person, however high its score (see ``ScoredPair.decision``).

Imports score with the fixed parameters in ``matching_model.json`` (trained once, without
labels, on FEBRL 3 by ``python -m bench.identity --write-model``), so that a small import is
deterministic and does not depend on training on a handful of rows. Once there are at least
``LOCAL_U_MIN_RECORDS`` records to compare, the u probabilities (chance agreement, a property
of the population) are re-estimated on them by seeded random sampling; m (how one person's
records differ) and the prior stay as shipped.
"""

from __future__ import annotations

import copy
import json
import logging
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from importlib import resources
from typing import Any

import duckdb
import pyarrow as pa
import splink.comparison_level_library as cll
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on

AUTO_MERGE_PROBABILITY = 0.99
REVIEW_PROBABILITY = 0.5

FIELDS = ("first_name", "surname", "dob", "address", "postcode", "city", "phone")
MODEL_FILE = "matching_model.json"


class Decision(StrEnum):
    MERGE = "merge"
    REVIEW = "review"
    DISTINCT = "distinct"


@dataclass(frozen=True)
class MatchRecord:
    """One person as the model sees it: normalised text, ``dob`` as YYYYMMDD, phone as digits."""

    record_id: str
    first_name: str | None = None
    surname: str | None = None
    dob: str | None = None
    address: str | None = None
    postcode: str | None = None
    city: str | None = None
    phone: str | None = None


@dataclass(frozen=True)
class ScoredPair:
    left_id: str
    right_id: str
    probability: float
    match_weight: float
    levels: dict[str, str] = field(default_factory=dict)
    weights: dict[str, float] = field(default_factory=dict)  # each field's match weight (log2 BF)

    @property
    def decision(self) -> Decision:
        """``decide`` on the probability, except that two different dates of birth never merge
        without a person: parent and child share surname, address, phone, sometimes the first
        name, and only the birthday tells them apart."""
        decision = decide(self.probability)
        if decision is Decision.MERGE and self.weights.get("dob", 0.0) < 0:
            return Decision.REVIEW
        return decision

    def evidence(self) -> dict[str, Any]:
        """What a reviewer (and the merge audit) is shown: the score and each field's level."""
        return {
            "match_probability": round(self.probability, 6),
            "match_weight": round(self.match_weight, 3),
            "levels": dict(self.levels),
            "weights": {name: round(weight, 3) for name, weight in self.weights.items()},
        }


def decide(probability: float) -> Decision:
    if probability >= AUTO_MERGE_PROBABILITY:
        return Decision.MERGE
    if probability >= REVIEW_PROBABILITY:
        return Decision.REVIEW
    return Decision.DISTINCT


# -- normalisation ------------------------------------------------------------------------------

_SPACES = re.compile(r"\s+")
_NOT_WORD = re.compile(r"[^\w ]+")


def normalise_text(value: str | None) -> str | None:
    """Lower case, accents folded (``Bartolomè`` = ``bartolome``), punctuation dropped."""
    if value is None:
        return None
    folded = unicodedata.normalize("NFKD", value)
    folded = "".join(c for c in folded if not unicodedata.combining(c)).lower()
    folded = _SPACES.sub(" ", _NOT_WORD.sub(" ", folded)).strip()
    return folded or None


def normalise_digits(value: str | None) -> str | None:
    digits = "".join(c for c in value or "" if c.isdigit())
    return digits or None


def make_record(record_id: str, traits: Mapping[str, Any]) -> MatchRecord:
    """A model record from profile traits (``first_name``, ``last_name``, ``birthday`` as ISO date...)."""
    birthday = traits.get("birthday")
    return MatchRecord(
        record_id=record_id,
        first_name=normalise_text(traits.get("first_name")),
        surname=normalise_text(traits.get("last_name")),
        dob=normalise_digits(str(birthday)) if birthday else None,
        address=normalise_text(traits.get("address")),
        postcode=normalise_text(traits.get("postcode")),
        city=normalise_text(traits.get("city")),
        phone=normalise_digits(traits.get("phone")),
    )


# -- the model ----------------------------------------------------------------------------------


def _digits_comparison(column: str) -> cl.CustomComparison:
    return cl.CustomComparison(
        output_column_name=column,
        comparison_levels=[
            cll.NullLevel(column),
            cll.ExactMatchLevel(column),
            cll.DamerauLevenshteinLevel(column, 1).configure(label_for_charts="One typo"),
            cll.CustomLevel(
                f'right("{column}_l", 4) = right("{column}_r", 4)', label_for_charts="Same last 4 digits"
            ),
            cll.ElseLevel(),
        ],
    )


def comparisons() -> list[Any]:
    """One comparison per field; term-frequency adjustments are off so that parameters trained
    on one population can score a small import without recomputing frequencies from it."""
    return [
        cl.JaroWinklerAtThresholds("first_name", [0.92, 0.88, 0.7]),
        cl.JaroWinklerAtThresholds("surname", [0.92, 0.88, 0.7]),
        cl.DateOfBirthComparison(
            "dob",
            input_is_string=True,
            datetime_format="%Y%m%d",
            datetime_thresholds=[1, 10],
            datetime_metrics=["year", "year"],
        ),
        cl.JaroWinklerAtThresholds("address", [0.95, 0.85]),
        cl.LevenshteinAtThresholds("postcode", [1]),
        cl.JaroWinklerAtThresholds("city", [0.9]),
        _digits_comparison("phone"),
    ]


BLOCKING_FIELDS: tuple[tuple[str, ...], ...] = (
    ("first_name", "surname"),
    ("dob",),
    ("postcode", "first_name"),
    ("postcode", "surname"),
    ("surname", "city"),
    ("first_name", "city"),
    ("phone",),
)


def settings() -> SettingsCreator:
    """The untrained model: comparisons and the blocking rules that pick candidate pairs."""
    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="record_id",
        comparisons=comparisons(),
        blocking_rules_to_generate_predictions=[block_on(*cols) for cols in BLOCKING_FIELDS],
        retain_intermediate_calculation_columns=False,
        retain_matching_columns=False,
    )


def _register(records: Iterable[MatchRecord], fresh: frozenset[str] | None = None) -> tuple[DuckDBAPI, Any]:
    """The records as a DuckDB table of text columns (typed, so an all-empty column still works).

    Built from an Arrow table: DuckDB reads it at once, where row-by-row inserts cost seconds
    for a few thousand records."""
    rows = list(records)
    columns: dict[str, list[Any]] = {
        name: [getattr(r, name) for r in rows] for name in ("record_id", *FIELDS)
    }
    columns["fresh"] = [fresh is None or r.record_id in fresh for r in rows]
    schema = pa.schema([(name, pa.string()) for name in ("record_id", *FIELDS)] + [("fresh", pa.bool_())])
    con = duckdb.connect()
    con.register("arrow_records", pa.table(columns, schema=schema))
    con.execute("CREATE TABLE records AS SELECT * FROM arrow_records")
    con.unregister("arrow_records")
    db_api = DuckDBAPI(connection=con)
    return db_api, db_api.register("records")


def train_model(records: Sequence[MatchRecord], *, seed: int = 42) -> dict[str, Any]:
    """Estimate the model from unlabelled records; returns the Splink model as a dict.

    The prior (how likely two random records match) from pairs agreeing on name and date of
    birth, assumed to catch 70% of the matches; u by random sampling of pairs (nearly all
    non-matches); m by expectation maximisation on three blocking rules, so that each field is
    estimated from pairs not chosen by agreeing on it.
    """
    _, table = _register(records)
    linker = Linker(table, settings(), log_level=logging.ERROR)
    training = linker.training
    training.estimate_probability_two_random_records_match(
        [block_on("first_name", "surname", "dob")], recall=0.7
    )
    training.estimate_u_using_random_sampling(max_pairs=1e7, seed=seed)
    for cols in (("first_name", "surname"), ("dob",), ("postcode",)):
        training.estimate_parameters_using_expectation_maximisation(block_on(*cols))
    return _neutralise_unobserved(linker.misc.save_model_to_json())


UNOBSERVED_M = 1e-6


def _neutralise_unobserved(model: dict[str, Any]) -> dict[str, Any]:
    """A level (almost) never seen among matches in training gets m = u: no evidence either way.

    EM leaves such a level with m near zero, which would make it a veto (a weight of -30 or
    so) the first time it appears in other data, e.g. two phones sharing only their last
    digits, which FEBRL never shows among its matches.
    """
    for comparison in model["comparisons"]:
        for level in comparison["comparison_levels"]:
            m, u = level.get("m_probability"), level.get("u_probability")
            if u is not None and (m is None or m < UNOBSERVED_M):
                level["m_probability"] = u
    return model


LOCAL_U_MIN_RECORDS = 1000


def with_local_u(
    records: Sequence[MatchRecord], model: Mapping[str, Any], *, seed: int = 42
) -> dict[str, Any]:
    """``model`` with its u probabilities re-estimated on ``records`` when there are at least
    ``LOCAL_U_MIN_RECORDS`` of them; otherwise ``model`` unchanged.

    u says how often non-matches agree by chance, which belongs to the population: a store's
    customers mostly share its city, far more than FEBRL's people share a suburb. m says how
    people's records differ from themselves (typos, moves) and travels between datasets, so it
    is kept. Sampling is seeded, so the same data gives the same parameters. A level the sample
    never shows keeps the shipped u.
    """
    shipped = copy.deepcopy(dict(model))
    if len(records) < LOCAL_U_MIN_RECORDS:
        return shipped
    _, table = _register(records)
    linker = Linker(table, copy.deepcopy(shipped), log_level=logging.ERROR, validate_settings=False)
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=seed)
    local = linker.misc.save_model_to_json()
    for old, new in zip(shipped["comparisons"], local["comparisons"], strict=True):
        for before, after in zip(old["comparison_levels"], new["comparison_levels"], strict=True):
            u = after.get("u_probability")
            if before.get("u_probability") is not None and u is not None and u > 0:
                before["u_probability"] = u
    return shipped


def load_model() -> dict[str, Any]:
    """The fixed, pre-trained parameters shipped with Unico."""
    text = resources.files("unico.customers").joinpath(MODEL_FILE).read_text(encoding="utf-8")
    model: dict[str, Any] = json.loads(text)
    return model


def score_pairs(
    records: Sequence[MatchRecord],
    model: Mapping[str, Any] | None = None,
    *,
    threshold: float = REVIEW_PROBABILITY,
    involving: frozenset[str] | None = None,
) -> list[ScoredPair]:
    """Candidate pairs among ``records`` scored by ``model`` (default: the shipped one), best first.

    Only pairs with a match probability of at least ``threshold`` are returned. With
    ``involving``, only pairs where at least one side is one of those record ids are kept (an
    import compares its new records with each other and with existing profiles, never existing
    profiles among themselves).
    """
    if len(records) < 2:
        return []
    _, table = _register(records, involving)
    spec = dict(model if model is not None else load_model())
    spec["retain_intermediate_calculation_columns"] = True  # per-field weights: the evidence
    if involving is not None:
        spec["blocking_rules_to_generate_predictions"] = [
            " AND ".join([*(f'l."{c}" = r."{c}"' for c in cols), '(l."fresh" OR r."fresh")'])
            for cols in BLOCKING_FIELDS
        ]
    # The shipped model was validated when trained; checking its SQL again costs half the call.
    linker = Linker(table, spec, log_level=logging.ERROR, validate_settings=False)
    labels = _level_labels(linker)
    frame = linker.inference.predict(threshold_match_probability=threshold, warning_mode="never")
    pairs = []
    for row in frame.as_record_list():
        left, right = str(row["record_id_l"]), str(row["record_id_r"])
        weights = {name: float(row[f"mw_{name}"] or 0.0) for name in labels}
        levels = {name: _level_of(options, weights[name]) for name, options in labels.items()}
        pairs.append(
            ScoredPair(
                left_id=left,
                right_id=right,
                probability=float(row["match_probability"]),
                match_weight=float(row["match_weight"]),
                levels=levels,
                weights=weights,
            )
        )
    pairs.sort(key=lambda p: (-p.probability, p.left_id, p.right_id))
    return pairs


def _level_labels(linker: Linker) -> dict[str, list[tuple[float, str]]]:
    """Each field's levels as (match weight, label); Splink 5 returns only the weights."""
    labels: dict[str, list[tuple[float, str]]] = {}
    for comparison in linker._settings_obj.comparisons:
        labels[comparison.output_column_name] = [
            (0.0 if level.is_null_level else float(level._match_weight), str(level.label_for_charts))
            for level in comparison.comparison_levels
        ]
    return labels


def _level_of(options: list[tuple[float, str]], weight: float) -> str:
    return min(options, key=lambda option: abs(option[0] - weight))[1]
