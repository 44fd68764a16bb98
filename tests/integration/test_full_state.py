"""A full resolution stops at once when nothing changed since the last full one
(`matching.full_state`), and recomputes whenever something did: a dirty record, another
resolution's writes, an erasure, other rules, or `recompute`."""

from __future__ import annotations

from pathlib import Path

from graph import resolve_repo, write_counts
from graph.client import GraphClient
from matching.config import default_config
from matching.erasure import forget
from matching.resolve import Resolver, ResolveReport
from tests.factories.records import ingest_people, membership

PEOPLE = [
    {
        "id": "1",
        "first": "Ann",
        "last": "Lee",
        "email": "ann.lee@fastmail.com.au",
        "phone": "+61412345678",
    },
    {"id": "2", "first": "Ann", "last": "Lee", "email": "ann.lee@fastmail.com.au"},
    {"id": "3", "first": "Bo", "last": "Kim", "phone": "+61413555123"},
    {"id": "4", "first": "Bo", "last": "Kim", "phone": "+61413555123", "loyalty": "L9"},
    {"id": "5", "first": "Cy", "last": "Ng", "email": "cy.ng@fastmail.com.au"},
]


async def full(graph: GraphClient, resolver: Resolver | None = None) -> ResolveReport:
    with write_counts.counting() as counted:
        report = await (resolver or Resolver(graph)).resolve(full=True)
    assert report.writes.updates == counted.updates
    return report


def skipped(report: ResolveReport) -> bool:
    return report.unchanged_since is not None and report.records == 0


async def test_nothing_changed_stops_at_once_and_any_change_recomputes(
    graph: GraphClient, tmp_path: Path
) -> None:
    await ingest_people(graph, tmp_path, PEOPLE)
    first = await full(graph)
    assert not skipped(first) and first.records == 5
    state = await resolve_repo.full_state(graph)
    assert state.fingerprint == Resolver(graph).fingerprint() and not state.dirty
    before = await membership(graph)
    assert len(set(before.values())) == 3

    # Nothing changed: nothing read, nothing written.
    again = await full(graph)
    assert skipped(again) and again.unchanged_since == state.recorded_at
    assert again.writes.updates == 0 and again.writes.by_query == {}
    # `recompute` runs it all the same, and finds nothing to write.
    forced = await Resolver(graph).resolve(full=True, recompute=True)
    assert not skipped(forced) and forced.records == 5 and forced.writes.updates == 0
    assert await membership(graph) == before

    # A new record is dirty: the next full run resolves it, then stops again.
    await ingest_people(
        graph,
        tmp_path,
        [{"id": "6", "first": "Cy", "last": "Ng", "email": "cy.ng@fastmail.com.au"}],
    )
    assert (await resolve_repo.full_state(graph)).dirty
    third = await full(graph)
    assert not skipped(third) and third.records == 6
    assert (await membership(graph))["crm:6"] == (await membership(graph))["crm:5"]
    assert skipped(await full(graph))

    # Other rules: recomputed, and their fingerprint recorded.
    rules = default_config().model_copy(update={"strong_match_probability": 0.97})
    other = Resolver(graph, rules)
    assert other.fingerprint() != Resolver(graph).fingerprint()
    assert not skipped(await full(graph, other))
    assert skipped(await full(graph, Resolver(graph, rules)))
    assert not skipped(await full(graph))


async def test_another_resolutions_writes_and_an_erasure_forget_the_state(
    graph: GraphClient, tmp_path: Path
) -> None:
    await ingest_people(graph, tmp_path, PEOPLE)
    await full(graph)
    # An incremental run that writes (a new person's profile) forgets it.
    await ingest_people(graph, tmp_path, [{"id": "7", "first": "Di", "last": "Xu"}])
    inc = await Resolver(graph).resolve()
    assert inc.created == 1
    assert (await resolve_repo.full_state(graph)).fingerprint is None
    assert not skipped(await full(graph))
    assert skipped(await full(graph))

    # An erasure changes what is stored outside any full run.
    await forget(graph, "email:cy.ng@fastmail.com.au")
    assert (await resolve_repo.full_state(graph)).fingerprint is None
    after = await full(graph)
    assert not skipped(after) and after.records == 5
    assert skipped(await full(graph))
