"""Resolving closed parts one at a time and combining them gives the resolution of all the
records at once: the reasoning the Spark engine rests on, checked without Spark."""

from __future__ import annotations

import pickle
from collections import Counter, defaultdict
from typing import Any

import pytest
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from matching.component_rules import ComponentRules, ResolutionInput
from matching.components import combine
from matching.config import default_config
from matching.households import split_households
from matching.protection import Protection
from tests.factories.resolution_inputs import THRESHOLD, assert_same_resolution, random_input

RULES = ComponentRules(
    Protection.from_config(default_config()), default_config(), ("dob",), threshold=THRESHOLD
)


def coarse_parts(data: ResolutionInput, *, elsewhere: bool = True) -> list[ResolutionInput]:
    """`data` cut into coarse components, as the Spark engine cuts it: records joined by
    the keys `may_join` allows (operator-shared ones aside) and by every link."""
    rids = sorted({*data.records, *(r for r, _ in data.pairs)})
    index = {r: i for i, r in enumerate(rids)}
    keys = sorted({k for _, k in data.pairs})
    joins = dict(zip(keys, RULES.may_join(keys, data.generic), strict=True))
    key_index = {k: len(rids) + i for i, k in enumerate(keys)}
    edges = [(index[r], key_index[k]) for r, k in data.pairs if joins[k] and k not in data.shared]
    for links in (data.accepted, data.strong, data.rejected, data.forced):
        edges.extend((index[a], index[b]) for a, b in links)
    n = len(rids) + len(keys)
    rows, cols = zip(*edges, strict=True)
    graph = coo_matrix(([1] * len(rows), (rows, cols)), shape=(n, n))
    _, labels = connected_components(graph.tocsr(), directed=False)
    part_of = {r: int(labels[i]) for r, i in index.items()}
    carriers = Counter(k for _, k in data.pairs)
    grouped: dict[int, dict[str, list[Any]]] = defaultdict(lambda: defaultdict(list))
    for r in data.records:
        grouped[part_of[r]]["records"].append(r)
    for r, k in data.pairs:
        grouped[part_of[r]]["pairs"].append((r, k))
    for name in ("accepted", "strong", "rejected", "forced", "name_postcode"):
        for a, b in getattr(data, name):
            grouped[part_of[a]][name].append((a, b))
    parts = []
    for g in grouped.values():
        here = Counter(k for _, k in g["pairs"])
        parts.append(
            ResolutionInput(
                records=g["records"],
                pairs=g["pairs"],
                facts=data.facts,
                extra=data.extra,
                accepted=g["accepted"],
                rejected=g["rejected"],
                strong=g["strong"],
                probability=data.probability,
                forced=g["forced"],
                name_postcode=g["name_postcode"],
                shared=data.shared,
                generic=data.generic,
                carried_elsewhere={k for k in here if carriers[k] > here[k]} if elsewhere else (),
            )
        )
    return parts


@pytest.mark.parametrize("seed", range(6))
def test_coarse_parts_resolved_apart_give_the_whole_resolution(seed: int) -> None:
    data = random_input(seed)
    whole = RULES.resolve(data)
    parts = coarse_parts(data)
    assert len(parts) > 5
    assert_same_resolution(combine(RULES.resolve(p) for p in parts), whole)


def test_the_inputs_exercise_every_rule() -> None:
    """Without limits refused, families kept apart and identifiers dropped, the equality
    above would prove little."""
    reasons: Counter[str] = Counter()
    for seed in range(6):
        r = RULES.resolve(random_input(seed))
        reasons.update(s.reason.partition(":")[0] for s in r.skipped_links)
        reasons.update(s.reason.partition(":")[0] for s in r.skipped_matches)
        reasons["violations"] += len(r.violations)
    assert {"limit", "blocked", "generic", "shared", "apart", "inconsistent"} <= set(reasons)
    assert reasons["violations"] > 0


def test_without_carried_elsewhere_a_part_misses_skipped_links() -> None:
    """A blocked key carried in two parts is carried once in each: only the global count
    has it reported as skipped, as resolving everything at once does."""
    data = random_input(0)
    whole = RULES.resolve(data)
    blind = combine(RULES.resolve(p) for p in coarse_parts(data, elsewhere=False))
    assert blind.components == whole.components
    assert len(blind.skipped_links) < len(whole.skipped_links)


def test_the_inputs_split_households() -> None:
    data = random_input(0)
    households = RULES.households(data.generic, data.shared)
    facts = data.facts

    def name_of(rid: str) -> tuple[str | None, str | None]:
        return facts[rid]["given_name"], facts[rid]["family_name"]

    assert households
    assert split_households(data.pairs, households, name_of) != list(data.pairs)


def test_the_rules_travel_by_pickle_and_resolve_alike() -> None:
    """An engine ships the rules to its executors by pickle: the checks compiled again
    there decide as here."""
    data = random_input(3)
    shipped = pickle.loads(pickle.dumps(RULES))
    assert shipped.personal == RULES.personal
    assert_same_resolution(shipped.resolve(data), RULES.resolve(data))


def test_may_join_keeps_households_and_drops_what_never_links() -> None:
    generic = {"phone:+61300000001": "household:different_people", "email:info@x.com": "generic"}
    keys = [
        "email:a@b.com",
        "email:noemail@x.com",
        "email:info@x.com",
        "phone:+61300000001",
        "ip_address:10.0.0.1",
        "unknown_type:1",
    ]
    assert RULES.may_join(keys, generic) == [True, False, False, True, False, False]
