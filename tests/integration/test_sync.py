"""The sync engine on the real graph, against the file destination and local fake servers."""

from __future__ import annotations

import csv
import json
import logging
from collections import Counter
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from activate.destinations.base import Destination
from activate.destinations.delivery import RetryPolicy
from activate.errors import MissingSecret, SyncAlreadyRunning
from activate.segments import service
from activate.segments.definition import attr, has_identifier, in_source
from activate.settings import ActivationSettings
from activate.sync import destinations as dest
from activate.sync.engine import SyncEngine
from activate.sync.registry import DestinationSpec, build_destination
from activate.sync.scheduler import run_due
from graph import sync_repo
from graph.client import GraphClient
from matching import overrides
from matching.resolve import Resolver
from tests.factories.records import ingest_people
from tests.fakes import FakeAttentive, FakeBraze, FakeKlaviyo, FakeSleep, FakeWebhook
from tests.integration.test_segments_support import add_profiles, profile, retire, set_props

TODAY = date(2024, 6, 1)
HOOK_SECRET = "whsec_d2hzZWMtdGVzdC0wMTIzNDU2Nzg5LWFuZC1tb3Jl"
KLAVIYO_KEY = "pk_test_sync_4f9a1c0ffee"


@pytest.fixture
def activation(tmp_path: Path) -> ActivationSettings:
    return ActivationSettings(
        file_root=tmp_path / "out",
        secrets={"hook": SecretStr(HOOK_SECRET), "klaviyo": SecretStr(KLAVIYO_KEY)},
        chunk_size=1_000,
    )


@pytest.fixture
def engine(graph: GraphClient, activation: ActivationSettings) -> SyncEngine:
    sleep = FakeSleep()

    def factory(spec: DestinationSpec) -> Destination:
        policy = RetryPolicy(max_attempts=2, base_delay=0.01, jitter=0.0)
        return build_destination(spec, activation, policy=policy, sleep=sleep)

    return SyncEngine(graph, activation, factory=factory)


@pytest.fixture
def hook() -> Iterator[FakeWebhook]:
    with FakeWebhook(HOOK_SECRET) as server:
        yield server


def customers(n: int, **props: Any) -> list[dict[str, Any]]:
    return [
        profile(
            f"p-{i:03d}",
            email=f"c{i}@shop.test",
            given_name="Ann",
            family_name="Lee",
            clv_percentile=i / n,
            identifiers=[{"type": "email", "value": f"c{i}@shop.test"}],
            **props,
        )
        for i in range(n)
    ]


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


async def webhook_destination(graph: GraphClient, hook: FakeWebhook, **extra: Any) -> None:
    config = {"url": hook.url + hook.path, "secret_ref": "hook", "allow_http": True, **extra}
    await dest.create_destination(graph, "hook", "webhook", config)


async def test_file_destination_end_to_end(
    graph: GraphClient, engine: SyncEngine, activation: ActivationSettings
) -> None:
    await add_profiles(graph, customers(30))
    await service.create_segment(graph, "all", "Everyone with an email", has_identifier("email"))
    await dest.create_destination(
        graph, "files", "file", {"directory": "exports", "attributes": ["clv_percentile"]}
    )

    first = await engine.sync("all", "files", today=TODAY)
    assert (first.status, first.adds, first.updates, first.removes) == ("succeeded", 30, 0, 0)
    run_dir = activation.file_root / "exports" / "all" / first.run_id
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["files"]["added"]["rows"] == 30 and manifest["files"]["removed"]["rows"] == 0
    added = rows(run_dir / "added.csv")
    assert {r["pid"] for r in added} == {f"p-{i:03d}" for i in range(30)}
    assert "clv_percentile" in added[0]

    # A second run with nothing changed sends nothing.
    second = await engine.sync("all", "files", today=TODAY)
    assert (second.adds, second.updates, second.removes, second.unchanged) == (0, 0, 0, 30)
    second_dir = activation.file_root / "exports" / "all" / second.run_id
    assert rows(second_dir / "added.csv") == [] and rows(second_dir / "removed.csv") == []

    # A synced attribute changes: one update, nothing else.
    await set_props(graph, "p-007", clv_percentile=0.99)
    third = await engine.sync("all", "files", today=TODAY)
    assert (third.adds, third.updates, third.removes) == (0, 1, 0)
    updated = rows(activation.file_root / "exports" / "all" / third.run_id / "updated.csv")
    assert [(r["pid"], r["clv_percentile"]) for r in updated] == [("p-007", "0.99")]

    runs = await dest.list_runs(graph, segment="all", destination="files")
    assert [r["adds"] for r in runs] == [0, 0, 30]
    assert all(r["status"] == "succeeded" and r["finished_at"] for r in runs)
    link = await dest.get_link(graph, "all", "files")
    assert link.members == 30 and link.last_status == "succeeded" and link.running_run is None


