"""Benchmark: the clienteling look-up (`profileByIdentifier`) under concurrent load.

Loads N customers (or reuses the graph already loaded by `python -m bench.ingest` and
`cdp resolve`), serves the API with uvicorn in a subprocess, and drives
`profileByIdentifier` from `--clients` concurrent httpx clients for `--seconds`, with phones
and emails sampled from the graph and typed the way people type them. Uses the Neo4j named by
the settings (NEO4J_URI, ...).

In the same run, side by side, it drives a minimal FastAPI endpoint (`minimal_factory`) that
normalises the typed value the same way and runs the same Cypher through `graph/`, with no
GraphQL, key check, masking or limits: the figure the GraphQL stack is held against
(throughput ratio and both latency tails). The two servers take turns (`--rounds`), so a
change in the machine's load hits both alike. With `--during-resolve`, a last pair of
rounds runs while `cdp resolve --full` rewrites the graph.

    python -m bench.api --customers 1000000           # loads unless the graph has profiles
    python -m bench.api --customers 20000 --reload    # wipes, ingests and resolves again
    python -m bench.api --skip-load --clients 10 --during-resolve
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import random
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI, Request

from api.app import create_app
from api.auth import issue_key
from api.routes.onsite import PATH as ONSITE_PATH
from core.settings import Settings
from graph import health, profile_repo
from graph.client import GraphClient
from ingest.identifiers import typed_identifier_key
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


def minimal_factory() -> FastAPI:
    """The baseline: one route, the same normalisation and the same Cypher, nothing else."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.graph = GraphClient.from_settings(Settings())
        yield
        await app.state.graph.close()

    app = FastAPI(lifespan=lifespan)

    @app.get("/ready")
    async def ready() -> dict[str, bool]:
        return {"ready": True}

    @app.post("/lookup")
    async def lookup(body: dict[str, str], request: Request) -> dict[str, Any]:
        key = typed_identifier_key(body["type"], body["value"], "AU")
        found = await profile_repo.profiles_by_identifier(request.app.state.graph, [key])
        profiles = found.get(key) or []
        return {"profile": profiles[0] if profiles else None}

    return app


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


async def prepare(sample: int) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """A key per role the targets need, and identifiers to look up."""
    graph = GraphClient.from_settings(Settings())
    try:
        key = {
            role: await issue_key(graph, f"bench-{role}-{uuid.uuid4().hex[:8]}", role)
            for role in ("clienteling", "onsite")
        }
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


@dataclass(frozen=True)
class Target:
    """One of the two servers: how to ask it for a look-up and read its answer."""

    name: str
    factory: str
    path: str
    role: str = "clienteling"

    def body(self, id_type: str, typed: str) -> dict[str, Any]:
        if self.path == "/lookup":
            return {"type": id_type, "value": typed}
        if self.path == ONSITE_PATH:
            email = typed.strip().lower() if id_type == "email" else f"{typed}@nowhere.invalid"
            return {"email_sha256": hashlib.sha256(email.encode()).hexdigest()}
        return {
            "query": QUERY,
            "operationName": "ClientelingLookup",
            "variables": {"type": id_type, "value": typed},
        }

    def profile(self, payload: dict[str, Any]) -> Any:
        if self.path == "/lookup":
            return payload["profile"]
        if self.path == ONSITE_PATH:
            return payload if payload["known"] else None
        return payload["data"]["profileByIdentifier"]


GRAPHQL = Target("GraphQL API", "bench.api:app_factory", "/graphql")
MINIMAL = Target("minimal endpoint", "bench.api:minimal_factory", "/lookup")
ONSITE = Target("onsite visitor", "bench.api:app_factory", ONSITE_PATH, "onsite")


async def drive(
    target: Target,
    base: str,
    key: str,
    ids: list[tuple[str, str]],
    clients: int,
    seconds: float,
    res: Results | None = None,
) -> tuple[Results, float]:
    res = res or Results()
    headers = {"Authorization": f"Bearer {key}"}
    start = time.perf_counter()
    deadline = start + seconds

    async def client(n: int) -> None:
        rng = random.Random(n)
        limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
        async with httpx.AsyncClient(base_url=base, headers=headers, limits=limits) as c:
            while time.perf_counter() < deadline:
                id_type, value = rng.choice(ids)
                body = target.body(id_type, typed_like_a_person(id_type, value, rng))
                t0 = time.perf_counter()
                try:
                    if target.path == ONSITE_PATH:
                        r = await c.get(target.path, params=body)
                    else:
                        r = await c.post(target.path, json=body)
                    payload: dict[str, Any] = r.json()
                except (httpx.HTTPError, ValueError) as exc:
                    res.errors += 1
                    res.first_error = res.first_error or type(exc).__name__
                    continue
                res.latencies.append(time.perf_counter() - t0)
                if r.status_code != 200 or payload.get("errors"):
                    res.errors += 1
                    res.first_error = res.first_error or str(payload)[:200]
                elif target.profile(payload) is None:
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


