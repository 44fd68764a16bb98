"""Benchmark: FEBRL with households and twins added, a data source we did not generate.

FEBRL's people live alone: nobody shares a family name and an address with someone else,
so a resolver that merges household members or twins loses nothing on it. Here, for a
seeded sample of FEBRL people, their original record gets company at the same address:

- a twin (`twin`): the same surname, date of birth and address, another given name (one
  drawn from FEBRL's own given names) and their own `soc_sec_id`;
- one or two household members (`household`): the same surname and address, another
  given name, another date of birth, their own `soc_sec_id`.

With `--till-cards SHARE` and `--namesakes SHARE` (off by default, so that the figures above
stay comparable), two more phenomena of a retailer's data:

- a till card (`till`): for a sample of FEBRL people, one more record of the same person
  with the given name, surname and postcode of their original and nothing else (a store's
  card): a pair the resolver should join;
- a namesake (`namesake`): for a sample, a new person with the original's given name and
  surname living in the same postcode (another address and street number, their own date of
  birth and `soc_sec_id`), with a till card of their own: pairs it must not join.

Each added person is a person of their own in the truth (a till card is its original's
person), so pairwise precision counts any of them merged with the original or with each
other, and the report says how many twin, household and namesake pairs ended in one
profile, and how many till cards joined their person. The records go through
`bench/febrl_mapping.yaml` and the code path of `bench.febrl` (ingest, train, full
resolution); no threshold is tuned on this data.

Uses the Neo4j named by the settings, which it empties first.

    python -m bench.febrl_households dataset3 dataset4a+dataset4b --share 0.2 --seed 7
    python -m bench.febrl_households dataset3 --till-cards 0.2 --namesakes 0.05
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import itertools
import random
import shutil
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from bench.febrl import febrl_file, febrl_mapping
from bench.febrl import truth as febrl_truth
from core.settings import Settings
from graph import resolve_repo
from graph.client import GraphClient
from graph.schema import migrate, wipe
from ingest.mapping import SourceMapping
from ingest.model import record_id
from ingest.pipeline import Ingestor
from matching.evaluate import Quality, evaluate
from matching.linking import ProbabilisticLinker
from matching.resolve import Resolver

TWIN = "twin"
HOUSEHOLD = "household"
TILL = "till"
NAMESAKE = "namesake"
_TILL_FIELDS = ("rec_id", "given_name", "surname", "postcode")


@dataclass(frozen=True)
class Added:
    """A person added beside a FEBRL original: their record id, kind and the original's."""

    rec_id: str
    kind: str
    of: str
    """The FEBRL entity (the number in `rec-<n>-org`) they live with."""


def _rows(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh, skipinitialspace=True)
        rows = [{k: (v or "").strip() for k, v in r.items()} for r in reader]
        return list(reader.fieldnames or ()), rows


def _other_dob(rng: random.Random, dob: str) -> str:
    """Another plausible birth date in the household: a partner's, a child's, a parent's."""
    try:
        born = date(int(dob[:4]), int(dob[4:6]), int(dob[6:8]))
    except ValueError:
        born = date(1960, 1, 1)
    years = rng.choice((-1, 1)) * rng.randint(2, 35)
    other = born + timedelta(days=365 * years + rng.randint(1, 364))
    return other.strftime("%Y%m%d")


def add_households(
    rows: list[dict[str, str]], *, share: float, seed: int
) -> tuple[list[dict[str, str]], list[Added]]:
    """Twins and household members for a sample (`share`) of the FEBRL people with an
    original record; the rows to add and who they are."""
    rng = random.Random(seed)
    given_names = sorted({r["given_name"] for r in rows if r["given_name"]})
    originals = sorted((r for r in rows if r["rec_id"].endswith("-org")), key=lambda r: r["rec_id"])
    soc_sec_ids = {r["soc_sec_id"] for r in rows}
    added_rows: list[dict[str, str]] = []
    added: list[Added] = []

    def own_id() -> str:
        while True:
            value = str(rng.randint(1_000_000, 9_999_999))
            if value not in soc_sec_ids:
                soc_sec_ids.add(value)
                return value

    def given_other_than(*names: str) -> str:
        while True:
            name = rng.choice(given_names)
            if name not in names and name[:3] not in {n[:3] for n in names}:
                return name

    for org in originals:
        if rng.random() >= share:
            continue
        entity = org["rec_id"].split("-")[1]
        taken = [org["given_name"]]
        kinds = [TWIN] if rng.random() < 0.5 else []
        kinds += [HOUSEHOLD] * rng.randint(1, 2)
        for k, kind in enumerate(kinds):
            name = given_other_than(*taken)
            taken.append(name)
            dob = org["date_of_birth"] if kind == TWIN else _other_dob(rng, org["date_of_birth"])
            rec = f"{kind}-{entity}-{k}-org"
            added_rows.append(
                {**org, "rec_id": rec, "given_name": name, "date_of_birth": dob}
                | {"soc_sec_id": own_id()}
            )
            added.append(Added(rec, kind, entity))
    return added_rows, added


