"""Identity resolution on the real graph: protections, stable ids, overrides, incremental =
full, explanations."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator import generate
from graph import matching_repo, resolve_repo
from graph.client import GraphClient
from ingest.mapping import builtin_mapping
from ingest.pipeline import Ingestor
from matching import overrides
from matching.config import merge_config
from matching.evaluate import evaluate, graph_evidence
from matching.explain import explain_pair, explain_profile
from matching.resolve import Resolver
from tests.factories.records import ingest_people, membership, partition


async def test_shared_identifier_links_records(graph: GraphClient, tmp_path: Path) -> None:
    await ingest_people(
        graph,
        tmp_path,
        [
            {"id": "1", "first": "Sarah", "last": "Johnson", "email": "S.Johnson@Email.com"},
            {
                "id": "2",
                "first": "Sarah",
                "last": "Johnson",
                "email": "s.johnson@email.com ",
                "phone": "0412 987 651",
            },
            {"id": "3", "first": "Sarah", "last": "Johnson", "phone": "+61 412 987 651"},
            {"id": "4", "first": "Tom", "last": "Brown", "email": "tom@x.com"},
        ],
    )
    rep = await Resolver(graph).resolve()
    m = await membership(graph)
    assert m["crm:1"] == m["crm:2"] == m["crm:3"] != m["crm:4"]
    assert rep.created == 2 and rep.records == 4
    dirty = await graph.read_text("t", "MATCH (r:Record) WHERE r.dirty RETURN count(r) AS n")
    assert dirty[0]["n"] == 0
    golden = await graph.read_text(
        "t",
        "MATCH (p:Profile {pid: $pid}) RETURN p.given_name AS g, p.sources AS s",
        {"pid": m["crm:1"]},
    )
    assert golden[0] == {"g": "Sarah", "s": ["crm"]}


async def test_blocked_and_blank_values_never_link(graph: GraphClient, tmp_path: Path) -> None:
    await ingest_people(
        graph,
        tmp_path,
        [
            {"id": "1", "first": "Ann", "last": "Lee", "email": "noemail@store12.example.com"},
            {"id": "2", "first": "Bo", "last": "Chan", "email": "NoEmail@store12.example.com"},
            {"id": "3", "first": "Cy", "last": "Dodd", "email": "test@test.com"},
            {"id": "4", "first": "Di", "last": "Eve", "email": "test@test.com", "phone": " "},
            {"id": "5", "first": "Ed", "last": "Fox", "phone": "", "email": "n/a"},
            {"id": "6", "first": "Flo", "last": "Gee", "phone": "", "email": "null"},
        ],
    )
    rep = await Resolver(graph).resolve()
    assert len(set((await membership(graph)).values())) == 6
    assert rep.skipped_links["blocked"] == 4
    flags = await graph.read_text(
        "t", "MATCH (i:Identifier) WHERE i.blocked IS NOT NULL RETURN i.key AS k, i.blocked AS b"
    )
    assert {f["k"] for f in flags} == {"email:noemail@store12.example.com", "email:test@test.com"}
    why = await explain_pair(graph, "crm:1", "crm:2")
    assert not why.same_profile
    assert why.barriers[0].reason.startswith("blocked")


async def test_generic_identifier_is_flagged_and_does_not_link(
    graph: GraphClient, tmp_path: Path
) -> None:
    names = ["Ann", "Bob", "Cara", "Dev", "Eli", "Fay", "Gus", "Hal", "Ivy", "Jo"]
    rows = [
        {"id": str(i), "first": n, "last": f"Fam{i}", "email": "orders@shopfront.com"}
        for i, n in enumerate(names)
    ]
    await ingest_people(graph, tmp_path, rows)
    rep = await Resolver(graph).resolve()
    assert len(set((await membership(graph)).values())) == len(names)
    assert rep.skipped_links["generic"] == len(names)
    flag = await graph.read_text(
        "t", "MATCH (i:Identifier {key: 'email:orders@shopfront.com'}) RETURN i.generic AS g"
    )
    assert flag[0]["g"].startswith("generic:")


async def test_identifier_at_its_types_cap_is_generic_by_count_without_reading_names(
    graph: GraphClient, tmp_path: Path
) -> None:
    # One person's email on six records is generic by count alone once email's cap is six;
    # a phone on five records of one name is below it and links them.
    rows = [
        {"id": str(i), "first": "Ann", "last": "Lee", "email": "ann@lee.com", "phone": phone}
        for i, phone in enumerate(["0412 000 111"] * 5 + ["0413 222 333"])
    ]
    await ingest_people(graph, tmp_path, rows)
    config = merge_config({"generic": {"by_type": {"email": {"max_records": 6}}}})
    resolver = Resolver(graph, config=config)
    assert resolver.caps.by_type["email"] == 6
    keys = ["email:ann@lee.com", "phone:+61412000111"]
    for stats in (
        await resolve_repo.identifier_stats(graph, keys, 2, resolver.caps),
        [
            r
            for r in await resolve_repo.identifier_stats(graph, None, 2, resolver.caps)
            if r["key"] in keys
        ],
    ):
        by_key = {r["key"]: r for r in stats}
        assert by_key["email:ann@lee.com"]["records"] == 6
        assert by_key["email:ann@lee.com"]["given_names"] == []
        assert by_key["phone:+61412000111"]["records"] == 5
        assert by_key["phone:+61412000111"]["given_names"] == ["Ann"]
    for scope in (keys, None):
        names = await resolve_repo.household_names(graph, scope, ["email", "phone"], resolver.caps)
        assert "email:ann@lee.com" not in {k for k, _ in names}
    await resolver.resolve(full=True)
    flag = await graph.read_text(
        "t", "MATCH (i:Identifier {key: 'email:ann@lee.com'}) RETURN i.generic AS g"
    )
    assert flag[0]["g"] == "generic:records=6>=6"
    m = await membership(graph)
    assert len({m[f"crm:{i}"] for i in range(5)}) == 1
    assert m["crm:5"] != m["crm:0"]


async def test_cap_below_min_records_still_reads_household_names(
    graph: GraphClient, tmp_path: Path
) -> None:
    # A phone on three records is not generic when no identifier under five records can be,
    # even with phone's max_records at three: its carriers' names are still read, and the
    # household it holds does not merge.
    await ingest_people(
        graph,
        tmp_path,
        [
            {"id": "w", "first": "Willow", "last": "Simon", "phone": "0412 419 562"},
            {"id": "v", "first": "Willow", "last": "Simon", "phone": "0412419562"},
            {"id": "l", "first": "Lucas", "last": "Simon", "phone": "0412 419 562"},
        ],
    )
    config = merge_config({"generic": {"min_records": 5, "by_type": {"phone": {"max_records": 3}}}})
    await Resolver(graph, config=config).resolve(full=True)
    m = await membership(graph)
    assert m["crm:w"] == m["crm:v"] != m["crm:l"]


async def test_household_phone_does_not_merge_but_nicknames_do(
    graph: GraphClient, tmp_path: Path
) -> None:
    await ingest_people(
        graph,
        tmp_path,
        [
            {"id": "w", "first": "Willow", "last": "Simon", "phone": "0412 419 562"},
            {"id": "l", "first": "Lucas", "last": "Simon", "phone": "0412419562"},
            {"id": "r", "first": "Robert", "last": "Smith", "phone": "0433 111 222"},
            {"id": "b", "first": "Bob", "last": "Smith", "phone": "+61433111222"},
            {"id": "s", "first": "Smith", "last": "Robert", "phone": "0433111222"},
        ],
    )
    await Resolver(graph).resolve()
    m = await membership(graph)
    assert m["crm:w"] != m["crm:l"]
    assert m["crm:r"] == m["crm:b"] == m["crm:s"]
    why = await explain_pair(graph, "crm:w", "crm:l")
    assert "household" in why.barriers[0].reason


async def test_household_phone_links_each_members_own_records(
    graph: GraphClient, tmp_path: Path
) -> None:
    """The phone keeps John and Mary apart but joins John's records, and Mary's, each to
    their own; incrementally as in a full rebuild, and explained."""
    phone = "0412 555 019"
    await ingest_people(
        graph,
        tmp_path,
        [
            {"id": "j1", "first": "John", "last": "Smith", "phone": phone},
            {"id": "j2", "first": "Jon", "last": "Smith", "phone": phone},
            {"id": "m1", "first": "Mary", "last": "Smith", "phone": phone},
            {"id": "x", "phone": phone, "email": "nobody@x.com"},
        ],
    )
    await Resolver(graph).resolve()
    m = await membership(graph)
    assert m["crm:j1"] == m["crm:j2"] != m["crm:m1"]
    assert m["crm:x"] not in (m["crm:j1"], m["crm:m1"]), "a nameless carrier is not placed"

    later = tmp_path / "later"
    later.mkdir()
    await ingest_people(
        graph, later, [{"id": "m2", "first": "Mary", "last": "Smith", "phone": "+61412555019"}]
    )
    await Resolver(graph).resolve()
    incremental = await membership(graph)
    assert incremental["crm:m1"] == incremental["crm:m2"] != incremental["crm:j1"]
    assert incremental["crm:j1"] == incremental["crm:j2"]
    await Resolver(graph).resolve(full=True)
    assert partition(await membership(graph)) == partition(incremental)

    same = await explain_pair(graph, "crm:m1", "crm:m2")
    assert same.same_profile
    assert [(h.via, h.identifier, h.evidence) for h in same.path] == [
        ("identifier", "phone:+61412555019", {"household_member": True})
    ]
    apart = await explain_pair(graph, "crm:j1", "crm:m1")
    assert not apart.same_profile
    assert "household" in apart.barriers[0].reason
    formed = await explain_profile(graph, incremental["crm:j1"])
    assert sorted(formed.records) == ["crm:j1", "crm:j2"] and len(formed.edges) == 1


async def test_limit_refuses_a_join_and_records_why(graph: GraphClient, tmp_path: Path) -> None:
    await ingest_people(
        graph,
        tmp_path,
        [
            {"id": "1", "first": "Kim", "last": "Ng", "loyalty": "LY1", "email": "kim@ng.com"},
            {"id": "2", "first": "Kim", "last": "Tan", "loyalty": "LY2", "email": "kim@ng.com"},
        ],
    )
    rep = await Resolver(graph).resolve()
    m = await membership(graph)
    assert m["crm:1"] != m["crm:2"]
    assert rep.violations == {"loyalty_id<=1": 1}
    refused = await graph.read_text(
        "t",
        "MATCH (r)-[h:HAS_IDENTIFIER]->(i) WHERE h.refused IS NOT NULL "
        "RETURN r.rid AS rid, i.key AS key, h.refused AS why",
    )
    assert len(refused) == 1 and refused[0]["why"].startswith("limit:loyalty_id")
    why = await explain_pair(graph, "crm:1", "crm:2")
    assert any(b.reason.startswith("refused: limit:loyalty_id") for b in why.barriers)


async def test_duplicate_accounts_under_one_name_join_past_a_limit(
    graph: GraphClient, tmp_path: Path
) -> None:
    """Loyalty cards held under names that can be one person's ("Kim Ng", "KIM Ng ",
    "Kimberly Ng") at one email are one member's; a card under another family name at that
    email still meets the limit, and a loyalty id is no duplicate-account evidence."""
    await ingest_people(
        graph,
        tmp_path,
        [
            {"id": "1", "first": "Kim", "last": "Ng", "loyalty": "LY1", "email": "kim@ng.com"},
            {"id": "2", "first": "KIM", "last": "Ng ", "loyalty": "LY2", "email": "Kim@ng.com"},
            {"id": "3", "first": "Kimberly", "last": "Ng", "loyalty": "LY3", "email": "kim@ng.com"},
            {"id": "4", "first": "Kim", "last": "Tan", "loyalty": "LY4", "email": "kim@ng.com"},
        ],
    )
    rep = await Resolver(graph).resolve()
    m = await membership(graph)
    assert m["crm:1"] == m["crm:2"] == m["crm:3"] != m["crm:4"]
    assert rep.violations == {"loyalty_id<=1": 1}
    why = await explain_pair(graph, "crm:1", "crm:3")
    assert why.same_profile and why.path[0].identifier == "email:kim@ng.com"

    strict = merge_config({"duplicate_account_types": []})
    await Resolver(graph, config=strict).resolve(full=True)
    m = await membership(graph)
    assert len({m["crm:1"], m["crm:2"], m["crm:3"], m["crm:4"]}) == 4


@pytest.mark.parametrize(("probability", "joined"), [(0.99999, True), (0.97, False)])
async def test_a_strong_match_joins_past_a_limit(
    graph: GraphClient, tmp_path: Path, probability: float, joined: bool
) -> None:
    # A member's two loyalty cards under one email, as "Kim Ng" and "Kim Ngo" (a typo in the
    # family name is no duplicate-account evidence): the limit holds against the shared
    # email and an ordinary match, a strong match joins them.
    await ingest_people(
        graph,
        tmp_path,
        [
            {"id": "1", "first": "Kim", "last": "Ng", "loyalty": "LY1", "email": "kim@ng.com"},
            {"id": "2", "first": "Kim", "last": "Ngo", "loyalty": "LY2", "email": "kim@ng.com"},
            {"id": "3", "first": "Kim", "last": "Nguyen", "loyalty": "LY3", "email": "kim@ng.com"},
        ],
    )
    row = {"a": "crm:1", "b": "crm:2", "weight": 20.0, "probability": probability}
    await matching_repo.write_matches(graph, [{**row, "evidence": "{}"}], "m1", "2024-01-01")
    rep = await Resolver(graph).resolve(full=True)
    m = await membership(graph)
    assert (m["crm:1"] == m["crm:2"]) is joined
    assert m["crm:3"] != m["crm:1"]
    if joined:
        # Only the third card's join was refused; the first two share the email freely.
        refused = await graph.read_text(
            "t",
            "MATCH (r)-[h:HAS_IDENTIFIER]->() WHERE h.refused IS NOT NULL RETURN r.rid AS rid",
        )
        assert {r["rid"] for r in refused} == {"crm:3"}
        assert rep.violations == {"loyalty_id<=1": 1}


async def test_identifiable_pairs_on_the_graph(graph: GraphClient, tmp_path: Path) -> None:
    await ingest_people(
        graph,
        tmp_path,
        [
            {"id": "1", "first": "Ann", "last": "Lee", "email": "ann@x.com", "dob": "1990-01-02"},
            {"id": "2", "first": "Ann", "last": "Lee", "dob": "1990-01-02"},
            {"id": "3", "first": "Ann", "last": "Lee", "email": "noemail@shop.com"},
            {"id": "4", "email": "noemail@shop.com"},
        ],
    )
    await Resolver(graph).resolve()
    evidence = await graph_evidence(graph)
    assert evidence["crm:1"] == {"email:ann@x.com", "name+dob:ann lee|1990-01-02"}
    assert evidence["crm:2"] == {"name+dob:ann lee|1990-01-02"}
    assert evidence["crm:3"] == evidence["crm:4"] == set()
    predicted = await membership(graph)
    truth = dict.fromkeys(predicted, "P1")
    q = evaluate(predicted, truth, evidence)
    # 1 and 2 are identifiable (and found: same name and birthday is no identifier, so
    # only the pair's evidence would join them; here nothing did).
    assert q.true_pairs == 6 and q.identifiable_pairs == 1


async def test_stable_ids_through_merge_and_split(graph: GraphClient, tmp_path: Path) -> None:
    await ingest_people(
        graph,
        tmp_path,
        [
            {"id": "a1", "first": "Mia", "last": "Wu", "email": "mia@wu.com"},
            {
                "id": "a2",
                "first": "Mia",
                "last": "Wu",
                "email": "mia@wu.com",
                "phone": "0400 000 111",
            },
            {"id": "b1", "first": "Mia", "last": "Wu", "email": "mia.wu@work.com"},
        ],
    )
    await Resolver(graph).resolve()
    m1 = await membership(graph)
    pid_a, pid_b = m1["crm:a1"], m1["crm:b1"]
    assert pid_a != pid_b
    # A new record carries both emails: the profiles merge; the one with more history keeps
    # its id, the other redirects to it.
    await ingest_people(
        graph,
        tmp_path,
        [
            {"id": "c1", "first": "Mia", "last": "Wu", "email": "mia@wu.com"},
            {
                "id": "c2",
                "first": "Mia",
                "last": "Wu",
                "email": "mia.wu@work.com",
                "phone": "0400000111",
            },
        ],
        source="crm2",
    )
    rep = await Resolver(graph).resolve()
    m2 = await membership(graph)
    assert rep.merged == 1 and rep.retired == 1
    assert set(m2.values()) == {pid_a}
    redirect = await graph.read_text(
        "t",
        "MATCH (o:Profile {pid: $o})-[:MERGED_INTO]->(n) RETURN n.pid AS n, o.retired AS r",
        {"o": pid_b},
    )
    assert redirect == [{"n": pid_a, "r": True}]
    # An operator marks the work email shared and the phone shared: b1 and c2 split off;
    # the largest part keeps the id.
    await overrides.mark_identifier_shared(graph, "email:mia.wu@work.com", by="test")
    await overrides.mark_identifier_shared(graph, "phone:+61400000111", by="test")
    rep = await Resolver(graph).resolve()
    m3 = await membership(graph)
    assert rep.split == 1
    assert m3["crm:a1"] == m3["crm:a2"] == m3["crm2:c1"] == pid_a
    assert m3["crm:b1"] != pid_a and m3["crm2:c2"] != pid_a
    # Every move replaced the record's membership: one IN_PROFILE per record.
    counts = await graph.read_text(
        "t", "MATCH (r:Record) RETURN r.rid AS rid, COUNT { (r)-[:IN_PROFILE]->() } AS n"
    )
    assert {c["rid"]: c["n"] for c in counts} == dict.fromkeys(m3, 1)
    events = await graph.read_text(
        "t", "MATCH (c:ProfileChange) RETURN c.kind AS kind ORDER BY c.at, c.kind"
    )
    kinds = [e["kind"] for e in events]
    assert kinds.count("created") >= 2 and "merged" in kinds and "split" in kinds
    formed = await explain_profile(graph, pid_a)
    assert set(formed.records) == {"crm:a1", "crm:a2", "crm2:c1"}
    assert {h["kind"] for h in formed.history} >= {"created", "merged", "split"}


async def test_overrides_survive_a_full_rebuild(graph: GraphClient, tmp_path: Path) -> None:
    await ingest_people(
        graph,
        tmp_path,
        [
            {"id": "1", "first": "Ola", "last": "Nord", "email": "family@nord.no"},
            {"id": "2", "first": "Ola", "last": "Nord", "email": "family@nord.no"},
            {"id": "3", "first": "Per", "last": "Sand", "email": "per@sand.no"},
            {"id": "4", "first": "P", "last": "Sand", "email": "p.sand@work.no"},
        ],
    )
    await overrides.mark_identifier_shared(graph, "email:family@nord.no", by="test")
    await overrides.force_link(graph, "crm:3", "crm:4", by="test")
    await Resolver(graph).resolve()
    for _ in range(2):
        m = await membership(graph)
        assert m["crm:1"] != m["crm:2"]
        assert m["crm:3"] == m["crm:4"]
        await Resolver(graph).resolve(full=True)
    why = await explain_pair(graph, "crm:3", "crm:4")
    assert why.same_profile and why.path[0].via == "forced"
    with pytest.raises(overrides.OverrideTargetNotFound):
        await overrides.force_link(graph, "crm:3", "crm:nope", by="test")


@pytest.mark.parametrize("seed", [5, 23])
async def test_incremental_equals_full_on_generated_batches(
    graph: GraphClient, tmp_path: Path, seed: int
) -> None:
    generate(tmp_path, customers=250, seed=seed)
    for group in (["ecommerce", "loyalty"], ["pos", "esp"], ["service", "web"]):
        for source in group:
            await Ingestor(graph, builtin_mapping(source)).ingest_path(tmp_path)
        await Resolver(graph).resolve()
    incremental = partition(await membership(graph))
    pids_before = await membership(graph)
    rep = await Resolver(graph).resolve(full=True)
    full = partition(await membership(graph))
    assert incremental == full
    assert rep.moved_records == 0 and rep.merged == rep.split == rep.created == 0
    assert await membership(graph) == pids_before
    records = await graph.read_text("t", "MATCH (r:Record) RETURN count(r) AS n")
    assert sum(len(g) for g in full) == records[0]["n"]