async def test_a_first_sync_reads_its_segment_and_destination_once(
    graph: GraphClient, engine: SyncEngine, caplog: pytest.LogCaptureFixture
) -> None:
    await add_profiles(graph, customers(3))
    await service.create_segment(graph, "all", "Everyone with an email", has_identifier("email"))
    await dest.create_destination(graph, "files", "file", {"directory": "exports"})
    before = graph.query_count

    with caplog.at_level(logging.DEBUG, logger="graph.client"):
        report = await engine.sync("all", "files", today=TODAY)

    assert (report.status, report.adds) == ("succeeded", 3)
    # The client logs every query by name: count the reads of each.
    names = Counter(
        r.getMessage().split()[1]
        for r in caplog.records
        if r.name == "graph.client" and r.getMessage().startswith("cypher ")
    )
    assert names.total() == graph.query_count - before
    # Linking and refreshing use the segment and destination the run read first.
    assert (names["segment_get"], names["sync_destination_get"]) == (1, 1)


async def test_merge_removes_the_retired_pid_and_adds_its_successor(
    graph: GraphClient, engine: SyncEngine, hook: FakeWebhook
) -> None:
    await add_profiles(
        graph,
        [
            *customers(2),
            profile("p-new", given_name="Ann"),  # no email yet: not in the segment
        ],
    )
    await service.create_segment(graph, "emails", "Has email", has_identifier("email"))
    await webhook_destination(graph, hook)
    await engine.sync("emails", "hook", today=TODAY)
    assert hook.members["emails"] == {"p-000", "p-001"}

    # Resolution merges p-000 into p-new: its record (and email) moves, its id retires.
    await retire(graph, "p-000", "p-new")
    report = await engine.sync("emails", "hook", today=TODAY)
    assert (report.adds, report.removes, report.updates) == (1, 1, 0)
    assert hook.members["emails"] == {"p-001", "p-new"}
    # The retired pid left before its successor arrived (they share an email).
    actions = [json.loads(r.body)["action"] for r in hook.calls("POST")][-2:]
    assert actions == ["remove", "add"]
    assert hook.violations == []


async def test_merge_through_the_real_resolver(
    graph: GraphClient, engine: SyncEngine, hook: FakeWebhook, tmp_path: Path
) -> None:
    await ingest_people(
        graph,
        tmp_path,
        [
            {"id": "1", "first": "Mia", "last": "Wong", "email": "mia.wong@fastmail.fm"},
            {"id": "2", "first": "Mia", "last": "Wong", "phone": "+61 413 902 771"},
        ],
    )
    await Resolver(graph).resolve()
    await service.create_segment(graph, "crm", "CRM customers", in_source("crm"))
    await webhook_destination(graph, hook)
    await engine.sync("crm", "hook", today=TODAY)
    before = set(hook.members["crm"])
    assert len(before) == 2

    # A third record carries both the email and the phone: the two profiles merge.
    await ingest_people(
        graph,
        tmp_path,
        [
            {
                "id": "3",
                "first": "Mia",
                "last": "Wong",
                "email": "mia.wong@fastmail.fm",
                "phone": "+61413902771",
            }
        ],
        source="crm2",
    )
    rep = await Resolver(graph).resolve()
    assert rep.merged == 1 and rep.retired == 1
    report = await engine.sync("crm", "hook", today=TODAY)
    after = hook.members["crm"]
    assert len(after) == 1 and after < before  # the survivor stays, the retired id left
    assert report.removes == 1
    retired = await graph.read_text(
        "t",
        "MATCH (p:Profile {retired: true})-[:MERGED_INTO]->(s) RETURN p.pid AS old, s.pid AS new",
    )
    assert retired[0]["new"] in after and retired[0]["old"] not in after


