"""Analysis: why identifiable pairs of the generator's data set are missed, by evidence and
by cause.

Runs what `bench.quality` runs (train unless `--no-train`, full resolution), then takes
every pair of one person's records that share an evidence key (`matching.evaluate`) and
sit in different profiles, and says why, per kind of evidence shared:

* an identifier (email, phone, loyalty id, ...): the reason resolution did not let it link
  one of the two records (`SkippedLink.reason`: blocked, generic, shared, limit:<type>,
  apart), or "linked" when both records kept it and still ended apart;
* a name with another attribute ("name+postcode", ...): the class `bench.febrl_misses`
  gives FEBRL's misses (never proposed by a blocking rule, scored below the threshold, held
  back by the family rule, or linked and cut in the components step, with the reason of
  the skipped match when the pair's own match was skipped).

Then the same pairs by who holds the evidence they share: one person, or two or more
(namesakes in one postcode, a household's email or landline), which the evidence itself
cannot place (`by_holders`).

Pairs scored below the threshold are counted by the comparisons that fell short of their
exact level, and each cause by the phenomena (`truth/labels.csv`) its records show.

Uses the Neo4j named by the settings, holding the data set as `bench.quality` expects it.

    python -m bench.quality_misses --data var/bench/data-50000 [--no-train] [--examples 3]
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from bench.febrl_misses import pair_class, score_all, short_of_exact
from bench.quality import key_holders, load_labels, load_truth, records_sharing
from core.settings import Settings
from graph import resolve_repo
from graph.client import GraphClient
from matching.component_rules import ComponentRules, ResolutionInput
from matching.components import Resolution
from matching.engine import LocalEngine
from matching.evaluate import evaluate, graph_evidence
from matching.households import is_household
from matching.linking import ProbabilisticLinker
from matching.resolve import Resolver

Pair = tuple[str, str]

NAME_PREFIX = "name+"
SHOWN_COLUMNS = ("given_name", "family_name", "dob", "address", "postcode", "email", "phone")


class _Keeping(LocalEngine):
    """The local engine, keeping the last resolution (with what it left out and why)."""

    resolution: Resolution | None = None
    generic: Mapping[str, str] = {}

    def resolve(self, rules: ComponentRules, data: ResolutionInput) -> Resolution:
        self.resolution = super().resolve(rules, data)
        self.generic = data.generic
        return self.resolution


def missed_pairs(
    predicted: Mapping[str, str], truth: Mapping[str, str], evidence: Mapping[str, set[str]]
) -> dict[Pair, set[str]]:
    """(a, b) with a < b -> the evidence keys the two records share, for pairs of one
    person's records that share a key and sit in different profiles (the pairs
    `bench.quality.missed_by_kind` counts)."""
    out: dict[Pair, set[str]] = defaultdict(set)
    for (_, key), rids in records_sharing(predicted, truth, evidence).items():
        rids.sort()
        for i, a in enumerate(rids):
            for b in rids[i + 1 :]:
                if predicted[a] != predicted[b]:
                    out[(a, b)].add(key)
    return dict(out)


def kind_of(key: str) -> str:
    return key.split(":", 1)[0]


def identifier_cause(
    a: str,
    b: str,
    key: str,
    skipped: Mapping[Pair, str],
    household: bool = False,
    nameless: bool = False,
) -> str:
    """Why an identifier both records carry did not join them: the reasons it was left out
    of either record, or "linked" when it was left out of neither (a household's identifier
    links only each member's records: see `matching.households`); whether it is a
    household's, and whether one of the records names nobody (so cannot be placed with
    one member of a household)."""
    reasons = sorted({r for r in (skipped.get((a, key)), skipped.get((b, key))) if r})
    cause = "/".join(reasons) if reasons else "linked"
    if household:
        cause += ", household's"
    if nameless:
        cause += ", a record names nobody"
    return cause


def causes(
    pairs: Mapping[Pair, set[str]],
    scored: Mapping[Pair, Any],
    rows: pd.DataFrame,
    threshold: float,
    personal: tuple[str, ...],
    skipped_links: Mapping[Pair, str],
    skipped_matches: Mapping[Pair, str],
    households: Collection[str] = (),
) -> dict[tuple[Pair, str], tuple[str, dict[str, Any]]]:
    """(pair, kind of evidence) -> (cause, the pair's evidence when scored)."""
    out: dict[tuple[Pair, str], tuple[str, dict[str, Any]]] = {}
    for (a, b), keys in pairs.items():
        named: tuple[str, dict[str, Any]] | None = None
        for key in sorted(keys):
            kind = kind_of(key)
            if ((a, b), kind) in out:
                continue
            if not kind.startswith(NAME_PREFIX):
                cause = identifier_cause(
                    a,
                    b,
                    key,
                    skipped_links,
                    household=key in households,
                    nameless=a not in rows.index or b not in rows.index,
                )
                out[((a, b), kind)] = (f"identifier {cause}", {})
                continue
            if named is None:
                if a not in rows.index or b not in rows.index:
                    named = ("not scored (no name)", {})
                else:
                    cls, ev = pair_class(a, b, scored.get((a, b)), rows, threshold, personal)
                    if cls == "components":
                        cls += f" ({skipped_matches.get((a, b), 'match kept, path cut')})"
                    named = (cls, ev)
            out[((a, b), kind)] = named
    return out


def by_holders(
    pairs: Mapping[Pair, set[str]], evidence: Mapping[str, set[str]], truth: Mapping[str, str]
) -> dict[str, Counter[str]]:
    """Kind of evidence -> how many of the missed pairs share a key of that kind that one
    person holds ("one person") and how many only keys that two or more people hold ("two
    or more people": namesakes in one postcode, a household's email or landline). The
    latter the evidence itself cannot place, whatever the resolver does."""
    people = key_holders(evidence, truth)
    out: dict[str, Counter[str]] = defaultdict(Counter)
    for keys in pairs.values():
        kinds: dict[str, bool] = {}
        for key in keys:
            kind = kind_of(key)
            kinds[kind] = kinds.get(kind, False) or len(people[key]) == 1
        for kind, alone in kinds.items():
            out[kind]["one person" if alone else "two or more people"] += 1
    return out


def _labels_of(rids: Iterable[str], labels: Mapping[str, set[str]]) -> set[str]:
    return {label for label, marked in labels.items() for r in rids if r in marked}


async def run(data: Path, train: bool, examples: int) -> None:
    graph = GraphClient.from_settings(Settings())
    engine = _Keeping()
    try:
        linker = ProbabilisticLinker(graph, data.parent / f"{data.name}-models")
        if train:
            t0 = time.perf_counter()
            await linker.train()
            print(f"trained in {time.perf_counter() - t0:.1f} s")
        model = linker.current_model()
        assert model is not None, "no model: run without --no-train"
        rep = await Resolver(graph, linker=linker, engine=engine).resolve(full=True, recompute=True)
        print(f"full resolution: {rep.records:,} records -> {rep.components:,} profiles")
        predicted = {rid: pid for _, _, rid, pid in await resolve_repo.clusters(graph) if pid}
        evidence = await graph_evidence(graph)
        frame, scored_frame = await score_all(linker, model)
    finally:
        await graph.close()
    assert engine.resolution is not None
    truth = load_truth(data)
    labels = load_labels(data)
    q = evaluate(predicted, truth, evidence)
    print(
        f"precision {q.precision:.4f}  identifiable recall {q.identifiable_recall:.4f}  "
        f"false pairs {q.predicted_pairs - q.true_positive_pairs:,}"
    )
    pairs = missed_pairs(predicted, truth, evidence)
    wanted = set(pairs)
    scored: dict[Pair, Any] = {}
    for r in scored_frame.itertuples(index=False):
        key = (min(r.rid_l, r.rid_r), max(r.rid_l, r.rid_r))
        if key in wanted:
            scored[key] = r
    skipped_links = {(s.rid, s.identifier_key): s.reason for s in engine.resolution.skipped_links}
    skipped_matches = {(s.a, s.b): s.reason for s in engine.resolution.skipped_matches}
    rows = frame.set_index("unique_id")
    found = causes(
        pairs,
        scored,
        rows,
        linker.threshold,
        model.spec.personal_comparisons,
        skipped_links,
        skipped_matches,
        {k for k, flag in engine.generic.items() if is_household(flag)},
    )
    by_kind: dict[str, Counter[str]] = defaultdict(Counter)
    short: dict[str, Counter[str]] = defaultdict(Counter)
    phenomena: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    shown: Counter[tuple[str, str]] = Counter()
    for ((a, b), kind), (cause, ev) in sorted(found.items()):
        by_kind[kind][cause] += 1
        phenomena[(kind, cause)].update(_labels_of((a, b), labels) or {"(none)"})
        if cause == "below threshold":
            short[kind].update(short_of_exact(ev))
        if shown[(kind, cause)] < examples:
            shown[(kind, cause)] += 1
            r = scored.get((a, b))
            print(
                f"  [{kind} / {cause}] {a} ~ {b}"
                + (f" p={r.match_probability:.4f}" if r is not None else "")
            )
            for rid in (a, b):
                values = [str(rows.at[rid, c]) if rid in rows.index else "?" for c in SHOWN_COLUMNS]
                print("     ", " | ".join(values))
            if ev:
                print("      ", ", ".join(short_of_exact(ev)))
    print("identifiable pairs apart, by shared evidence and cause:")
    for kind, counts in sorted(by_kind.items(), key=lambda kv: -sum(kv[1].values())):
        print(f"  {kind:24} {sum(counts.values()):6,}")
        for cause, n in counts.most_common():
            top = ", ".join(f"{k} {v}" for k, v in phenomena[(kind, cause)].most_common(4))
            print(f"      {n:6,}  {cause:40} [{top}]")
    print("the same pairs by who holds the evidence they share (a key of that kind):")
    for kind, counts in sorted(
        by_holders(pairs, evidence, truth).items(), key=lambda kv: -sum(kv[1].values())
    ):
        print(
            f"  {kind:24} one person {counts['one person']:6,}   "
            f"two or more people {counts['two or more people']:6,}"
        )
    for kind, counts in short.items():
        print(f"  {kind}, below threshold, comparisons short of exact:")
        for what, n in counts.most_common(12):
            print(f"      {n:6,}  {what}")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--data", type=Path, required=True, help="The generator's data folder.")
    p.add_argument("--no-train", action="store_true", help="Keep the current model.")
    p.add_argument("--examples", type=int, default=2, help="pairs shown per kind and cause")
    a = p.parse_args()
    asyncio.run(run(a.data, not a.no_train, a.examples))


if __name__ == "__main__":
    main()
