"""Operating syncs: `cdp sync`'s progress output and metrics file, and the sync metrics on
the API's `/metrics` when a sync runs in the API's process."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
import typer
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr
from typer.testing import CliRunner

from activate.destinations.base import Destination
from activate.destinations.delivery import RetryPolicy
from activate.segments import service
from activate.segments.definition import has_identifier
from activate.settings import ActivationSettings
from activate.sync import destinations as dest
from activate.sync.engine import SyncEngine
from activate.sync.registry import DestinationSpec, build_destination
from api.metrics import metrics as metrics_endpoint
from cli import activate_cmd
from graph.client import GraphClient
from tests.fakes import FakeKlaviyo, FakeSleep
from tests.integration.test_segments_support import add_profiles
from tests.integration.test_sync import customers

pytestmark = pytest.mark.integration

TODAY = date(2024, 6, 1)
KLAVIYO_KEY = "pk_test_ops_4f9a1c0ffee"


def samples(text: str, name: str) -> dict[tuple[tuple[str, str], ...], float]:
    """Samples of metric `name` in Prometheus text, keyed by their sorted labels."""
    found: dict[tuple[tuple[str, str], ...], float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name:
                found[tuple(sorted(sample.labels.items()))] = sample.value
    return found


@pytest.fixture
def cli_activation(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("CDP_DEST_FILE_ROOT", str(tmp_path / "out"))
    monkeypatch.setenv("CDP_DEST_CHUNK_SIZE", "10")
    activate_cmd.activation_settings.cache_clear()
    yield tmp_path
    activate_cmd.activation_settings.cache_clear()


async def test_cdp_sync_prints_progress_lines_and_writes_the_metrics_file(
    graph: GraphClient, cli_activation: Path
) -> None:
    await add_profiles(graph, customers(30))
    await service.create_segment(graph, "all", "Everyone with an email", has_identifier("email"))
    await dest.create_destination(graph, "files-ops", "file", {"directory": "exports"})
    app = typer.Typer()
    app.command()(activate_cmd.sync)
    metrics_file = cli_activation / "textfile" / "cdp_sync.prom"
    metrics_file.parent.mkdir()

    result = await asyncio.to_thread(
        CliRunner().invoke,
        app,
        ["all", "files-ops", "--today", "2024-06-01", "--metrics-file", str(metrics_file)],
    )

    assert result.exit_code == 0, result.output
    # Not a terminal: plain lines as the chunks of 10 go, then the end.
    lines = [line for line in result.output.splitlines() if line.startswith("sync all")]
    assert lines[0] == "sync all -> files-ops: 0/30 members, 0 batches (0%)"
    assert "sync all -> files-ops: 10/30 members, 0 batches (30%)" in lines
    assert lines[-1] == "sync all -> files-ops: 30/30 members, 0 batches (done)"
    assert "\x1b[" not in result.output  # no terminal control codes in a log

    text = metrics_file.read_text()
    rows = samples(text, "cdp_sync_rows_total")
    added = (("destination", "files-ops"), ("outcome", "added"), ("vendor", "file"))
    assert rows[added] == 30.0
    runs = samples(text, "cdp_sync_runs_total")
    assert runs[(("destination", "files-ops"), ("status", "succeeded"), ("vendor", "file"))] == 1
    assert samples(text, "cdp_sync_last_run_timestamp_seconds")

    quiet = await asyncio.to_thread(
        CliRunner().invoke, app, ["all", "files-ops", "--today", "2024-06-01", "--no-progress"]
    )
    assert quiet.exit_code == 0 and "members," not in quiet.output


def test_a_metrics_file_in_no_directory_is_refused_before_the_sync(tmp_path: Path) -> None:
    app = typer.Typer()
    app.command()(activate_cmd.sync)
    missing = tmp_path / "nowhere" / "cdp_sync.prom"
    result = CliRunner().invoke(app, ["--due", "--metrics-file", str(missing)])
    assert result.exit_code == 2
    assert "--metrics-file" in result.output and "no directory" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


@pytest.fixture
def klaviyo() -> Iterator[FakeKlaviyo]:
    with FakeKlaviyo(KLAVIYO_KEY, polls_before_complete=0) as fake:
        yield fake


async def test_sync_metrics_appear_on_the_api_metrics_endpoint(
    graph: GraphClient, tmp_path: Path, klaviyo: FakeKlaviyo
) -> None:
    activation = ActivationSettings(
        file_root=tmp_path, secrets={"klaviyo": SecretStr(KLAVIYO_KEY)}, chunk_size=10
    )

    def factory(spec: DestinationSpec) -> Destination:
        policy = RetryPolicy(max_attempts=3, base_delay=0.01, jitter=0.0)
        return build_destination(spec, activation, policy=policy, sleep=FakeSleep())

    await add_profiles(graph, customers(25, consent_email=True))
    await service.create_segment(graph, "all", "Everyone with an email", has_identifier("email"))
    await dest.create_destination(
        graph, "kl-ops", "klaviyo", {"base_url": klaviyo.url, "secret_ref": "klaviyo"}
    )
    await dest.link(graph, "all", "kl-ops", external_id="LIST1")
    klaviyo.inject(429, retry_after="0", when=lambda r: r.method == "POST")

    report = await SyncEngine(graph, activation, factory=factory).sync("all", "kl-ops", today=TODAY)
    assert report.status == "succeeded" and report.adds == 25

    text = bytes(metrics_endpoint().body).decode()
    who = (("destination", "kl-ops"), ("vendor", "klaviyo"))
    rows = samples(text, "cdp_sync_rows_total")
    assert rows[(who[0], ("outcome", "added"), who[1])] == 25.0
    assert samples(text, "cdp_sync_throttled_total")[who] == 1.0
    retries = samples(text, "cdp_sync_retries_total")
    assert retries[(who[0], ("reason", "429"), who[1])] == 1.0
    requests = samples(text, "cdp_sync_requests_total")
    assert requests[(who[0], ("status", "429"), who[1])] == 1.0
    assert requests[(who[0], ("status", "2xx"), who[1])] >= 3  # 3 jobs created, polled, read
    latency = samples(text, "cdp_sync_request_duration_seconds_count")
    assert latency[who] == sum(v for k, v in requests.items() if k[0] == who[0])
