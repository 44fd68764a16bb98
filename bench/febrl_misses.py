"""Analysis: why true FEBRL pairs are missed, by cause.

Runs what `bench.febrl` runs (ingest through `bench/febrl_mapping.yaml`, train, full
resolution), then scores every pair the blocking rules propose, below the threshold too
and without the family rule, and puts each true pair that did not end in one profile into
one class:

* `blocking`: never a candidate (no blocking rule proposes it);
* `below threshold`: scored under the linker's threshold (with the comparisons that fell
  short of their exact level, counted);
* `family rule`: above the threshold, held back when scoring (`matching.family_rule`);
* `components`: linked, and still not joined (kept apart, a limit).

A person whose records end in several profiles is counted once more, by the best class of
the pairs between their pieces (`components` before `family rule` before `below
threshold` before `blocking`): that is what keeps the pieces apart.

Uses the Neo4j named by the settings, which it empties first.

    python -m bench.febrl_misses dataset3 dataset4a+dataset4b [--examples 5]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import tempfile
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import pandas as pd

from bench.febrl import febrl_file, febrl_mapping, truth
from core.settings import Settings
from graph import resolve_repo
from graph.client import GraphClient
from graph.schema import migrate, wipe
from ingest.pipeline import Ingestor
from matching import family_rule
from matching.linking import ProbabilisticLinker
from matching.probabilistic import TrainedModel, predict
from matching.resolve import Resolver

ORDER = ("components", "family rule", "below threshold", "blocking")


def _short(evidence: dict[str, Any]) -> str:
    return ", ".join(
        f"{k}={v.get('level')}({v.get('bf')})"
        for k, v in evidence.items()
        if v.get("level") not in (family_rule.EXACT_LEVEL,)
    )


async def score_all(
    linker: ProbabilisticLinker, model: TrainedModel
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The records as `model` scores them, and every pair the blocking rules propose,
    scored without a threshold and without the family rule."""
    frame = await linker._records(model, None)
    scored = predict(
        model,
        frame,
        None,
        threshold_probability=0.0,
        family_rule=False,
        term_frequencies=linker.term_frequencies(model),
    )
    return frame, scored


def short_of_exact(evidence: dict[str, Any]) -> list[str]:
    """The comparisons of a scored pair that fell short of their exact level, as
    "comparison: level"."""
    return [
        f"{k}: {v.get('level')}"
        for k, v in evidence.items()
        if v.get("level") != family_rule.EXACT_LEVEL
    ]


def pair_class(
    a: str,
    b: str,
    scored: Any,
    rows: pd.DataFrame,
    threshold: float,
    personal: tuple[str, ...],
) -> tuple[str, dict[str, Any]]:
    """Why a true pair (a, b) that was not put in one profile stayed apart: one of
    `ORDER`, with the pair's evidence (empty when never scored).

    Args:
        a: One record.
        b: The other.
        scored: The pair's row as `predict` scored it without threshold or family rule
            (`match_probability`, `evidence`), or None when no blocking rule proposed it.
        rows: The scored records' frame, indexed by `unique_id`.
        threshold: The linker's threshold.
        personal: The model's personal comparisons.
    """
    if scored is None:
        return "blocking", {}
    ev: dict[str, Any] = json.loads(scored.evidence)
    if scored.match_probability < threshold:
        return "below threshold", ev
    names = [
        (family_rule.fold(rows.at[r, "given_name"]), family_rule.fold(rows.at[r, "family_name"]))
        for r in (a, b)
    ]
    if family_rule.held_back(
        names[0], names[1], ev, personal, [(rows.at[a, c], rows.at[b, c]) for c in personal]
    ):
        return "family rule", ev
    return "components", ev


async def analyse(graph: GraphClient, label: str, examples: int) -> None:
    paths = [febrl_file(n) for n in label.split("+")]
    mapping = febrl_mapping()
    await wipe(graph)
    await migrate(graph)
    models = Path(tempfile.mkdtemp(prefix="febrl-misses-"))
    try:
        for path in paths:
            await Ingestor(graph, mapping).ingest_path(path)
        linker = ProbabilisticLinker(graph, models)
        model = await linker.train()
        rep = await Resolver(graph, linker=linker).resolve(full=True)
        predicted = {rid: pid for _, _, rid, pid in await resolve_repo.clusters(graph) if pid}
        people = truth(paths, mapping.source)
        frame, scored = await score_all(linker, model)
    finally:
        shutil.rmtree(models, ignore_errors=True)
    personal = model.spec.personal_comparisons
    rows = frame.set_index("unique_id")
    by_pair: dict[tuple[str, str], Any] = {}
    for r in scored.itertuples(index=False):
        by_pair[(min(r.rid_l, r.rid_r), max(r.rid_l, r.rid_r))] = r

    members: dict[str, list[str]] = defaultdict(list)
    for rid, person in people.items():
        members[person].append(rid)
    classes: Counter[str] = Counter()
    people_classes: Counter[str] = Counter()
    short: Counter[str] = Counter()
    shown: dict[str, int] = Counter()
    true_pairs = 0
    for rids in members.values():
        rids.sort()
        split = len({predicted.get(r) for r in rids}) > 1
        best = None
        for i, a in enumerate(rids):
            for b in rids[i + 1 :]:
                true_pairs += 1
                if predicted.get(a) is not None and predicted.get(a) == predicted.get(b):
                    continue
                r = by_pair.get((a, b))
                cls, ev = pair_class(a, b, r, rows, linker.threshold, personal)
                if cls == "below threshold":
                    short.update(short_of_exact(ev))
                classes[cls] += 1
                if best is None or ORDER.index(cls) < ORDER.index(best):
                    best = cls
                if shown[cls] < examples:
                    shown[cls] += 1
                    cols = ["given_name", "family_name", "dob", "address", "postcode", "city"]
                    cols += [c for c in ("street_number", "state", "soc_sec_id") if c in rows]
                    print(
                        f"  [{cls}] {a} ~ {b}"
                        + (
                            f" p={r.match_probability:.4f} w={r.match_weight:.2f}"
                            if r is not None
                            else ""
                        )
                    )
                    for rid in (a, b):
                        print(
                            "     ",
                            " | ".join(
                                str(rows.at[rid, c]) if rid in rows.index else "?" for c in cols
                            ),
                        )
                    if ev:
                        print("      ", _short(ev))
        if split and best is not None:
            people_classes[best] += 1
    missed = sum(classes.values())
    print(
        f"{label}: {len(people):,} records, {true_pairs:,} true pairs, {missed} missed "
        f"(recall {1 - missed / true_pairs:.4f}); skipped links {dict(rep.skipped_links)}"
    )
    print("  missed pairs by class:", dict(classes.most_common()))
    print("  split people by class:", dict(people_classes.most_common()))
    print("  below threshold, comparisons short of exact:")
    for k, n in short.most_common():
        print(f"    {n:5d}  {k}")
    above = int((scored["match_probability"] >= linker.threshold).sum())
    print(f"  scored pairs {len(scored):,}; above threshold {above:,}")


async def run(sets: list[str], examples: int) -> None:
    graph = GraphClient.from_settings(Settings())
    try:
        await graph.verify()
        for label in sets:
            await analyse(graph, label, examples)
    finally:
        await graph.close()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("sets", nargs="*", default=["dataset3"])
    p.add_argument("--examples", type=int, default=5, help="pairs shown per class")
    a = p.parse_args()
    asyncio.run(run(a.sets, a.examples))


if __name__ == "__main__":
    main()
