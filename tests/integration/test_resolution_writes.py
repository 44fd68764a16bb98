"""A resolution writes only what changed, as the server counts it: nothing when nothing
changed, only the affected profiles, records and refusals after a small change; the
partition and the profile ids stay what they were."""

from __future__ import annotations

from pathlib import Path

from graph import write_counts
from graph.client import GraphClient
from matching.explain import explain_pair
from matching.resolve import Resolver
from tests.factories.records import generated_and_trained, ingest_people, membership


async def resolved_at(graph: GraphClient) -> dict[str, str]:
    rows = await graph.read_text("t", "MATCH (p:Profile) RETURN p.pid AS pid, p.resolved_at AS at")
    return {r["pid"]: r["at"] for r in rows}


OLD_STAMP = "2000-01-01T00:00:00Z"


async def age_stamps(graph: GraphClient) -> None:
    """Date every profile's `resolved_at` back, so a profile the next run writes shows a new
    one even within the same second (the stamp has whole seconds)."""
    await graph.write_text("t", "MATCH (p:Profile) SET p.resolved_at = $old", {"old": OLD_STAMP})


async def rewritten(graph: GraphClient) -> set[str]:
    """The profiles written since `age_stamps`."""
    return {p for p, at in (await resolved_at(graph)).items() if at != OLD_STAMP}


async def refusals(graph: GraphClient) -> set[tuple[str, str, str]]:
    rows = await graph.read_text(
        "t",
        "MATCH (r:Record)-[h:HAS_IDENTIFIER]->(i) WHERE h.refused IS NOT NULL "
        "RETURN r.rid AS rid, i.key AS key, h.refused AS why",
    )
    return {(r["rid"], r["key"], r["why"]) for r in rows}


async def test_a_full_resolution_run_twice_writes_nothing_the_second_time(
    graph: GraphClient, tmp_path: Path
) -> None:
    linker = await generated_and_trained(graph, tmp_path)
    first = await Resolver(graph, linker=linker).resolve(full=True)
    assert first.writes.total["relationships_created"] >= first.records  # memberships
    assert first.matching is not None and first.matching.written > 0
    before = await membership(graph)
    await age_stamps(graph)

    # Every record read, scored and resolved again: nothing to write.
    with write_counts.counting() as counted:
        again = await Resolver(graph, linker=linker).resolve(full=True, recompute=True)
    assert counted.updates == 0, counted.describe()
    assert again.writes.updates == 0 and again.writes.by_query == {}
    assert again.unchanged_since is None and again.records == first.records
    assert again.matching is not None and again.matching.pairs == first.matching.pairs
    assert await membership(graph) == before
    assert await rewritten(graph) == set()
    # Without `recompute`, a full run finds nothing changed since the first and stops.
    with write_counts.counting() as counted:
        skipped = await Resolver(graph, linker=linker).resolve(full=True)
    assert counted.updates == 0 and skipped.unchanged_since is not None
    assert skipped.records == 0 and skipped.matching is None

    # A new record of a member (their name and email) joins that member's profile: one
    # membership and one profile written, every other record where it was.
    member = await graph.read_text(
        "t",
        "MATCH (r:Record)-[:HAS_IDENTIFIER]->(i:Identifier {type: 'email'}) "
        "WHERE i.generic IS NULL AND (i.blocked IS NULL OR i.blocked = false) "
        "AND r.given_name IS NOT NULL AND r.family_name IS NOT NULL "
        "RETURN r.rid AS rid, r.given_name AS g, r.family_name AS f, i.value AS email "
        "ORDER BY r.rid LIMIT 1",
    )
    m = member[0]
    pid = before[m["rid"]]
    await age_stamps(graph)
    await ingest_people(
        graph, tmp_path, [{"id": "n1", "first": m["g"], "last": m["f"], "email": m["email"]}]
    )
    inc = await Resolver(graph, linker=linker).resolve()
    after = await membership(graph)
    assert after["crm:n1"] == pid
    assert {r: p for r, p in after.items() if r != "crm:n1"} == before
    assert inc.writes.by_query["resolve_write_membership"]["relationships_created"] == 1
    assert await rewritten(graph) == {pid}
    assert "resolve_write_identifier_flags" not in inc.writes.by_query
    assert inc.writes.total["nodes_created"] <= 1  # the run's journal entry, removed at its end

    # The full rebuild finds what the incremental run wrote. Scoring every record again may
    # rescore some links (term frequencies now count the new record): that is scoring's to
    # write; resolution then has only the dirty marks it left to clear, and the state it
    # completed (the incremental run's writes forgot the last full run's).
    rebuilt = await Resolver(graph, linker=linker).resolve(full=True)
    assert rebuilt.unchanged_since is None
    resolution_writes = {q for q in rebuilt.writes.by_query if not q.startswith("matching_")}
    assert resolution_writes <= {"resolve_clear_dirty", "resolve_full_state_record"}, (
        rebuilt.writes.describe()
    )
    assert await membership(graph) == after