async def test_split_through_the_real_resolver_adds_the_new_profile(
    graph: GraphClient, engine: SyncEngine, hook: FakeWebhook, tmp_path: Path
) -> None:
    await ingest_people(
        graph,
        tmp_path,
        [
            {"id": "1", "first": "Leo", "last": "Park", "email": "family.park@fastmail.fm"},
            {
                "id": "2",
                "first": "Leo",
                "last": "Park",
                "email": "family.park@fastmail.fm",
                "phone": "+61 413 902 772",
            },
        ],
    )
    await Resolver(graph).resolve()
    await service.create_segment(graph, "crm", "CRM customers", in_source("crm"))
    await webhook_destination(graph, hook)
    await engine.sync("crm", "hook", today=TODAY)
    (kept,) = hook.members["crm"]

    # An operator marks the email shared: the records split into two profiles.
    await overrides.mark_identifier_shared(graph, "email:family.park@fastmail.fm", by="test")
    rep = await Resolver(graph).resolve()
    assert rep.split == 1
    report = await engine.sync("crm", "hook", today=TODAY)
    assert report.adds == 1 and report.removes == 0
    assert len(hook.members["crm"]) == 2 and kept in hook.members["crm"]


async def test_consent_is_respected(graph: GraphClient, engine: SyncEngine) -> None:
    await add_profiles(
        graph,
        [
            profile("p-yes", email="yes@shop.test", consent_email=True),
            profile("p-no", email="no@shop.test", consent_email=False),
            profile("p-unsub", email="un@shop.test", consent_email=True, unsubscribed=True),
            profile("p-unknown", email="unknown@shop.test"),
            profile("p-sms", email="sms@shop.test", consent_sms=True),
        ],
    )
    await service.create_segment(graph, "all", "All", attr("sources", "contains", "ecommerce"))
    with FakeKlaviyo(KLAVIYO_KEY) as klaviyo:
        await dest.create_destination(
            graph,
            "klaviyo",
            "klaviyo",
            {"base_url": klaviyo.url, "secret_ref": "klaviyo", "poll_interval": 0},
        )
        await dest.link(graph, "all", "klaviyo", external_id="LIST1")
        report = await engine.sync("all", "klaviyo", today=TODAY)
        assert (report.adds, report.no_consent) == (1, 4)
        assert klaviyo.members("LIST1") == {"p-yes"}
        assert klaviyo.violations == []

        # Consent withdrawn: the member leaves the list and is unsubscribed at Klaviyo.
        await set_props(graph, "p-yes", consent_email=False)
        report = await engine.sync("all", "klaviyo", today=TODAY)
        assert (report.removes, report.no_consent) == (1, 5)
        assert klaviyo.members("LIST1") == set()
        assert klaviyo.unsubscribed == {"yes@shop.test": {"email"}}
        assert klaviyo.violations == []


async def test_attentive_subscribes_only_recorded_sms_opt_ins(
    graph: GraphClient, activation: ActivationSettings
) -> None:
    def texter(pid: str, n: int, **props: Any) -> dict[str, Any]:
        return profile(pid, email=f"{pid}@shop.test", phone=f"+44770090{n:04d}", **props)

    await add_profiles(
        graph,
        [
            texter("p-yes", 1, consent_sms=True),
            texter("p-no", 2, consent_sms=False),
            texter("p-unknown", 3),
            texter("p-email", 4, consent_email=True),
        ],
    )
    await service.create_segment(graph, "all", "All", attr("sources", "contains", "ecommerce"))
    settings = activation.model_copy(
        update={"secrets": {**activation.secrets, "attentive": SecretStr("attentive-key-9f8e")}}
    )
    engine = SyncEngine(graph, settings)
    with FakeAttentive("attentive-key-9f8e") as attentive:
        await dest.create_destination(
            graph,
            "attentive",
            "attentive",
            {"base_url": attentive.url, "secret_ref": "attentive", "sign_up_source_id": "12345"},
        )
        await dest.link(graph, "all", "attentive", external_id="vip")
        report = await engine.sync("all", "attentive", today=TODAY)
        assert (report.adds, report.no_consent) == (1, 3)
        assert set(attentive.subscribed) == {"+447700900001"}
        named = {p for r in attentive.requests for p in r.query.get("phone", [])}
        named |= {r.json()["user"]["phone"] for r in attentive.requests if r.body}
        assert named == {"+447700900001"}
        assert attentive.members_of("cdp_segment_vip") == {"+447700900001"}

        # SMS opt-out recorded: out of the segment attribute, unsubscribed from texts.
        await set_props(graph, "p-yes", consent_sms=False)
        report = await engine.sync("all", "attentive", today=TODAY)
        assert (report.removes, report.no_consent) == (1, 4)
        assert attentive.unsubscribed == {"+447700900001"}
        assert attentive.members_of("cdp_segment_vip") == set()
        assert attentive.violations == []


