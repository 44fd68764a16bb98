"""`cdp ingest` and `cdp sync` killed mid-write (issue 20, items 8 and 11): the batch a
crash interrupts does not stay `running` and keeps true counts, a re-run loads the same
graph; a sync's lease dies with its process and the resumed sync sends each member once."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from activate.segments import service
from activate.segments.definition import has_identifier
from activate.settings import ActivationSettings
from activate.sync import destinations as dest
from activate.sync.engine import SyncEngine, unlock
from core.clock import utc_today
from graph.client import GraphClient
from ingest.mapping import builtin_mapping
from ingest.pipeline import Ingestor
from matching.resolve import Resolver
from tests import cypher as test_cypher
from tests.fakes import FakeWebhook
from tests.faults.harness import cdp

HOOK_SECRET = "whsec_ZmF1bHQtc3VpdGUtaG9vay1zZWNyZXQtMzItYnl0ZXM="


async def _counts(graph: GraphClient) -> dict[str, int]:
    rows = await graph.read_text(
        "faults_ingest_counts",
        "CALL { MATCH (r:Record) RETURN count(r) AS records } "
        "CALL { MATCH (o:Order) RETURN count(o) AS orders } "
        "CALL { MATCH (:Record)-[h:HAS_IDENTIFIER]->() RETURN count(h) AS links } "
        "RETURN records, orders, links",
    )
    return dict(rows[0])


async def _batches(graph: GraphClient) -> list[dict[str, Any]]:
    rows = await graph.read_text(
        "faults_batches",
        "MATCH (b:IngestBatch) RETURN b {.*} AS b ORDER BY b.started_at",
    )
    return [r["b"] for r in rows]


@pytest.mark.parametrize("fault", ["ingest.chunk:1", "ingest.chunk:3"])
async def test_killed_ingest_is_healed_by_the_next_run(
    graph: GraphClient, dataset: Path, fault: str
) -> None:
    await Ingestor(graph, builtin_mapping("ecommerce")).ingest_path(dataset)
    clean = await _counts(graph)
    await test_cypher.wipe(graph)

    done = cdp("ingest", str(dataset), "--source", "ecommerce", fault=fault)
    assert "Traceback" not in done.stderr
    before = await _batches(graph)
    [killed] = [b for b in before if b["status"] == "running"]
    assert killed["rows_read"] > 0  # the counts of the chunks it wrote
    # Exactly those: each chunk adds its counts in its own transaction, whatever order
    # the chunks written at once committed in.
    written = await _counts(graph)
    assert sum(b.get("records", 0) for b in before) == written["records"] > 0
    assert sum(b.get("orders", 0) for b in before) == written["orders"]

    reports = await Ingestor(graph, builtin_mapping("ecommerce")).ingest_path(dataset)
    batches = {b["id"]: b for b in await _batches(graph)}
    assert batches[killed["id"]]["status"] == "interrupted"
    assert batches[killed["id"]]["rows_read"] == killed["rows_read"]
    assert all(batches[r.batch_id]["status"] == "completed" for r in reports)
    for r in reports:
        b = batches[r.batch_id]
        assert b["rows_read"] == b["rows_accepted"] + b["rows_quarantined"]
    assert await _counts(graph) == clean


def _adds(hook: FakeWebhook) -> Counter[str]:
    """Members added per pid, one count per distinct delivery (retries of one request,
    same Idempotency-Key, count once)."""
    seen: set[str] = set()
    out: Counter[str] = Counter()
    for request in hook.requests:
        key = request.headers.get("idempotency-key", "")
        if key in seen:
            continue
        seen.add(key)
        document = json.loads(request.body)
        if document.get("action") == "add":
            out.update(m["pid"] for m in document["members"])
    return out


@pytest.mark.parametrize("fault", ["sync.add:2"])
async def test_killed_sync_is_resumed_at_once_and_sends_each_member_once(
    graph: GraphClient, dataset: Path, fault: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for source in ("ecommerce", "esp"):
        await Ingestor(graph, builtin_mapping(source)).ingest_path(dataset)
    await Resolver(graph).resolve(full=True)
    await service.create_segment(graph, "all", "Everyone with an email", has_identifier("email"))
    with FakeWebhook(HOOK_SECRET) as hook:
        config = {"url": hook.url + hook.path, "secret_ref": "hook", "allow_http": True}
        await dest.create_destination(graph, "hook", "webhook", config)
        env = {"CDP_DEST_SECRETS__HOOK": HOOK_SECRET, "CDP_DEST_CHUNK_SIZE": "25"}
        cdp("sync", "all", "hook", fault=fault, env=env)
        first = sum(_adds(hook).values())
        assert first > 0

        # The dead run's lease is taken over at once (not after the lease's TTL).
        settings = ActivationSettings(secrets={"hook": SecretStr(HOOK_SECRET)}, chunk_size=25)
        report = await SyncEngine(graph, settings).sync("all", "hook", today=utc_today())
        assert report.status == "succeeded"
        adds = _adds(hook)
        assert adds and max(adds.values()) == 1  # nobody twice
        assert set(adds) == hook.members["all"]
        assert len(adds) == first + report.adds == report.members - report.no_consent


async def test_unlock_frees_a_lease_held_by_another_host(graph: GraphClient) -> None:
    """A lease held by a process this host cannot check waits for its heartbeat to expire,
    or for an operator's `cdp sync --unlock`."""
    from graph import sync_repo

    await service.create_segment(graph, "all", "Everyone with an email", has_identifier("email"))
    await dest.create_destination(graph, "files", "file", {"directory": "exports"})
    state_id = dest.link_id("all", "files")
    await graph.write_text(
        "faults_link",
        "MERGE (st:SyncState {id: $id}) SET st.segment = 'all', st.destination = 'files'",
        {"id": state_id},
    )
    now = "2999-01-01T00:00:00.000Z"
    assert await sync_repo.lock(
        graph, state_id, "other", now=now, stale_before=now, host="elsewhere", pid=1
    )
    assert not await sync_repo.lock(graph, state_id, "mine", now=now, stale_before=now)
    assert await unlock(graph, "all", "files") == "other"
    assert await sync_repo.lock(graph, state_id, "mine", now=now, stale_before=now)