def add_till_cards_and_namesakes(
    rows: list[dict[str, str]], *, till_cards: float, namesakes: float, seed: int
) -> tuple[list[dict[str, str]], list[Added]]:
    """Till cards for a sample (`till_cards`) of the FEBRL people with an original record,
    and namesakes, each with a till card, for another (`namesakes`); the rows to add and who
    they are (a till card's `of` is its person: the entity, or a namesake's record id)."""
    rng = random.Random(f"till:{seed}")
    originals = sorted((r for r in rows if r["rec_id"].endswith("-org")), key=lambda r: r["rec_id"])
    soc_sec_ids = {r["soc_sec_id"] for r in rows}
    addresses = [(r["street_number"], r["address_1"]) for r in originals if r["address_1"]]
    added_rows: list[dict[str, str]] = []
    added: list[Added] = []

    def till(of: str, person: dict[str, str], rec: str) -> None:
        card = {k: "" for k in person} | {k: person[k] for k in _TILL_FIELDS} | {"rec_id": rec}
        added_rows.append(card)
        added.append(Added(rec, TILL, of))

    for org in originals:
        if not (org["given_name"] and org["surname"] and org["postcode"]):
            continue
        entity = org["rec_id"].split("-")[1]
        if rng.random() < till_cards:
            till(entity, org, f"till-{entity}-org")
        if rng.random() < namesakes:
            while True:
                value = str(rng.randint(1_000_000, 9_999_999))
                if value not in soc_sec_ids:
                    soc_sec_ids.add(value)
                    break
            number, street = rng.choice(addresses)
            rec = f"namesake-{entity}-org"
            person = org | {
                "rec_id": rec,
                "street_number": number,
                "address_1": street,
                "address_2": "",
                "date_of_birth": _other_dob(rng, org["date_of_birth"]),
                "soc_sec_id": value,
            }
            added_rows.append(person)
            added.append(Added(rec, NAMESAKE, entity))
            till(rec, person, f"namesaketill-{entity}-org")
    return added_rows, added


@dataclass
class Result:
    quality: Quality
    added: dict[str, int]
    merged: dict[str, int]
    """Pairs (original person, added person) or (added, added) of each kind in one profile."""
    seconds: dict[str, float]
    tills_joined: int = 0
    """Till cards in one profile with their person's record (the original or a namesake)."""


def merged_pairs(
    predicted: dict[str, str], members: dict[str, list[str]], added: list[Added], source: str
) -> dict[str, int]:
    """How many (FEBRL person, added person) and (added, added) pairs of one address share
    a profile, by the added person's kind (a pair of two added people counts for `twin`
    when either is a twin)."""
    out: dict[str, int] = defaultdict(int)
    by_entity: dict[str, list[Added]] = defaultdict(list)
    for a in added:
        if a.kind != TILL:
            by_entity[a.of].append(a)
    for entity, people in by_entity.items():
        profiles_of_original = {predicted.get(r) for r in members.get(entity, [])} - {None}
        for a in people:
            if predicted.get(record_id(source, a.rec_id)) in profiles_of_original:
                out[a.kind] += 1
        for x, y in itertools.combinations(people, 2):
            px = predicted.get(record_id(source, x.rec_id))
            if px is not None and px == predicted.get(record_id(source, y.rec_id)):
                out[TWIN if TWIN in (x.kind, y.kind) else HOUSEHOLD] += 1
    return dict(out)


def tills_joined(
    predicted: dict[str, str], members: dict[str, list[str]], added: list[Added], source: str
) -> int:
    """Till cards sharing a profile with a record of their person."""
    joined = 0
    for a in added:
        if a.kind != TILL:
            continue
        own = members.get(a.of) or [record_id(source, a.of)]
        card = predicted.get(record_id(source, a.rec_id))
        if card is not None and any(predicted.get(r) == card for r in own):
            joined += 1
    return joined


@dataclass(frozen=True)
class Additions:
    """What is added to FEBRL: the share of people given a household (and twins), a till
    card and a namesake, and the seed."""

    share: float
    seed: int
    till_cards: float = 0.0
    namesakes: float = 0.0