async def test_klaviyo_profile_ids_are_kept_in_the_sync_state(
    graph: GraphClient, engine: SyncEngine
) -> None:
    """Ids learnt from the first import serve every later update and removal: no run
    reads them again (150 requests a minute at Klaviyo)."""
    await add_profiles(graph, customers(6, consent_email=True))
    await service.create_segment(graph, "all", "All", has_identifier("email"))
    with FakeKlaviyo(KLAVIYO_KEY) as klaviyo:
        await dest.create_destination(
            graph,
            "klaviyo",
            "klaviyo",
            {
                "base_url": klaviyo.url,
                "secret_ref": "klaviyo",
                "poll_interval": 0,
                "attributes": ["clv_percentile"],
            },
        )
        await dest.link(graph, "all", "klaviyo", external_id="LIST1")
        first = await engine.sync("all", "klaviyo", today=TODAY)
        assert first.adds == 6 and klaviyo.violations == []
        state = dest.link_id("all", "klaviyo")
        pids = [f"p-{i:03d}" for i in range(6)]
        kept = await sync_repo.vendor_ids(graph, state, pids)
        assert kept == {pid: klaviyo.profiles[pid] for pid in pids}
        reads = len(klaviyo.requests)

        await set_props(graph, "p-001", clv_percentile=0.99)  # an update
        await set_props(graph, "p-002", consent_email=False)  # a removal
        second = await engine.sync("all", "klaviyo", today=TODAY)
        assert (second.updates, second.removes) == (1, 1)
        later = klaviyo.requests[reads:]
        assert [r.path for r in later if r.path == "/api/profiles"] == []
        assert [r.path for r in later if r.path.endswith("/profiles") and r.method == "GET"] == []
        assert klaviyo.members("LIST1") == set(pids) - {"p-002"}
        assert await sync_repo.vendor_ids(graph, state, ["p-001"]) == {
            "p-001": klaviyo.profiles["p-001"]
        }


async def test_braze_users_are_named_by_the_brands_key_from_a_source(
    graph: GraphClient, activation: ActivationSettings
) -> None:
    await add_profiles(graph, customers(3, consent_email=True))
    await graph.write_text(
        "test_source_ids",
        "MATCH (r:Record) WHERE r.rid IN ['p-000:r', 'p-001:r'] "
        "SET r.source_id = 'SHOP-' + substring(r.rid, 2, 3)",
        {},
    )
    await service.create_segment(graph, "all", "All", has_identifier("email"))
    settings = activation.model_copy(
        update={"secrets": {**activation.secrets, "braze": SecretStr("braze-key-123456")}}
    )
    engine = SyncEngine(graph, settings)
    with FakeBraze("braze-key-123456") as braze:
        await dest.create_destination(
            graph,
            "braze",
            "braze",
            {
                "base_url": braze.url,
                "secret_ref": "braze",
                "external_id_source": "ecommerce",
                "attributes": ["clv_percentile"],
            },
        )
        await dest.link(graph, "all", "braze", external_id="vip")
        first = await engine.sync("all", "braze", today=TODAY)
        assert first.adds == 3 and braze.violations == []
        assert set(braze.users) == {"SHOP-000", "SHOP-001", "p-002"}

        # Only what changed goes on an update; the removal names the user it added.
        await set_props(graph, "p-000", clv_percentile=0.99)
        await set_props(graph, "p-001", consent_email=False)
        sent = len(braze.requests)
        second = await engine.sync("all", "braze", today=TODAY)
        assert (second.updates, second.removes) == (1, 1)
        objects = [o for r in braze.requests[sent:] for o in r.json()["attributes"]]
        assert {
            "external_id": "SHOP-000",
            "_update_existing_only": True,
            "clv_percentile": 0.99,
        } in (objects)
        assert braze.segment_members("vip") == {"SHOP-000", "p-002"}


async def test_nothing_is_lost_when_the_destination_fails_halfway(
    graph: GraphClient, engine: SyncEngine, hook: FakeWebhook
) -> None:
    await add_profiles(graph, customers(23))
    await service.create_segment(graph, "all", "All", has_identifier("email"))
    await webhook_destination(graph, hook, batch_size=5)

    def third_batch(request: Any) -> bool:
        return bool(json.loads(request.body).get("sequence") == 3)

    hook.inject(500, times=2, when=third_batch)  # outlives the two attempts of the policy
    hook.refuse = {"p-001"}  # and the receiver refuses one row of the first batch
    first = await engine.sync("all", "hook", today=TODAY)
    assert first.status == "partial"
    assert (first.adds, first.failed) == (9, 14)  # batches 1-2 less the refusal; 3-5 failed
    errors = await dest.run_errors(graph, first.run_id)
    assert len(errors) == 14 and {e["action"] for e in errors} == {"add"}
    assert all("@" not in e["reason"] for e in errors)  # the refusal quoted an email
    assert len(hook.members["all"]) == 9

    hook.refuse = set()
    second = await engine.sync("all", "hook", today=TODAY)
    assert (second.status, second.adds, second.failed) == ("succeeded", 14, 0)
    assert hook.members["all"] == {f"p-{i:03d}" for i in range(23)}
    third = await engine.sync("all", "hook", today=TODAY)
    assert (third.adds, third.updates, third.removes, third.unchanged) == (0, 0, 0, 23)


