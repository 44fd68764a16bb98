"""Benchmark: the clienteling look-up (`profileByIdentifier`) under concurrent load.

Loads N customers (or reuses the graph already loaded by `python -m bench.ingest` and
`cdp resolve`), serves the API with uvicorn in a subprocess, and drives
`profileByIdentifier` from `--clients` concurrent httpx clients for `--seconds`, with phones
and emails sampled from the graph and typed the way people type them. Prints throughput and
latency percentiles. Uses the Neo4j named by the settings (NEO4J_URI, ...).

    python -m bench.api --customers 1000000           # loads unless the graph has profiles
    python -m bench.api --customers 20000 --reload    # wipes, ingests and resolves again
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
import statistics
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI

from api.app import create_app
from api.auth import issue_key
from core.settings import Settings
from graph import health, profile_repo
from graph.client import GraphClient
from matching.resolve import Resolver

QUERY = """query ClientelingLookup($type: String!, $value: String!) {
  profileByIdentifier(type: $type, value: $value) {
    pid givenName { value } familyName { value } email { value } phone { value }
    postcode { value } sources
    enrichment { loyaltyTier clv12m daysSinceLastPurchase }
  }
}"""


def app_factory() -> FastAPI:
    """The app uvicorn serves (`--factory`): settings from the environment."""
    return create_app(Settings())


def typed_like_a_person(id_type: str, value: str, rng: random.Random) -> str:
    """The value as a shop assistant might type it: the look-up must normalise it."""
    if id_type == "email":
        return rng.choice([value, value.upper(), f"  {value.title()} "])
    if id_type == "phone" and value.startswith("+61") and len(value) == 12:
        local = "0" + value[3:]
        return rng.choice(
            [
                value,
                local,
                f"({local[:4]}) {local[4:7]} {local[7:]}",
                f"+61 {value[3:6]} {value[6:9]} {value[9:]}",
                f"{local[:4]}-{local[4:7]}-{local[7:]}",
            ]
        )
    return value


async def load(customers: int, reload: bool, out: Path | None) -> None:
    graph = GraphClient.from_settings(Settings())
    try:
        await graph.verify()
        counts = await health.counts(graph)
        if counts["profiles"] and not reload:
            print(f"reusing the graph: {counts}")
            return
    finally:
        await graph.close()
    from bench import ingest as bench_ingest

    data = out or Path(f"var/bench/data-{customers}")
    await bench_ingest.run(
        customers, data, regenerate=False, chunk=5_000, pairs=0, every=True, server=None
    )
    graph = GraphClient.from_settings(Settings())
    try:
        t0 = time.perf_counter()
        rep = await Resolver(graph).resolve(full=True)
        dt = time.perf_counter() - t0
        print(f"resolved {rep.records:,} records into {rep.components:,} profiles in {dt:.1f} s")
    finally:
        await graph.close()


async def prepare(sample: int) -> tuple[str, list[tuple[str, str]]]:
    """A clienteling key, and identifiers to look up."""
    graph = GraphClient.from_settings(Settings())
    try:
        key = await issue_key(graph, f"bench-{uuid.uuid4().hex[:8]}", "clienteling")
        counts = await health.counts(graph)
        fraction = min(1.0, 3.0 * sample / max(counts["identifiers"], 1))
        found = await profile_repo.sample_identifiers(graph, ["phone", "email"], fraction, sample)
    finally:
        await graph.close()
    if not found:
        raise SystemExit("no phone or email identifiers in the graph: load data first")
    return key, found


@dataclass
class Results:
    latencies: list[float] = field(default_factory=list)
    found: int = 0
    not_found: int = 0
    errors: int = 0
    first_error: str | None = None


async def drive(
    base: str, key: str, ids: list[tuple[str, str]], clients: int, seconds: float
) -> tuple[Results, float]:
    res = Results()
    headers = {"Authorization": f"Bearer {key}"}
    start = time.perf_counter()
    deadline = start + seconds

    async def client(n: int) -> None:
        rng = random.Random(n)
        limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
        async with httpx.AsyncClient(base_url=base, headers=headers, limits=limits) as c:
            while time.perf_counter() < deadline:
                id_type, value = rng.choice(ids)
                body = {
                    "query": QUERY,
                    "operationName": "ClientelingLookup",
                    "variables": {
                        "type": id_type,
                        "value": typed_like_a_person(id_type, value, rng),
                    },
                }
                t0 = time.perf_counter()
                try:
                    r = await c.post("/graphql", json=body)
                    payload: dict[str, Any] = r.json()
                except (httpx.HTTPError, ValueError) as exc:
                    res.errors += 1
                    res.first_error = res.first_error or type(exc).__name__
                    continue
                res.latencies.append(time.perf_counter() - t0)
                if r.status_code != 200 or payload.get("errors"):
                    res.errors += 1
                    res.first_error = res.first_error or str(payload.get("errors"))[:200]
                elif payload["data"]["profileByIdentifier"] is None:
                    res.not_found += 1
                else:
                    res.found += 1

    await asyncio.gather(*(client(i) for i in range(clients)))
    return res, time.perf_counter() - start


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and its children (uvicorn's workers), from /proc."""
    total = 0.0
    tick = os.sysconf("SC_CLK_TCK")
    pids = [pid]
    try:
        with open(f"/proc/{pid}/task/{pid}/children", encoding="ascii") as f:
            pids += [int(c) for c in f.read().split()]
    except OSError:
        pass
    for p in pids:
        try:
            with open(f"/proc/{p}/stat", encoding="ascii") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


