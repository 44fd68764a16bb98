"""The server goes away in the middle of `cdp ingest` (issue 20, item 11): the operator
reads one line saying what happened and what to do, not the driver's chained tracebacks;
the batch left behind is marked interrupted by the next run, which loads the same graph
as a clean one."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import threading
from pathlib import Path
from urllib.parse import urlparse

from core.settings import Settings
from graph.client import GraphClient
from ingest.mapping import builtin_mapping
from ingest.pipeline import Ingestor
from tests import cypher as test_cypher
from tests.faults.harness import CDP, FAULT_CHUNK
from tests.faults.test_ingest_sync_faults import _batches, _counts


class CuttingProxy:
    """A TCP proxy to Neo4j that, once the client has sent `cut_after` bytes, drops every
    connection and stops listening: to the driver, the server has died."""

    def __init__(self, upstream: tuple[str, int], cut_after: int) -> None:
        self.upstream = upstream
        self.cut_after = cut_after
        self.sent = 0
        self.cut = threading.Event()
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self.cut.is_set():
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            server = socket.create_connection(self.upstream)
            for s in (client, server):
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self._lock:
                self._sockets += [client, server]
            threading.Thread(target=self._pump, args=(client, server, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client, False), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket, counted: bool) -> None:
        try:
            while data := src.recv(65536):
                if counted:
                    with self._lock:
                        self.sent += len(data)
                        over = self.sent > self.cut_after
                    if over:
                        self.close()
                        return
                dst.sendall(data)
        except OSError:
            return

    def close(self) -> None:
        self.cut.set()
        with self._lock:
            sockets, self._sockets = self._sockets, []
        for s in (self.listener, *sockets):
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            s.close()


def _ingest_through(proxy: CuttingProxy, dataset: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "NEO4J_URI": f"bolt://127.0.0.1:{proxy.port}",
        "NEO4J_MAX_RETRY_TIME_S": "2",
        "CDP_FAULT_CHUNK": FAULT_CHUNK,
        "COLUMNS": "100",
    }
    env.pop("CDP_FAULT_AT", None)
    return subprocess.run(
        [CDP, "ingest", str(dataset), "--source", "ecommerce"],
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )


async def test_server_lost_mid_ingest_is_one_line_and_the_next_run_heals(
    graph: GraphClient, settings: Settings, dataset: Path
) -> None:
    await Ingestor(graph, builtin_mapping("ecommerce")).ingest_path(dataset)
    clean = await _counts(graph)
    await test_cypher.wipe(graph)

    bolt = urlparse(settings.neo4j_uri)
    upstream = (bolt.hostname or "127.0.0.1", bolt.port or 7687)
    # How much a whole ingest sends, then cut the server off halfway through it.
    whole = CuttingProxy(upstream, cut_after=1 << 40)
    done = _ingest_through(whole, dataset)
    whole.close()
    assert done.returncode == 0, done.stderr[-2000:]
    await test_cypher.wipe(graph)

    proxy = CuttingProxy(upstream, cut_after=whole.sent // 2)
    lost = _ingest_through(proxy, dataset)
    assert proxy.cut.is_set()
    assert lost.returncode == 3, lost.stderr[-3000:]
    assert "Traceback" not in lost.stderr and "───" not in lost.stderr
    lines = lost.stderr.strip().splitlines()
    assert len(lines) <= 6, lost.stderr
    assert lines[-1].startswith("error: Neo4j became unavailable")
    assert "run the same command again" in lines[-1]
    [left] = [b for b in await _batches(graph) if b["status"] == "running"]
    assert left["rows_read"] > 0

    await Ingestor(graph, builtin_mapping("ecommerce")).ingest_path(dataset)
    batches = {b["id"]: b for b in await _batches(graph)}
    assert batches[left["id"]]["status"] == "interrupted"
    assert await _counts(graph) == clean
