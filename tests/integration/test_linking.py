"""Probabilistic linking on the real graph: train on the records, score, write MATCHES with
evidence, match a new batch against all existing records."""

from __future__ import annotations

import json
from pathlib import Path

from generator import GENERATED_SOURCES, generate
from graph import matching_repo
from graph.client import GraphClient
from ingest.mapping import builtin_mapping
from ingest.pipeline import Ingestor
from matching import name_postcode, overrides
from matching.linking import ProbabilisticLinker, extra_columns, to_frame
from matching.probabilistic import MatchIndex, predict
from matching.resolve import Resolver
from tests.factories.records import generated_and_trained, ingest_people


async def test_train_link_and_match_a_new_batch(graph: GraphClient, tmp_path: Path) -> None:
    data = tmp_path / "data"
    generate(data, customers=600, seed=3)
    for source in GENERATED_SOURCES:
        await Ingestor(graph, builtin_mapping(source)).ingest_path(data)
    linker = ProbabilisticLinker(graph, tmp_path / "models")
    model = await linker.train()
    assert linker.store.current_version() == model.version
    rep = await Resolver(graph, linker=linker).resolve(full=True)
    assert rep.matching is not None and rep.matching.pairs > 0
    rows = await graph.read_text(
        "t",
        "MATCH (a:Record)-[m:MATCHES]->(b:Record) RETURN m.match_probability AS p, "
        "m.evidence AS e, m.model_version AS v, m.name_postcode AS flag",
    )
    assert rows and all(r["v"] == model.version for r in rows)
    # Below the threshold only conditional pairs: an exact name and a postcode only.
    below = [r for r in rows if r["p"] < 0.95]
    assert all(r["flag"] and r["p"] >= name_postcode.FLOOR for r in below)
    assert all(
        name_postcode.name_and_postcode_only(r["e"], name_postcode.DEFAULT_NAMES) for r in below
    )
    evidence = json.loads(rows[0]["e"])
    assert isinstance(evidence, dict) and evidence
    # A new record with no shared identifier (typo'd email, no phone) but the same name,
    # date of birth and address as an existing loyalty member is linked through the index.
    member = await graph.read_text(
        "t",
        "MATCH (r:Record {source: 'loyalty'}) WHERE r.dob IS NOT NULL AND r.postcode IS NOT NULL "
        "AND r.given_name IS NOT NULL AND r.family_name IS NOT NULL "
        "RETURN r.rid AS rid, r.given_name AS g, r.family_name AS f, r.dob AS dob, "
        "r.postcode AS pc LIMIT 1",
    )
    m = member[0]
    await ingest_people(
        graph,
        tmp_path,
        [
            {
                "id": "new1",
                "first": m["g"],
                "last": m["f"],
                "dob": m["dob"],
                "postcode": m["pc"],
                "email": "zz.unrelated.address@example.org",
            }
        ],
        source="crm",
    )
    # A link the model would not make (left by an older model, or before the record
    # changed) goes when the record is scored again; an operator's rejection stays.
    stranger = await graph.read_text(
        "t",
        "MATCH (r:Record {source: 'ecommerce'}) WHERE r.given_name <> $g AND r.family_name <> $f "
        "RETURN r.rid AS rid LIMIT 2",
        {"g": m["g"], "f": m["f"]},
    )
    stale = {"a": "crm:new1", "b": stranger[0]["rid"], "weight": 9.0, "probability": 0.999}
    rejected = {**stale, "b": stranger[1]["rid"]}
    await matching_repo.write_matches(
        graph, [{**stale, "evidence": "{}"}, {**rejected, "evidence": "{}"}], "old", "2024-01-01"
    )
    await overrides.reject_match(graph, "crm:new1", stranger[1]["rid"], by="test")
    inc = await Resolver(graph, linker=linker).resolve()
    # The new record, and the two that writing the links marked changed.
    assert inc.matching is not None and inc.matching.scored == 3
    left = await graph.read_text(
        "t",
        "MATCH (:Record {rid: 'crm:new1'})-[m:MATCHES]-(o) RETURN o.rid AS o, m.rejected AS r",
    )
    assert {(r["o"], r["r"]) for r in left if r["o"] in (stale["b"], rejected["b"])} == {
        (rejected["b"], True)
    }
    assert all(r["o"] != stale["b"] for r in left)
    same = await graph.read_text(
        "t",
        "MATCH (a:Record {rid: 'crm:new1'})-[:IN_PROFILE]->(p)<-[:IN_PROFILE]-(b:Record {rid: $b}) "
        "RETURN count(*) AS n",
        {"b": m["rid"]},
    )
    assert same[0]["n"] == 1


async def test_without_a_model_linking_does_nothing(graph: GraphClient, tmp_path: Path) -> None:
    await ingest_people(graph, tmp_path, [{"id": "1", "first": "Ann", "last": "Lee"}])
    linker = ProbabilisticLinker(graph, tmp_path / "models")
    rep = await Resolver(graph, linker=linker).resolve()
    assert rep.matching is not None and rep.matching.model_version is None
    assert rep.records == 1


async def test_a_full_run_scores_inside_its_index_what_a_separate_prediction_did(
    graph: GraphClient, tmp_path: Path
) -> None:
    linker = await generated_and_trained(graph, tmp_path, customers=400, seed=5)
    model = linker.current_model()
    assert model is not None
    extra = extra_columns(model.spec)
    frame = to_frame(
        await matching_repo.matching_records(graph, None, extra), linker.protection, extra
    )
    # What a full run wrote before: a throwaway index of every record, scored in memory.
    accepted = name_postcode.accepted(
        predict(
            model,
            frame,
            None,
            threshold_probability=min(linker.threshold, name_postcode.FLOOR),
            term_frequencies=linker.term_frequencies(model),
        ),
        model.spec,
        linker.threshold,
    )
    expected = {
        frozenset((r.rid_l, r.rid_r)): {
            "weight": float(r.match_weight),
            "probability": float(r.match_probability),
            "evidence": r.evidence,
            "name_postcode": bool(r.name_postcode),
        }
        for r in accepted.itertuples(index=False)
        if r.rid_l != r.rid_r
    }
    rep = await linker.link(None)
    assert rep.scored == len(frame) and rep.pairs == len(expected) == rep.written
    rows = await graph.read_text(
        "t",
        "MATCH (a:Record)-[m:MATCHES]->(b:Record) RETURN a.rid AS a, b.rid AS b, "
        "m.match_weight AS weight, m.match_probability AS probability, m.evidence AS evidence, "
        "m.name_postcode AS name_postcode",
    )
    written = {frozenset((r["a"], r["b"])): r for r in rows}
    assert written.keys() == expected.keys()
    assert any(r["name_postcode"] for r in expected.values())
    for key, want in expected.items():
        got = written[key]
        assert abs(got["weight"] - want["weight"]) <= 1e-9
        assert abs(got["probability"] - want["probability"]) <= 1e-9
        assert (got["evidence"], got["name_postcode"]) == (want["evidence"], want["name_postcode"])
    # The index it scored in is the one kept for incremental batches: every record in it.
    with MatchIndex(
        model, database=linker.index_path, term_frequencies=linker.term_frequencies(model)
    ) as index:
        assert len(index) == len(frame)
