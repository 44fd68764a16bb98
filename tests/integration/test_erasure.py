"""GDPR erasure reaches every copy: the graph (records, quarantine, sync snapshots), the
files under DATA_DIR (the match index) and the logs; what it leaves behind (suppression
hashes) is keyed, and entries written before keys existed keep working."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from pydantic import SecretStr

from activate.destinations.base import Destination
from activate.destinations.delivery import RetryPolicy
from activate.segments import service
from activate.segments.definition import has_identifier
from activate.settings import ActivationSettings
from activate.sync import destinations as dest
from activate.sync.engine import SyncEngine
from activate.sync.registry import DestinationSpec, build_destination
from generator import GENERATED_SOURCES, generate
from graph.client import GraphClient
from ingest.mapping import builtin_mapping
from ingest.pipeline import Ingestor
from ingest.suppression import SCHEME, SuppressionHasher
from matching import erasure
from matching.linking import ProbabilisticLinker, index_path
from matching.resolve import Resolver
from tests.fakes import FakeSleep, FakeWebhook

HOOK_SECRET = "whsec_d2hzZWMtdGVzdC1lcmFzdXJlLTAxMjM0NTY3ODk="
EMAIL_TYPED = "Zephyrine.Quillfeather@Quillpost.com.au"
PHONE_TYPED = "0413 579 246"
ADDRESS = "17 Wombatvale Crescent"
ECOMMERCE = {
    "id": "zq-1",
    "first_name": "Zephyrine",
    "last_name": "Quillfeather",
    "email": EMAIL_TYPED,
    "phone": PHONE_TYPED,
    "accepts_marketing": True,
    "default_address": {"address1": ADDRESS, "zip": "3000", "country_code": "AU"},
}
MEMBER = {
    "loyalty_id": "ZQ-4471",
    "email": EMAIL_TYPED,
    "phone": PHONE_TYPED,
    "first_name": "Zephyrine",
    "last_name": "Quillfeather",
}
# What must not be found anywhere after the erasure, lower-cased: email as typed and
# normalised, phone in E.164, as typed and as digits, names, street, loyalty number.
HER = [
    EMAIL_TYPED.lower(),
    "zephyrine.quillfeather",
    "+61413579246",
    PHONE_TYPED,
    "0413579246",
    "413579246",
    "zephyrine",
    "quillfeather",
    "wombatvale",
    "zq-4471",
]


@pytest.fixture
def hook() -> Iterator[FakeWebhook]:
    with FakeWebhook(HOOK_SECRET) as server:
        yield server


def _engine(graph: GraphClient, tmp: Path) -> SyncEngine:
    activation = ActivationSettings(
        file_root=tmp / "exports", secrets={"hook": SecretStr(HOOK_SECRET)}, chunk_size=1_000
    )

    def factory(spec: DestinationSpec) -> Destination:
        policy = RetryPolicy(max_attempts=2, base_delay=0.01, jitter=0.0)
        return build_destination(spec, activation, policy=policy, sleep=FakeSleep())

    return SyncEngine(graph, activation, factory=factory)


async def _graph_text(graph: GraphClient) -> str:
    nodes = await graph.read_text("t", "MATCH (n) RETURN labels(n) AS l, properties(n) AS p")
    rels = await graph.read_text("t", "MATCH ()-[r]->() RETURN type(r) AS t, properties(r) AS p")
    return json.dumps([*nodes, *rels], default=str, ensure_ascii=False).lower()


def _found_in_files(root: Path) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        data = path.read_bytes().lower()
        hits = [v for v in HER if v.encode() in data]
        if hits:
            found[str(path.relative_to(root))] = hits
    return found


async def test_erasure_leaves_no_personal_data_behind(
    graph: GraphClient, tmp_path: Path, hook: FakeWebhook, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    data_dir = tmp_path / "data"
    model_dir = data_dir / "models"
    inputs = tmp_path / "inputs"
    generate(inputs, customers=150, seed=11)
    for source in GENERATED_SOURCES:
        await Ingestor(graph, builtin_mapping(source)).ingest_path(inputs)
    await Ingestor(graph, builtin_mapping("ecommerce")).ingest_rows("customers.jsonl", [ECOMMERCE])
    loyalty = Ingestor(graph, builtin_mapping("loyalty"))
    await loyalty.ingest_rows("members.csv", [MEMBER])
    # A row without its key: quarantined, with her data in it.
    bad = {k: v for k, v in MEMBER.items() if k != "loyalty_id"}
    assert (await loyalty.ingest_rows("members.csv", [bad])).rows_quarantined == 1

    linker = ProbabilisticLinker(graph, model_dir)
    await linker.train()
    await Resolver(graph, linker=linker).resolve(full=True)
    await service.create_segment(graph, "emails", "Has email", has_identifier("email"))
    await dest.create_destination(
        graph,
        "hook",
        "webhook",
        {"url": hook.url + hook.path, "secret_ref": "hook", "allow_http": True},
    )
    report = await _engine(graph, tmp_path).sync("emails", "hook", today=date(2024, 6, 1))
    assert report.members > 0

    # Before: she is in the graph, the quarantine, the snapshots and the match index.
    before = await _graph_text(graph)
    assert all(v in before for v in ("zephyrine", "+61413579246", "wombatvale"))
    snap = await graph.read_text(
        "t", "MATCH (m:SyncMember) WHERE m.snapshot CONTAINS 'zephyrine' RETURN count(*) AS n"
    )
    assert snap[0]["n"] >= 1
    assert "models/match-index.duckdb" in _found_in_files(data_dir)

    caplog.clear()
    done = await erasure.forget(
        graph, "email:zephyrine.quillfeather@quillpost.com.au", model_dir=model_dir
    )
    assert done.found and done.erased.records == 2
    assert done.erased.quarantined == 1 and done.erased.snapshots >= 1

    after = await _graph_text(graph)
    assert [v for v in HER if v in after] == []
    assert _found_in_files(data_dir) == {}
    assert [v for v in HER if v in caplog.text.lower()] == []
    # The index still works: records are scored against it, without her.
    await Resolver(graph, linker=linker).resolve()
    assert index_path(model_dir).exists()
    assert _found_in_files(data_dir) == {}

    # The same file again: her rows are dropped as forgotten, the bad one too, unstored.
    caplog.clear()
    rep = await loyalty.ingest_rows("members.csv", [MEMBER, bad])
    assert (rep.rows_suppressed, rep.rows_accepted, rep.rows_quarantined) == (2, 0, 0)
    again = await _graph_text(graph)
    assert [v for v in HER if v in again] == []
    assert [v for v in HER if v in caplog.text.lower()] == []


async def test_suppression_hashes_are_keyed(graph: GraphClient) -> None:
    await erasure.forget(graph, "phone:+61413579246")
    rows = await graph.read_text("t", "MATCH (s:Suppression) RETURN s.hash AS h, s.scheme AS s")
    plain = hashlib.sha256(b"phone:+61413579246").hexdigest()
    assert rows == [
        {"h": SuppressionHasher(graph.suppression_keys).written("phone:+61413579246"), "s": SCHEME}
    ]
    assert rows[0]["h"] != plain
    # A different secret cannot recognise it: the hash cannot be tried without the key.
    other = SuppressionHasher([b"another-secret-of-at-least-32-chars!!"])
    assert rows[0]["h"] not in other.candidates("phone:+61413579246")


async def test_a_customer_forgotten_before_keyed_hashes_stays_forgotten(
    graph: GraphClient,
) -> None:
    # What erasure wrote before: a plain SHA-256 of the identifier key, no scheme.
    legacy = hashlib.sha256(b"email:old.forgotten@example.org").hexdigest()
    await graph.write_text(
        "t",
        "CREATE (:Suppression {hash: $h, reason: 'erasure', created_at: '2024-01-01'})",
        {"h": legacy},
    )
    rep = await Ingestor(graph, builtin_mapping("esp")).ingest_rows(
        "profiles.csv", [{"profile_id": "k7", "email": "Old.Forgotten@example.org"}]
    )
    assert rep.rows_suppressed == 1 and rep.rows_accepted == 0
    # Migrated: the reversible hash is gone, replaced by its keyed form.
    rows = await graph.read_text("t", "MATCH (s:Suppression) RETURN s.hash AS h, s.scheme AS s")
    hasher = SuppressionHasher(graph.suppression_keys)
    assert rows == [{"h": hasher.written("email:old.forgotten@example.org"), "s": SCHEME}]
    again = await Ingestor(graph, builtin_mapping("esp")).ingest_rows(
        "profiles.csv", [{"profile_id": "k8", "email": "old.forgotten@example.org"}]
    )
    assert again.rows_suppressed == 1


async def test_rotated_keys_still_recognise_older_entries(graph: GraphClient) -> None:
    old_keys = graph.suppression_keys
    await erasure.forget(graph, "email:rotated@example.org")
    try:
        graph.suppression_keys = (b"a-new-suppression-key-of-32-chars-or-more", *old_keys)
        rep = await Ingestor(graph, builtin_mapping("esp")).ingest_rows(
            "profiles.csv", [{"profile_id": "k1", "email": "rotated@example.org"}]
        )
        assert rep.rows_suppressed == 1
        graph.suppression_keys = (b"a-new-suppression-key-of-32-chars-or-more",)
        rep = await Ingestor(graph, builtin_mapping("esp")).ingest_rows(
            "profiles.csv", [{"profile_id": "k2", "email": "rotated@example.org"}]
        )
        # Dropping the old key drops what it wrote: rotate by adding first, drop much later.
        assert rep.rows_suppressed == 0
    finally:
        graph.suppression_keys = old_keys
