"""Profiles holding more than one person, by the link that joined the people.

Reads the resolved graph (run `bench.quality` first, or pass `--resolve`) and the
generator's ground truth, and for every profile whose records belong to two or more people
lists the links between records of different people: an identifier both carry (its type,
and whether it is flagged), a `MATCHES` link (its probability and the comparisons that
agreed) or an operator's forced link; and what the two records look like (named, family
name only, given name only, nameless; the same full name, one family, or unrelated names).
Then it counts the profiles by cause, so that the biggest causes can be fixed first.

    python -m bench.quality_impure --data var/bench/data-50000 [--show 20]
"""

from __future__ import annotations

import argparse
import asyncio
import json
from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.quality import load_labels, load_truth
from core.normalise import fold_name
from core.settings import Settings
from graph import explain_repo, resolve_repo
from graph.client import GraphClient
from matching.linking import ProbabilisticLinker
from matching.resolve import Resolver

NO_EVIDENCE = ("All other comparisons", "Null", "null")
"""Level labels that say a comparison did not agree (or could not be made)."""
BATCH = 500


@dataclass(frozen=True)
class Bridge:
    """One link between records of two different people in one profile."""

    kind: str
    """"identifier:<type>", "match" or "forced"."""
    a: str
    b: str
    detail: str
    """Flags of the identifier, or a match's probability and agreeing comparisons."""


def shape(fact: Mapping[str, Any] | None) -> str:
    """What a record offers as a name."""
    if fact is None:
        return "unknown"
    given, family = fold_name(fact["given_name"] or ""), fold_name(fact["family_name"] or "")
    if given and family:
        return "named"
    if family:
        return "family only"
    if given:
        return "given only"
    return "nameless"


def relation(x: Mapping[str, Any] | None, y: Mapping[str, Any] | None) -> str:
    """How two named records' names relate."""
    if x is None or y is None or shape(x) != "named" or shape(y) != "named":
        return ""
    gx, fx = fold_name(x["given_name"]), fold_name(x["family_name"])
    gy, fy = fold_name(y["given_name"]), fold_name(y["family_name"])
    if (gx, fx) == (gy, fy):
        return "same name"
    if fx == fy:
        return "one family"
    if gx == gy:
        return "same given"
    return "unrelated names"


def agreeing(evidence: str | None) -> str:
    """The comparisons a match agreed on, with their levels."""
    if not evidence:
        return "no evidence"
    parsed = json.loads(evidence)
    parts = []
    for name, level in sorted(parsed.items()):
        label = level.get("level") if isinstance(level, Mapping) else None
        if label and not any(label.startswith(n) for n in NO_EVIDENCE):
            parts.append(f"{name}={label}")
    return ", ".join(parts) or "nothing"


def bridges(
    rows: list[dict[str, Any]], person: Mapping[str, str | None]
) -> dict[str, list[Bridge]]:
    """pid -> the links between records of two different people in it."""
    out: dict[str, list[Bridge]] = defaultdict(list)
    carriers: dict[tuple[str, str], list[str]] = defaultdict(list)
    flags: dict[tuple[str, str], str] = {}
    for r in rows:
        pid, rid, kind, target, info = r["pid"], r["rid"], r["kind"], r["target"], r["info"]
        if kind == "identifier":
            carriers[(pid, target)].append(rid)
            flag = [f"{k}={info[k]}" for k in ("blocked", "generic", "shared") if info.get(k)]
            if info.get("refused"):
                flag.append("refused")
            flags[(pid, target)] = " ".join(flag)
        elif person.get(rid) != person.get(target) and target in person:
            if kind == "match":
                detail = f"p={info['probability']:.4f} {agreeing(info.get('evidence'))}"
                if info.get("rejected"):
                    detail += " rejected"
            else:
                detail = ""
            out[pid].append(Bridge(kind, rid, target, detail))
    for (pid, key), rids in carriers.items():
        people = {person.get(r) for r in rids}
        if len(people) < 2:
            continue
        by_person: dict[str | None, str] = {}
        for rid in sorted(rids):
            by_person.setdefault(person.get(rid), rid)
        first, *others = by_person.values()
        for other in others:
            out[pid].append(
                Bridge(f"identifier:{key.partition(':')[0]}", first, other, flags[(pid, key)])
            )
    return out


