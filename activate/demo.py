"""The end of the demo: the two example segments synced to a file destination and to a
local webhook receiver.

`cdp demo` calls `run_demo_activation(graph, ActivationSettings(), today=...)` after
ingestion, resolution and enrichment. Files land under `ActivationSettings.file_root`
(`var/activation/demo-files/<segment>/<run>/`); the receiver runs on 127.0.0.1 for the
length of the call, with a signing secret made up for it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from pydantic import SecretStr

from activate.destinations.webhook import new_secret
from activate.errors import DestinationNotFound
from activate.receiver import LocalReceiver
from activate.segments.examples import create_examples
from activate.settings import ActivationSettings
from activate.sync import destinations as dest
from activate.sync.engine import SyncEngine, SyncReport
from graph.client import GraphClient

FILE_DESTINATION = "demo-files"
WEBHOOK_DESTINATION = "demo-webhook"
SECRET_NAME = "demo_webhook"
ATTRIBUTES = ["clv_12m", "clv_percentile", "churn_risk", "loyalty_tier", "top_category"]


@dataclass
class DemoActivation:
    reports: list[SyncReport] = field(default_factory=list)
    received: dict[str, int] = field(default_factory=dict)
    """Members the webhook receiver holds, per segment."""


async def _ensure(
    graph: GraphClient, destination_id: str, kind: str, config: dict[str, Any]
) -> None:
    try:
        await dest.update_destination(graph, destination_id, config=config)
    except DestinationNotFound:
        await dest.create_destination(graph, destination_id, kind, config)


async def run_demo_activation(
    graph: GraphClient, activation: ActivationSettings, *, today: date
) -> DemoActivation:
    """Create the examples and both destinations, and sync each example to each."""
    segments = await create_examples(graph)
    secret = new_secret()
    settings = activation.model_copy(
        update={"secrets": {**activation.secrets, SECRET_NAME: SecretStr(secret)}}
    )
    out = DemoActivation()
    with LocalReceiver(secret) as receiver:
        await _ensure(
            graph,
            FILE_DESTINATION,
            "file",
            {"directory": FILE_DESTINATION, "format": "csv", "attributes": ATTRIBUTES},
        )
        await _ensure(
            graph,
            WEBHOOK_DESTINATION,
            "webhook",
            {
                "url": receiver.url,
                "allow_http": True,  # the receiver listens on 127.0.0.1
                "secret_ref": SECRET_NAME,
                "attributes": ATTRIBUTES,
            },
        )
        # The receiver is new: whatever an earlier demo sent to its predecessor is gone.
        await dest.forget_sent(graph, WEBHOOK_DESTINATION)
        engine = SyncEngine(graph, settings)
        for segment in segments:
            for destination in (FILE_DESTINATION, WEBHOOK_DESTINATION):
                out.reports.append(await engine.sync(segment.id, destination, today=today))
        out.received = {s.id: len(receiver.members.get(s.id, set())) for s in segments}
    return out