async def test_a_changed_record_rewrites_its_profile_only(
    graph: GraphClient, tmp_path: Path
) -> None:
    people = [
        {"id": "1", "first": "Ana", "last": "Diaz", "email": "ana@diaz.es", "dob": "1980-02-03"},
        {"id": "2", "first": "Ana", "last": "Diaz", "email": "ana@diaz.es", "phone": "0412345678"},
        {"id": "3", "first": "Bo", "last": "Lind", "email": "bo@lind.se"},
    ]
    await ingest_people(graph, tmp_path, people)
    await Resolver(graph).resolve(full=True)
    before = await membership(graph)
    assert (await Resolver(graph).resolve(full=True)).writes.updates == 0

    await age_stamps(graph)
    await ingest_people(graph, tmp_path, [{**people[0], "dob": "1980-02-04"}])
    rep = await Resolver(graph).resolve(full=True)
    assert await membership(graph) == before
    assert await rewritten(graph) == {before["crm:1"]}
    assert not {
        "resolve_write_membership",
        "resolve_mark_dirty",
        "resolve_write_identifier_flags",
        "resolve_write_events",
        "resolve_write_refused_links",
        "resolve_clear_refused_links",
    } & set(rep.writes.by_query)
    assert rep.writes.total["relationships_created"] == 0
    golden = await graph.read_text(
        "t", "MATCH (p:Profile {pid: $pid}) RETURN p.dob AS dob", {"pid": before["crm:1"]}
    )
    assert golden[0]["dob"] is not None


async def test_records_marked_dirty_with_nothing_changed_only_lose_their_marks(
    graph: GraphClient, tmp_path: Path
) -> None:
    await ingest_people(
        graph,
        tmp_path,
        [
            {
                "id": "1",
                "first": "Eli",
                "last": "Moss",
                "email": "eli@moss.io",
                "phone": "0400111222",
            },
            {"id": "2", "first": "Eli", "last": "Moss", "phone": "0400 111 222"},
            {"id": "3", "first": "Ida", "last": "Berg", "email": "ida@berg.no"},
        ],
    )
    await Resolver(graph).resolve()
    before = await membership(graph)
    await graph.write_text("t", "MATCH (r:Record) SET r.dirty = true")
    rep = await Resolver(graph).resolve()
    assert rep.records == 3 and rep.moved_records == 0
    # Clearing the marks is the whole write: no identifier flags, no journal entry.
    assert set(rep.writes.by_query) == {"resolve_clear_dirty"}
    assert rep.writes.total == {"properties_set": 3}
    assert await membership(graph) == before
    dirty = await graph.read_text("t", "MATCH (r:Record) WHERE r.dirty RETURN count(r) AS n")
    assert dirty[0]["n"] == 0


async def test_refusals_are_written_when_they_change_and_only_then(
    graph: GraphClient, tmp_path: Path
) -> None:
    people = [
        {"id": "1", "first": "Kim", "last": "Ng", "loyalty": "LY1", "email": "kim@ng.com"},
        {"id": "2", "first": "Kim", "last": "Tan", "loyalty": "LY2", "email": "kim@ng.com"},
    ]
    await ingest_people(graph, tmp_path, people)
    await Resolver(graph).resolve(full=True)
    refused = await refusals(graph)
    assert len(refused) == 1
    again = await Resolver(graph).resolve(full=True)
    assert again.writes.updates == 0, again.writes.describe()
    assert await refusals(graph) == refused
    why = await explain_pair(graph, "crm:1", "crm:2")
    assert any(b.reason.startswith("refused: limit:loyalty_id") for b in why.barriers)

    # Kim Tan's loyalty card goes: the shared email joins them, the one refusal stored is
    # the one cleared.
    await ingest_people(graph, tmp_path, [{**people[1], "loyalty": ""}])
    rep = await Resolver(graph).resolve(full=True)
    assert await refusals(graph) == set()
    m = await membership(graph)
    assert m["crm:1"] == m["crm:2"]
    cleared = rep.writes.by_query.get("resolve_clear_refused_links")
    assert cleared == {"properties_set": 1}, rep.writes.describe()
    assert "resolve_write_refused_links" not in rep.writes.by_query
