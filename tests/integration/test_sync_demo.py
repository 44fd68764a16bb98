"""The demo's ending: both example segments synced to files and to a local webhook receiver."""

from __future__ import annotations

import csv
import json
import time
from datetime import date, timedelta
from pathlib import Path

from activate.demo import FILE_DESTINATION, run_demo_activation
from activate.destinations.webhook import new_secret, sign, signing_keys
from activate.receiver import LocalReceiver
from activate.settings import ActivationSettings
from graph.client import GraphClient
from tests.integration.test_segments_support import add_profiles, profile

TODAY = date(2024, 6, 1)


def ago(days: int) -> str:
    return f"{TODAY - timedelta(days=days)}T09:00:00Z"


async def test_demo_syncs_both_examples_to_files_and_webhook(
    graph: GraphClient, tmp_path: Path
) -> None:
    await add_profiles(
        graph,
        [
            profile(
                "p-store",
                source="pos",
                email="s@shop.com",
                orders=[{"channel": "store", "placed_at": ago(20)}],
            ),
            profile(
                "p-opener",
                source="pos",
                email="o@shop.com",
                orders=[{"channel": "store", "placed_at": ago(20)}],
                events=[{"type": "email_open", "ts": ago(3)}],
            ),
            profile(
                "p-lapsed",
                email="l@shop.com",
                clv_percentile=0.9,
                last_purchase_at=ago(120),
                clv_12m=800.0,
            ),
        ],
    )
    activation = ActivationSettings(file_root=tmp_path)
    result = await run_demo_activation(graph, activation, today=TODAY)
    assert result.received == {"in-store-never-emailed": 1, "high-value-lapsed": 1}
    assert all(r.status == "succeeded" for r in result.reports) and len(result.reports) == 4

    run = next(
        r
        for r in result.reports
        if r.segment == "high-value-lapsed" and r.destination == FILE_DESTINATION
    )
    folder = tmp_path / FILE_DESTINATION / "high-value-lapsed" / run.run_id
    with (folder / "added.csv").open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [(r["pid"], r["clv_12m"]) for r in rows] == [("p-lapsed", "800.0")]
    assert json.loads((folder / "manifest.json").read_text())["files"]["added"]["rows"] == 1

    # A second demo: files get nothing new; the new receiver is sent everything again.
    again = await run_demo_activation(graph, activation, today=TODAY)
    assert again.received == result.received
    files = [r for r in again.reports if r.destination == FILE_DESTINATION]
    assert [r.adds for r in files] == [0, 0]


def test_receiver_checks_signatures() -> None:
    secret = new_secret()
    with LocalReceiver(secret) as receiver:
        body = json.dumps(
            {"segment": {"id": "s"}, "action": "add", "members": [{"pid": "a"}]}
        ).encode()
        now = int(time.time())
        bad = {"webhook-id": "msg_1", "webhook-timestamp": str(now), "webhook-signature": "v1,bad"}
        assert receiver.accept(receiver.path, bad, body) == 401
        good = {**bad, "webhook-signature": sign(signing_keys(secret), "msg_1", now, body)}
        assert receiver.accept(receiver.path, good, body) == 200
        assert receiver.accept("/elsewhere", good, body) == 404
        assert receiver.members["s"] == {"a"} and receiver.rejected == 1