async def run(data: Path, resolve: bool, show: int) -> None:
    graph = GraphClient.from_settings(Settings())
    try:
        if resolve:
            linker = ProbabilisticLinker(graph, data.parent / f"{data.name}-models")
            await Resolver(graph, linker=linker).resolve(full=True)
        predicted = {rid: pid for _, _, rid, pid in await resolve_repo.clusters(graph) if pid}
        truth = load_truth(data)
        people: dict[str, set[str]] = defaultdict(set)
        for rid, pid in predicted.items():
            if rid in truth:
                people[pid].add(truth[rid])
        impure = sorted(pid for pid, p in people.items() if len(p) > 1)
        rows: list[dict[str, Any]] = []
        for i in range(0, len(impure), BATCH):
            rows.extend(await explain_repo.profile_links(graph, impure[i : i + BATCH]))
        facts = {r["rid"]: r for r in await resolve_repo.record_evidence(graph, [])}
    finally:
        await graph.close()
    labels = load_labels(data)
    label_of: dict[str, list[str]] = defaultdict(list)
    for label, rids in labels.items():
        for rid in rids:
            label_of[rid].append(label)
    person: dict[str, str | None] = {rid: truth.get(rid) for rid in predicted}
    found = bridges(rows, person)
    print(f"profiles {len(people):,}, holding more than one person {len(impure):,}")

    by_cause: Counter[str] = Counter()
    by_shape: Counter[str] = Counter()
    by_detail: Counter[str] = Counter()
    by_label: Counter[str] = Counter()
    for pid in impure:
        links = found.get(pid, [])
        by_cause[" + ".join(sorted({b.kind for b in links})) or "no link found"] += 1
        for b in links:
            shapes = " ~ ".join(sorted((shape(facts.get(b.a)), shape(facts.get(b.b)))))
            rel = relation(facts.get(b.a), facts.get(b.b))
            by_shape[f"{b.kind:22} {shapes}{' (' + rel + ')' if rel else ''}"] += 1
            if b.kind == "match":
                by_detail[f"{rel or shapes}: {b.detail.partition(' ')[2]}"] += 1
            elif b.detail:
                by_detail[f"{b.kind} {b.detail}"] += 1
            for label in {*label_of.get(b.a, ()), *label_of.get(b.b, ())}:
                by_label[f"{b.kind} {label}"] += 1
    for title, counts in (
        ("profiles by the kinds of link between their people", by_cause),
        ("links between two people, by the records' shape", by_shape),
        ("matches (what agreed) and flagged identifiers", by_detail),
        ("links by the phenomena of their two records", by_label),
    ):
        print(f"{title}:")
        for key, n in counts.most_common(25):
            print(f"  {n:5,}  {key}")
    for pid in impure[:show]:
        print(f"--- {pid}")
        for b in found.get(pid, []):
            for rid in (b.a, b.b):
                f = facts.get(rid) or {}
                print(
                    f"    {rid:24} {person.get(rid)!s:10} {f.get('given_name')!s:10} "
                    f"{f.get('family_name')!s:12} {f.get('dob')!s:10} {f.get('postcode')!s:6} "
                    f"{f.get('email')!s:28} {f.get('phone')!s:14} {','.join(label_of[rid])}"
                )
            print(f"      {b.kind} {b.detail}")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--data", type=Path, required=True, help="The generator's data folder.")
    p.add_argument("--resolve", action="store_true", help="Resolve in full first.")
    p.add_argument("--show", type=int, default=0, help="Print this many profiles in full.")
    a = p.parse_args()
    asyncio.run(run(a.data, a.resolve, a.show))


if __name__ == "__main__":
    main()
