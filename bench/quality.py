"""Quality of resolution against the generator's ground truth, with what is missed.

Trains the matching model on the graph named by the settings (unless `--no-train`),
resolves it in full and prints pairwise and cluster figures (`matching.evaluate`), then
the identifiable pairs that were missed, by the kind of evidence two of the person's
records share while sitting in different profiles (an identifier type, or "name+postcode"
for the same full name at one postcode, ...), and the impure profiles by size.
`python -m bench.quality_misses` says why those pairs are apart, by cause.

The graph is the generator's data set loaded as `bench.resolve` loads it (customer
sections), for instance offline:

    python -m bench.resolve --customers 10000 --generate-only
    python -m bench.resolve_graph csv var/bench/data-10000 var/bench/resolve-import-10000
    python -m bench.resolve_graph import var/bench/resolve-import-10000 var/bench/neo4j-q10k
    # start a LocalNeo4j on that home, `cdp migrate`, then
    python -m bench.quality --data var/bench/data-10000

The offline graph leaves out the ESP profiles `bench.resolve` holds back for its incremental
batches (2 x 1,000: 29,356 of 31,355 records at 10,000 customers); the README's figures are
of the whole data set, with those folders (`data-10000-esp-later-*`) ingested through the
pipeline (`Ingestor` with the ESP mapping) before this runs.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import time
from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from core.settings import Settings
from graph import resolve_repo
from graph.client import GraphClient
from matching.evaluate import evaluate, graph_evidence, identifiable_groups
from matching.linking import ProbabilisticLinker
from matching.resolve import Resolver


def load_truth(data: Path) -> dict[str, str]:
    with (data / "truth" / "ground_truth.csv").open(newline="", encoding="utf-8") as fh:
        return {f"{r['source']}:{r['source_id']}": r["person_id"] for r in csv.DictReader(fh)}


def load_labels(data: Path) -> dict[str, set[str]]:
    """label -> the records showing that phenomenon (`truth/labels.csv`; none when the
    data set predates labels)."""
    path = data / "truth" / "labels.csv"
    out: dict[str, set[str]] = defaultdict(set)
    if path.exists():
        with path.open(newline="", encoding="utf-8") as fh:
            for r in csv.DictReader(fh):
                out[r["label"]].add(f"{r['source']}:{r['source_id']}")
    return dict(out)


@dataclass(frozen=True)
class LabelQuality:
    """Pairwise figures over the pairs with at least one record showing a phenomenon."""

    records: int
    predicted_pairs: int
    true_pairs: int
    true_positive_pairs: int
    identifiable_pairs: int = 0
    identifiable_true_positive_pairs: int = 0

    @property
    def identifiable_recall(self) -> float:
        if not self.identifiable_pairs:
            return 1.0
        return self.identifiable_true_positive_pairs / self.identifiable_pairs

    @property
    def precision(self) -> float:
        return self.true_positive_pairs / self.predicted_pairs if self.predicted_pairs else 1.0

    @property
    def recall(self) -> float:
        return self.true_positive_pairs / self.true_pairs if self.true_pairs else 1.0


def _pairs_touching(sizes: Counter[tuple[str, ...]], marked: Counter[tuple[str, ...]]) -> int:
    """Pairs within each group that hold at least one marked member."""
    return sum(
        n * (n - 1) // 2 - (n - marked[g]) * (n - marked[g] - 1) // 2 for g, n in sizes.items()
    )


def quality_by_label(
    predicted: dict[str, str],
    truth: dict[str, str],
    labels: dict[str, set[str]],
    identifiable: Mapping[str, str] | None = None,
) -> dict[str, LabelQuality]:
    """Precision and recall per phenomenon: over predicted (resp. true) pairs of which at
    least one record carries the label. Records missing from either side are left out.
    With `identifiable` (rid -> identifiable group, `matching.evaluate.identifiable_groups`)
    recall over the identifiable pairs touching the label is given too."""
    rids = [r for r in predicted if r in truth]
    out: dict[str, LabelQuality] = {}
    for label, marked_rids in sorted(labels.items()):
        groups: dict[str, Counter[tuple[str, ...]]] = {
            "predicted": Counter(),
            "true": Counter(),
            "both": Counter(),
            "identifiable": Counter(),
            "identifiable_found": Counter(),
        }
        marked: dict[str, Counter[tuple[str, ...]]] = {k: Counter() for k in groups}
        for rid in rids:
            group = identifiable.get(rid, rid) if identifiable is not None else rid
            keys = {
                "predicted": (predicted[rid],),
                "true": (truth[rid],),
                "both": (predicted[rid], truth[rid]),
                "identifiable": (group,),
                "identifiable_found": (group, predicted[rid]),
            }
            for kind, key in keys.items():
                groups[kind][key] += 1
                if rid in marked_rids:
                    marked[kind][key] += 1
        out[label] = LabelQuality(
            records=sum(1 for r in rids if r in marked_rids),
            predicted_pairs=_pairs_touching(groups["predicted"], marked["predicted"]),
            true_pairs=_pairs_touching(groups["true"], marked["true"]),
            true_positive_pairs=_pairs_touching(groups["both"], marked["both"]),
            identifiable_pairs=_pairs_touching(groups["identifiable"], marked["identifiable"]),
            identifiable_true_positive_pairs=_pairs_touching(
                groups["identifiable_found"], marked["identifiable_found"]
            ),
        )
    return out


def records_sharing(
    predicted: Mapping[str, str], truth: Mapping[str, str], evidence: Mapping[str, set[str]]
) -> dict[tuple[str, str], list[str]]:
    """(person, evidence key) -> that person's resolved records carrying the key."""
    by_key: dict[tuple[str, str], list[str]] = defaultdict(list)
    for rid, keys in evidence.items():
        person = truth.get(rid)
        if person is None or rid not in predicted:
            continue
        for key in keys:
            by_key[(person, key)].append(rid)
    return by_key


