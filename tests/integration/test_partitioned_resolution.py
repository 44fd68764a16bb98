"""A full resolution in closed parts (`matching.partition`) against one over the whole
scope at once, on the generator's data through the real graph: the same partition, the same
links dropped and joins refused, the same stable ids, and nothing written when nothing
changed."""

from __future__ import annotations

from pathlib import Path

from graph import resolve_repo
from graph.client import GraphClient
from matching.component_rules import ComponentRules, ResolutionInput
from matching.components import Resolution, combine
from matching.engine import LocalEngine
from matching.overrides import force_link, remove_forced_link
from matching.resolve import Resolver
from tests.factories.records import generated_and_trained
from tests.factories.resolution_inputs import assert_same_resolution


class Parts(LocalEngine):
    """The local engine, keeping what it resolved part by part."""

    def __init__(self) -> None:
        self.parts: list[Resolution] = []
        self.inputs: list[ResolutionInput] = []

    def resolve(self, rules: ComponentRules, data: ResolutionInput) -> Resolution:
        self.inputs.append(data)
        self.parts.append(super().resolve(rules, data))
        return self.parts[-1]


async def clusters(graph: GraphClient) -> dict[str, str | None]:
    return {rid: pid for _, _, rid, pid in await resolve_repo.clusters(graph)}


async def test_parts_resolve_as_the_whole_scope_and_keep_stable_ids(
    graph: GraphClient, tmp_path: Path
) -> None:
    linker = await generated_and_trained(graph, tmp_path, customers=150)

    # From scratch, in parts of about 40 records: many parts, each a closed input.
    parts = Parts()
    first = await Resolver(graph, linker=linker, engine=parts, part_records=40).resolve(full=True)
    assert len(parts.parts) > 10
    assert first.matching is not None and first.matching.pairs > 0
    assert first.records == sum(len(p.records) for p in parts.parts)
    after_parts = await clusters(graph)
    assert len(set(after_parts.values())) < len(after_parts)
    # Some part's records are joined by a key that records of another part carry too (a
    # generic or blocked one: the part sees the count, not the records).
    assert any(i.carried_elsewhere for i in parts.inputs)

    # Over the whole scope at once (one part): the same resolution, so nothing moves or
    # is written.
    one_part = Parts()
    again = await Resolver(graph, linker=linker, engine=one_part, part_records=10**9).resolve(
        full=True, recompute=True
    )
    assert len(one_part.parts) == 1
    whole = one_part.parts[0]
    assert_same_resolution(whole, combine(parts.parts))
    assert again.moved_records == 0 and again.created == again.merged == again.split == 0
    assert again.writes.updates == 0
    assert await clusters(graph) == after_parts
    # The data has what makes resolution hard: joins refused and links dropped.
    assert whole.violations or any(s.reason.startswith("limit") for s in whole.skipped_links)
    assert {s.reason for s in whole.skipped_links} & {"blocked", "generic", "shared"}
    assert first.components == len(whole.components)
    assert first.skipped_links == again.skipped_links

    # In parts again with nothing changed, parts of one record each (every coarse
    # component with its old profile's records a part of its own): nothing written.
    one = Parts()
    third = await Resolver(graph, linker=linker, engine=one, part_records=1).resolve(
        full=True, recompute=True
    )
    assert len(one.parts) > len(parts.parts)
    assert third.writes.updates == 0 and third.moved_records == 0
    assert await clusters(graph) == after_parts
    before = after_parts

    # Two records of one profile that nothing joins any more: an operator forced the link,
    # then removed it. Each is a coarse component of its own now, but stable ids must see
    # the old profile whole: one keeps its id, the other is split off with a new one.
    members: dict[str | None, list[str]] = {}
    for rid, pid in before.items():
        members.setdefault(pid, []).append(rid)
    a, b = sorted(rids[0] for rids in members.values() if len(rids) == 1)[:2]
    await force_link(graph, a, b, by="test")
    await Resolver(graph, linker=linker, part_records=1).resolve(full=True)
    joined = await clusters(graph)
    assert joined[a] == joined[b]
    await remove_forced_link(graph, a, b)
    split = await Resolver(graph, linker=linker, part_records=1).resolve(full=True)
    after = await clusters(graph)
    assert after[a] != after[b] and joined[a] in (after[a], after[b])
    assert split.split == 1