def serve(factory: str, port: int, workers: int) -> subprocess.Popen[bytes]:
    cmd = [
        sys.executable,
        "-m",
        "uvicorn",
        factory,
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


def start_resolution() -> subprocess.Popen[bytes]:
    """`cdp resolve --full` on the same graph, in the background."""
    cdp = str(Path(sys.executable).parent / "cdp")
    return subprocess.Popen(
        [cdp, "resolve", "--full"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


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


@dataclass
class Run:
    """One server's figures, summed over its rounds."""

    target: Target
    results: Results = field(default_factory=Results)
    elapsed: float = 0.0
    server_cpu: float = 0.0


async def round_of(
    run: Run,
    a: argparse.Namespace,
    keys: dict[str, str],
    ids: list[tuple[str, str]],
    seconds: float,
    during_resolution: bool = False,
) -> None:
    """Serve `run.target`, warm it up, drive it for `seconds`, stop it. With
    `during_resolution`, `cdp resolve --full` starts once the server is warm and the
    look-ups run for as long as it does (in slices of 2 s)."""
    base = f"http://127.0.0.1:{a.port}"
    proc = serve(run.target.factory, a.port, a.workers)
    try:
        await wait_ready(base)
        # Warm-up: connection pools, caches, the query plan.
        key = keys[run.target.role]
        await drive(run.target, base, key, ids, a.clients, 3.0)
        server0 = cpu_seconds(proc.pid)
        if during_resolution:
            resolving = start_resolution()
            t0 = time.perf_counter()
            while resolving.poll() is None:
                _, elapsed = await drive(run.target, base, key, ids, a.clients, 2.0, run.results)
                run.elapsed += elapsed
            print(f"{run.target.name}: cdp resolve --full took {time.perf_counter() - t0:.1f} s")
        else:
            _, elapsed = await drive(run.target, base, key, ids, a.clients, seconds, run.results)
            run.elapsed += elapsed
        run.server_cpu += cpu_seconds(proc.pid) - server0
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()


def report(title: str, runs: list[Run], a: argparse.Namespace) -> None:
    print(f"\n{title}: {a.clients} clients, {a.workers} uvicorn worker(s)")
    print(
        f"{'':18} {'requests/s':>10} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8} {'max ms':>8}"
        f" {'CPU ms/req':>10} {'errors':>7}"
    )
    rates = []
    for run in runs:
        lat = sorted(run.results.latencies)
        rate = len(lat) / run.elapsed if run.elapsed else 0.0
        rates.append(rate)
        ms = {p: percentile(lat, p) * 1000 for p in (50, 90, 99)}
        cpu = run.server_cpu / len(lat) * 1000 if lat else float("nan")
        print(
            f"{run.target.name:18} {rate:10,.0f} {ms[50]:8.1f} {ms[90]:8.1f} {ms[99]:8.1f}"
            f" {(lat[-1] if lat else float('nan')) * 1000:8.1f} {cpu:10.2f}"
            f" {run.results.errors:7,}"
        )
        if run.results.first_error:
            print(f"  first error: {run.results.first_error}")
    if len(rates) == 2 and rates[1]:
        print(f"throughput, GraphQL / minimal: {rates[0] / rates[1]:.2f}")
    found = runs[0].results
    print(
        f"{runs[0].target.name}: found {found.found:,}, not found {found.not_found:,};"
        f" load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
    )


async def main_async(a: argparse.Namespace) -> None:
    if not a.skip_load:
        await load(a.customers, a.reload, a.data)
    keys, ids = await prepare(a.sample)
    kinds = {t: sum(1 for x, _ in ids if x == t) for t in ("phone", "email")}
    print(f"looking up {len(ids):,} sampled identifiers {kinds}")
    runs = [Run(GRAPHQL), Run(MINIMAL)]
    for _ in range(a.rounds):
        for run in runs:
            await round_of(run, a, keys, ids, a.seconds / a.rounds)
    report("idle graph", runs, a)
    if a.onsite_clients:
        onsite = Run(ONSITE)
        emails = [(t, v) for t, v in ids if t == "email"]
        clients, a.clients = a.clients, a.onsite_clients
        await round_of(onsite, a, keys, emails, a.seconds / a.rounds)
        report("onsite visitor by hashed email", [onsite], a)
        a.clients = clients
    if a.during_resolve:
        busy = [Run(GRAPHQL), Run(MINIMAL)]
        for run in busy:
            await round_of(run, a, keys, ids, a.seconds, during_resolution=True)
        report("during cdp resolve --full", busy, a)


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
    p.add_argument("--rounds", type=int, default=2, help="turns each server takes")
    p.add_argument(
        "--onsite-clients", type=int, default=0, help="also drive the onsite endpoint (e.g. 50)"
    )
    p.add_argument(
        "--during-resolve", action="store_true", help="also measure during cdp resolve --full"
    )
    a = p.parse_args()
    if a.customers_opt is not None:
        a.customers = a.customers_opt
    asyncio.run(main_async(a))


if __name__ == "__main__":
    main()