def profiles_holding_labelled_people(
    people: Mapping[str, set[str]], truth: Mapping[str, str], labels: Mapping[str, set[str]]
) -> dict[str, int]:
    """Per label, the profiles (profile -> the true people of its records) that hold two or
    more people whose records show that label: for `twin` and `sibling` what the family
    rule is for, two members of one family in one profile."""
    labelled: dict[str, set[str]] = {
        label: {truth[r] for r in rids if r in truth} for label, rids in labels.items()
    }
    return {
        label: sum(1 for persons in people.values() if len(persons & marked) > 1)
        for label, marked in labelled.items()
    }


def key_holders(evidence: Mapping[str, set[str]], truth: Mapping[str, str]) -> dict[str, set[str]]:
    """Evidence key -> the true people whose records carry it."""
    people: dict[str, set[str]] = defaultdict(set)
    for rid, keys in evidence.items():
        person = truth.get(rid)
        if person is not None:
            for key in keys:
                people[key].add(person)
    return people


def held_by_one_person(
    evidence: Mapping[str, set[str]], truth: Mapping[str, str]
) -> dict[str, set[str]]:
    """`evidence` without the keys that records of two or more true people carry (a
    household's email or landline, namesakes' full name and postcode): what is left joins
    only records of one person, so no resolver has to guess whose record it is."""
    people = key_holders(evidence, truth)
    return {rid: {k for k in keys if len(people[k]) == 1} for rid, keys in evidence.items()}


def missed_by_kind(
    predicted: dict[str, str], truth: dict[str, str], evidence: dict[str, set[str]]
) -> Counter[str]:
    """Pairs of one person's records that share an evidence key but sit in different
    profiles, counted by the key's kind (one count per record pair and kind)."""
    out: Counter[str] = Counter()
    for (_, key), rids in records_sharing(predicted, truth, evidence).items():
        if len(rids) < 2:
            continue
        kind = key.split(":", 1)[0]
        profiles = Counter(predicted[r] for r in rids)
        together = sum(n * (n - 1) // 2 for n in profiles.values())
        out[kind] += len(rids) * (len(rids) - 1) // 2 - together
    return out


async def run(data: Path, train: bool) -> None:
    graph = GraphClient.from_settings(Settings())
    try:
        linker = ProbabilisticLinker(graph, data.parent / f"{data.name}-models")
        if train:
            t0 = time.perf_counter()
            model = await linker.train()
            print(f"trained {model.version} in {time.perf_counter() - t0:.1f} s")
        t0 = time.perf_counter()
        rep = await Resolver(graph, linker=linker).resolve(full=True, recompute=True)
        print(
            f"full resolution: {rep.records:,} records -> {rep.components:,} profiles, "
            f"moved {rep.moved_records:,}, in {time.perf_counter() - t0:.1f} s"
        )
        predicted = {rid: pid for _, _, rid, pid in await resolve_repo.clusters(graph) if pid}
        evidence = await graph_evidence(graph)
    finally:
        await graph.close()
    truth = load_truth(data)
    q = evaluate(predicted, truth, evidence)
    print(
        f"precision {q.precision:.4f}  recall {q.recall:.4f}  identifiable recall "
        f"{q.identifiable_recall:.4f} ({q.identifiable_pairs:,} of {q.true_pairs:,} true "
        f"pairs)  cluster P/R {q.cluster_precision:.4f}/{q.cluster_recall:.4f}  largest "
        f"{q.largest_cluster}  false pairs {q.predicted_pairs - q.true_positive_pairs:,}"
    )
    unambiguous = evaluate(predicted, truth, held_by_one_person(evidence, truth))
    print(
        f"identifiable recall by evidence one person holds {unambiguous.identifiable_recall:.4f} "
        f"({unambiguous.identifiable_pairs:,} pairs: no household's email or phone, no "
        "namesakes' name and postcode)"
    )
    missed = missed_by_kind(predicted, truth, evidence)
    print("directly identifiable pairs apart, by shared evidence:")
    for kind, n in missed.most_common():
        print(f"  {kind:24} {n:6,}")
    people: dict[str, set[str]] = defaultdict(set)
    for rid, pid in predicted.items():
        if rid in truth:
            people[pid].add(truth[rid])
    impure = Counter(len(p) for p in people.values() if len(p) > 1)
    print("profiles holding several people, by number of people: " + str(dict(impure)))
    labels = load_labels(data)
    together = profiles_holding_labelled_people(people, truth, labels)
    if together:
        print(
            "profiles holding two or more people of one phenomenon (two twins, two siblings, "
            "two namesakes...): "
            + ", ".join(f"{label} {n}" for label, n in sorted(together.items()))
        )
    known = {r: truth[r] for r in predicted if r in truth}
    by_label = quality_by_label(predicted, truth, labels, identifiable_groups(known, evidence))
    if by_label:
        print("by phenomenon (pairs with at least one record showing it):")
    for label, lq in by_label.items():
        print(
            f"  {label:24} {lq.records:6,} records  precision {lq.precision:.4f}  recall "
            f"{lq.recall:.4f}  identifiable recall {lq.identifiable_recall:.4f}  "
            f"({lq.true_positive_pairs:,} of {lq.predicted_pairs:,} predicted, "
            f"{lq.true_pairs:,} true pairs, {lq.identifiable_pairs:,} identifiable)"
        )


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--data", type=Path, required=True, help="The generator's data folder.")
    p.add_argument("--no-train", action="store_true", help="Keep the current model.")
    a = p.parse_args()
    asyncio.run(run(a.data, not a.no_train))


if __name__ == "__main__":
    main()
