"""Benchmark: diff and sync a 100,000-member segment to the file destination, or to the
local Klaviyo fake with Klaviyo's documented rate limits enforced in real time
(`--destination klaviyo`: bulk import jobs, their status and profiles at 10/s and
150/min; the profile ids learnt by the first sync are kept, so later syncs read none). The
destination paces itself below those limits (`proactive_rate_limits`); `--no-pacing` turns
that off to compare with waiting for the fake's 429s.

Creates N synthetic profiles with one UNWIND (plus 10% that the segment leaves out),
saves a segment and a CSV file destination, then times:

1. the full refresh that materialises the membership;
2. the first sync (every member an add): diff, file write, sync-state write;
3. a second sync with nothing changed (the diff alone: it sends nothing);
4. after 1% of members change a synced attribute and 0.5% merge away: an incremental
   refresh and a sync of the updates, removes and adds.

Uses the Neo4j named by the settings (NEO4J_URI, ...); it wipes it first. Files go to a
temporary directory, removed afterwards.

    python -m bench.activate --members 100000
    python -m bench.activate --members 20000 --destination klaviyo
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import resource
import tempfile
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from activate.segments import service
from activate.segments.definition import all_of, attr, has_identifier
from activate.settings import ActivationSettings
from activate.sync import destinations as dest
from activate.sync.engine import SyncEngine, SyncReport
from core.clock import utc_stamp
from core.settings import Settings
from graph.client import GraphClient
from graph.schema import migrate, wipe

TODAY = date(2024, 6, 1)
_CHUNK = 20_000

_PROFILES = """
UNWIND range($start, $stop - 1) AS i
WITH i, i < $members AS inside, toString(i) AS s
CREATE (p:Profile {
  pid: 'bench-' + s, given_name: 'Given' + s, family_name: 'Family' + s,
  email: 'customer' + s + '@bench-mail.com', phone: '+614' + right('0000000' + s, 8),
  postcode: toString(2000 + i % 900), country: 'AU', city: 'Sydney',
  clv_12m: (i % 997) * 1.5, clv_percentile: (i % 100) / 100.0,
  loyalty_tier: CASE WHEN inside THEN 'gold' ELSE 'none' END,
  consent_email: i % 7 <> 0, sources: ['ecommerce', 'pos'],
  last_purchase_at: '2024-0' + toString(1 + i % 5) + '-15T10:00:00Z',
  resolved_at: $resolved_at
})
CREATE (r:Record {rid: 'bench:' + s, source: 'ecommerce'})-[:IN_PROFILE]->(p)
CREATE (r)-[:HAS_IDENTIFIER]->(:Identifier {
  key: 'email:customer' + s + '@bench-mail.com', type: 'email',
  value: 'customer' + s + '@bench-mail.com'
})
"""

_CHANGE = """
MATCH (p:Profile) WHERE p.pid IN $pids
SET p.clv_12m = p.clv_12m + 1, p.enriched_at = $now
"""

_MERGE = """
UNWIND $pairs AS pair
MATCH (o:Profile {pid: pair[0]}), (n:Profile {pid: pair[1]})
SET o.retired = true, o.retired_at = $now, n.resolved_at = $now
MERGE (o)-[:MERGED_INTO]->(n)
"""


KLAVIYO_KEY = "pk_bench_klaviyo_key"


@contextlib.contextmanager
def _destination(
    kind: str, fmt: str, pacing: bool = True
) -> Iterator[tuple[str, dict[str, Any], Any]]:
    """(kind, configuration, the fake server or None) of the destination to sync to."""
    config: dict[str, Any]
    if kind == "file":
        config = {"directory": "bench", "format": fmt, "attributes": ["clv_12m", "clv_percentile"]}
        yield "file", config, None
        return
    from tests.fakes import FakeKlaviyo  # the repository's fake: a benchmark-only import

    with FakeKlaviyo(KLAVIYO_KEY, now=time.monotonic) as fake:
        config = {
            "base_url": fake.url,
            "secret_ref": "bench",
            "poll_interval": 1.0,
            "attributes": ["clv_12m", "clv_percentile"],
            "proactive_rate_limits": pacing,
        }
        yield "klaviyo", config, fake


async def _timed(label: str, engine: SyncEngine, fake: Any = None) -> SyncReport:
    """One sync, printed with its phases and the CPU time this Python process spent (on a
    busy machine the wall-clock figures include waiting for a core); against the fake,
    the requests it received and how many it answered 429."""
    cpu = time.process_time()
    before = (len(fake.requests), fake.throttled) if fake is not None else (0, 0)
    report = await engine.sync("bench", "bench-dest", today=TODAY)
    cpu = time.process_time() - cpu
    handled = report.adds + report.updates + report.removes
    rate = handled / report.seconds if report.seconds else 0.0
    extra = ""
    if fake is not None:
        extra = (
            f"; {len(fake.requests) - before[0]:,} requests, "
            f"{fake.throttled - before[1]:,} answered 429"
        )
    print(f"{'':32s} {handled:,} members in {report.seconds:.1f} s: {rate:,.0f} members/s{extra}")
    print(
        f"{label:32s} {report.seconds:7.2f} s  (refresh {report.refresh_seconds:.2f}, "
        f"diff {report.diff_seconds:.2f}, send {report.send_seconds:.2f}, "
        f"state {report.record_seconds:.2f}; python cpu {cpu:.2f})  adds {report.adds:,} "
        f"updates {report.updates:,} removes {report.removes:,} unchanged {report.unchanged:,}"
    )
    return report


async def run(members: int, fmt: str, kind: str, pacing: bool = True) -> None:
    graph = GraphClient.from_settings(Settings())
    with (
        tempfile.TemporaryDirectory(prefix="cdp-bench-activate-") as out,
        _destination(kind, fmt, pacing) as (kind, config, fake),
    ):
        activation = ActivationSettings(
            file_root=Path(out), secrets={"bench": SecretStr(KLAVIYO_KEY)}
        )
        try:
            await graph.verify()
            await wipe(graph)
            await migrate(graph)
            total = members + members // 10

            t0 = time.perf_counter()
            for start in range(0, total, _CHUNK):  # one UNWIND per chunk of 20,000
                await graph.write_text(
                    "bench_profiles",
                    _PROFILES,
                    {
                        "start": start,
                        "stop": min(total, start + _CHUNK),
                        "members": members,
                        "resolved_at": "2024-01-01T00:00:00Z",
                    },
                )
            print(
                f"{'create profiles (one UNWIND)':32s} {time.perf_counter() - t0:7.2f} s  {total:,}"
            )

            definition = all_of(attr("loyalty_tier", "eq", "gold"), has_identifier("email"))
            await service.create_segment(graph, "bench", "Benchmark", definition)
            t0 = time.perf_counter()
            rep = await service.refresh_segment(graph, "bench", today=TODAY)
            print(
                f"{'full refresh (materialise)':32s} {time.perf_counter() - t0:7.2f} s  "
                f"{rep.members:,} members"
            )
            await dest.create_destination(graph, "bench-dest", kind, config)
            if fake is not None:
                await dest.link(graph, "bench", "bench-dest", external_id="BENCH")
            engine = SyncEngine(graph, activation)
            await _timed("sync 1: everything is an add", engine, fake)
            second = await _timed("sync 2: nothing changed", engine, fake)
            assert second.adds == second.updates == second.removes == 0

            changed = [f"bench-{i}" for i in range(0, members, 100)]
            pairs = [[f"bench-{i}", f"bench-{i + 1}"] for i in range(50, members - 1, 200)]
            await graph.write_text("bench_change", _CHANGE, {"pids": changed, "now": utc_stamp()})
            await graph.write_text("bench_merge", _MERGE, {"pairs": pairs, "now": utc_stamp()})
            await _timed("sync 3: 1% changed, 0.5% merged", engine, fake)
            if fake is not None:
                print(
                    f"klaviyo fake: {len(fake.requests):,} requests, {fake.throttled:,} "
                    f"answered 429 (its documented limits), {len(fake.members('BENCH')):,} "
                    "on the list"
                )
            print(f"machine load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
            rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            print(f"peak RSS of the Python process: {rss:,.0f} MB")
        finally:
            await graph.close()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--members", type=int, default=100_000)
    p.add_argument("--format", choices=["csv", "parquet"], default="csv")
    p.add_argument("--destination", choices=["file", "klaviyo"], default="file")
    p.add_argument("--no-pacing", action="store_true", help="Klaviyo: wait for 429s instead.")
    a = p.parse_args()
    asyncio.run(run(a.members, a.format, a.destination, not a.no_pacing))


if __name__ == "__main__":
    main()