async def test_a_failing_run_records_nothing_as_sent(
    graph: GraphClient, engine: SyncEngine, hook: FakeWebhook, activation: ActivationSettings
) -> None:
    await add_profiles(graph, customers(4))
    await service.create_segment(graph, "all", "All", has_identifier("email"))
    await webhook_destination(graph, hook)
    hook.inject(401, times=1)
    failed = await engine.sync("all", "hook", today=TODAY)
    assert failed.status == "failed" and failed.failed == 4 and failed.adds == 0
    assert failed.error is not None and HOOK_SECRET not in failed.error
    assert (await dest.get_link(graph, "all", "hook")).members == 0
    again = await engine.sync("all", "hook", today=TODAY)
    assert (again.status, again.adds) == ("succeeded", 4)


async def test_dry_run_sends_nothing(graph: GraphClient, engine: SyncEngine) -> None:
    await add_profiles(
        graph,
        [
            *customers(3, consent_email=True),
            profile("p-noemail", consent_email=True),
            profile("p-nocons", email="n@shop.test"),
        ],
    )
    await service.create_segment(graph, "all", "All", in_source("ecommerce"))
    with FakeKlaviyo(KLAVIYO_KEY) as klaviyo:
        await dest.create_destination(
            graph, "klaviyo", "klaviyo", {"base_url": klaviyo.url, "secret_ref": "klaviyo"}
        )
        await dest.link(graph, "all", "klaviyo", external_id="LIST1")
        report = await engine.sync("all", "klaviyo", today=TODAY, dry_run=True)
        assert (report.status, report.adds, report.invalid, report.no_consent) == (
            "dry_run",
            3,
            1,
            1,
        )
        assert klaviyo.requests == []
    assert (await dest.get_link(graph, "all", "klaviyo")).members == 0
    runs = await dest.list_runs(graph, segment="all")
    assert runs[0]["dry_run"] is True and runs[0]["status"] == "dry_run"


async def test_a_deleted_profile_is_removed_from_what_it_was_sent(
    graph: GraphClient, engine: SyncEngine, activation: ActivationSettings
) -> None:
    await add_profiles(graph, customers(3))
    await service.create_segment(graph, "all", "All", has_identifier("email"))
    await dest.create_destination(graph, "files", "file", {})
    await engine.sync("all", "files", today=TODAY)
    await graph.write_text("t", "MATCH (p:Profile {pid: 'p-001'}) DETACH DELETE p")
    report = await engine.sync("all", "files", today=TODAY)
    assert report.removes == 1
    removed = rows(activation.file_root / "files" / "all" / report.run_id / "removed.csv")
    # the removal carries the identifiers that were sent, from the sync state
    assert [(r["pid"], r["email"]) for r in removed] == [("p-001", "c1@shop.test")]


async def test_locks_schedules_and_secrets(
    graph: GraphClient, engine: SyncEngine, hook: FakeWebhook
) -> None:
    await add_profiles(graph, customers(2))
    await service.create_segment(graph, "all", "All", has_identifier("email"))
    await webhook_destination(graph, hook)
    link = await dest.link(graph, "all", "hook", interval_seconds=3600)
    assert link.interval_seconds == 3600

    due = await run_due(engine, today=lambda: TODAY)
    assert [r.adds for r in due] == [2]
    assert await run_due(engine, today=lambda: TODAY) == []  # not due for an hour

    await sync_repo.lock(
        graph, link.id, "run-other", now="2999-01-01T00:00:00.000Z", stale_before=""
    )
    with pytest.raises(SyncAlreadyRunning):
        await engine.sync("all", "hook", today=TODAY)

    await dest.create_destination(
        graph,
        "nokey",
        "webhook",
        {"url": hook.url + hook.path, "secret_ref": "absent", "allow_http": True},
    )
    with pytest.raises(MissingSecret) as err:
        await engine.sync("all", "nokey", today=TODAY)
    assert "absent" in str(err.value) and HOOK_SECRET not in str(err.value)