def percentile(sorted_values: list[float], p: float) -> float:
    if not sorted_values:
        return float("nan")
    i = min(len(sorted_values) - 1, max(0, round(p / 100 * len(sorted_values)) - 1))
    return sorted_values[i]


def serve(port: int, workers: int) -> subprocess.Popen[bytes]:
    cmd = [
        sys.executable,
        "-m",
        "uvicorn",
        "bench.api:app_factory",
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--log-level",
        "warning",
        "--no-access-log",
    ]
    return subprocess.Popen(cmd, env={**os.environ, "PYTHONHASHSEED": "0"})


async def wait_ready(base: str, within_s: float = 60.0) -> None:
    deadline = time.perf_counter() + within_s
    async with httpx.AsyncClient(base_url=base) as c:
        while time.perf_counter() < deadline:
            try:
                if (await c.get("/ready")).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.3)
    raise SystemExit("the API did not become ready")


async def main_async(a: argparse.Namespace) -> None:
    if not a.skip_load:
        await load(a.customers, a.reload, a.data)
    key, ids = await prepare(a.sample)
    kinds = {t: sum(1 for x, _ in ids if x == t) for t in ("phone", "email")}
    print(f"looking up {len(ids):,} sampled identifiers {kinds}")
    base = f"http://127.0.0.1:{a.port}"
    proc = serve(a.port, a.workers)
    try:
        await wait_ready(base)
        # Warm-up: connection pools, caches, the query plan.
        await drive(base, key, ids, a.clients, 3.0)
        server0, client0 = cpu_seconds(proc.pid), time.process_time()
        res, elapsed = await drive(base, key, ids, a.clients, a.seconds)
        server_cpu = cpu_seconds(proc.pid) - server0
        client_cpu = time.process_time() - client0
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
    lat = sorted(res.latencies)
    done = len(lat)
    print(
        f"{a.clients} clients, {elapsed:.1f} s, {a.workers} uvicorn worker(s): "
        f"{done:,} requests, {done / elapsed:,.0f} requests/s"
    )
    if lat:
        ms = {p: percentile(lat, p) * 1000 for p in (50, 90, 99)}
        print(
            f"latency ms: p50 {ms[50]:.1f}  p90 {ms[90]:.1f}  p99 {ms[99]:.1f}"
            f"  max {lat[-1] * 1000:.1f}  mean {statistics.fmean(lat) * 1000:.1f}"
        )
    print(f"found {res.found:,}, not found {res.not_found:,}, errors {res.errors:,}")
    if done:
        print(
            f"CPU per request: API server {server_cpu / done * 1000:.2f} ms, load generator "
            f"{client_cpu / done * 1000:.2f} ms; load average {os.getloadavg()[0]:.1f} "
            f"on {os.cpu_count()} CPUs"
        )
    if res.first_error:
        print(f"first error: {res.first_error}")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("customers", nargs="?", type=int, default=1_000_000)
    p.add_argument("--customers", dest="customers_opt", type=int, default=None)
    p.add_argument("--reload", action="store_true", help="wipe and load even if data is there")
    p.add_argument("--skip-load", action="store_true", help="use the graph as it is")
    p.add_argument("--data", type=Path, default=None, help="generated data folder")
    p.add_argument("--clients", type=int, default=50)
    p.add_argument("--seconds", type=float, default=30.0)
    p.add_argument("--sample", type=int, default=20_000, help="identifiers to look up")
    p.add_argument("--port", type=int, default=8765)
    p.add_argument("--workers", type=int, default=1)
    a = p.parse_args()
    if a.customers_opt is not None:
        a.customers = a.customers_opt
    asyncio.run(main_async(a))


if __name__ == "__main__":
    main()