async def run_one(
    graph: GraphClient, label: str, mapping: SourceMapping, additions: Additions
) -> Result:
    files = [febrl_file(n) for n in label.split("+")]
    truth = febrl_truth(files, mapping.source)
    work = Path(tempfile.mkdtemp(prefix="febrl-households-"))
    seconds: dict[str, float] = {}
    try:
        paths = []
        members: dict[str, list[str]] = defaultdict(list)
        added: list[Added] = []
        for i, file in enumerate(files):
            fields, rows = _rows(file)
            # Households of the first file only: a linked second file holds the same people.
            share, seed = additions.share, additions.seed
            extra, who = add_households(rows, share=share, seed=seed) if i == 0 else ([], [])
            added += who
            if i == 0 and (additions.till_cards or additions.namesakes):
                more, who = add_till_cards_and_namesakes(
                    rows, till_cards=additions.till_cards, namesakes=additions.namesakes, seed=seed
                )
                extra += more
                added += who
            path = work / f"part{i}" / "febrl.csv"
            path.parent.mkdir()
            with path.open("w", newline="", encoding="utf-8") as fh:
                writer = csv.DictWriter(fh, fieldnames=fields)
                writer.writeheader()
                writer.writerows([*rows, *extra])
            paths.append(path)
        for rid, person in truth.items():
            members[person].append(rid)
        for a in added:
            # A till card is its person's record: the FEBRL entity's, or a namesake's.
            person = a.of if a.kind == TILL else a.rec_id
            truth[record_id(mapping.source, a.rec_id)] = person
        t0 = time.perf_counter()
        for path in paths:
            await Ingestor(graph, mapping).ingest_path(path)
        seconds["ingest"] = time.perf_counter() - t0
        linker = ProbabilisticLinker(graph, work / "models")
        t0 = time.perf_counter()
        await linker.train()
        seconds["train"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        await Resolver(graph, linker=linker).resolve(full=True)
        seconds["resolve"] = time.perf_counter() - t0
    finally:
        shutil.rmtree(work, ignore_errors=True)
    predicted = {rid: pid for _, _, rid, pid in await resolve_repo.clusters(graph) if pid}
    counts: dict[str, int] = defaultdict(int)
    for a in added:
        counts[a.kind] += 1
    return Result(
        evaluate(predicted, truth),
        dict(counts),
        merged_pairs(predicted, members, added, mapping.source),
        seconds,
        tills_joined(predicted, members, added, mapping.source),
    )


def report(label: str, r: Result) -> str:
    q = r.quality
    times = ", ".join(f"{k} {v:.1f} s" for k, v in r.seconds.items())
    return (
        f"{label} with {r.added.get(TWIN, 0):,} twins and {r.added.get(HOUSEHOLD, 0):,} household "
        f"members added: {q.records:,} records, {q.true_pairs:,} true pairs\n"
        f"  pairwise precision {q.precision:.4f}, recall {q.recall:.4f}, F1 {q.f1:.4f} "
        f"({q.true_positive_pairs:,} of {q.predicted_pairs:,} predicted pairs true)\n"
        f"  twin pairs merged {r.merged.get(TWIN, 0)}, household pairs merged "
        f"{r.merged.get(HOUSEHOLD, 0)}; largest profile {q.largest_cluster}\n"
        + (
            f"  till cards {r.added.get(TILL, 0):,}, joined with their person "
            f"{r.tills_joined:,}; namesakes {r.added.get(NAMESAKE, 0):,}, pairs merged "
            f"{r.merged.get(NAMESAKE, 0)}\n"
            if r.added.get(TILL)
            else ""
        )
        + f"  time: {times}"
    )


async def run(sets: list[str], mapping: SourceMapping, additions: Additions) -> None:
    graph = GraphClient.from_settings(Settings())
    try:
        await graph.verify()
        for label in sets:
            await wipe(graph)
            await migrate(graph)
            result = await run_one(graph, label, mapping, additions)
            print(report(label, result), flush=True)
    finally:
        await graph.close()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("sets", nargs="*", default=["dataset3", "dataset4a+dataset4b"])
    p.add_argument("--share", type=float, default=0.2, help="FEBRL people given company")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--till-cards", type=float, default=0.0, help="FEBRL people given a till card")
    p.add_argument(
        "--namesakes",
        type=float,
        default=0.0,
        help="FEBRL people given a namesake in their postcode",
    )
    p.add_argument("--mapping", type=Path, default=None, help="the source mapping")
    a = p.parse_args()
    mapping = febrl_mapping(a.mapping) if a.mapping else febrl_mapping()
    additions = Additions(a.share, a.seed, a.till_cards, a.namesakes)
    asyncio.run(run(a.sets, mapping, additions))


if __name__ == "__main__":
    main()
