"""The local Neo4j: start waits for Bolt, a second start reuses the server, stop is clean."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from neo4j import GraphDatabase

from core.settings import Settings
from graph.errors import LocalServerError
from graph.localserver import LAUNCHER_CLASS, LocalNeo4j


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _launchers_for(home: Path) -> int:
    n = 0
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmd = (proc / "cmdline").read_bytes()
        except OSError:
            continue
        if LAUNCHER_CLASS.encode() in cmd and str(home).encode() in cmd:
            n += 1
    return n


def test_start_twice_runs_one_server_and_stop_is_clean(tmp_path: Path) -> None:
    settings = Settings(
        neo4j_local_home=tmp_path / "neo4j",
        neo4j_local_port=_free_port(),
        neo4j_local_heap="512m",
        neo4j_local_pagecache="64m",
    )
    srv = LocalNeo4j(settings)
    assert not srv.status().running
    first = srv.start()
    try:
        assert first.answering and not first.reused and first.pid is not None
        second = srv.start()
        assert second.reused
        assert second.pid == first.pid
        assert _launchers_for(srv.home) == 1
        assert srv.log_file.is_file()
        # Another checkout's server on this port is not adopted as ours.
        other = LocalNeo4j(settings.model_copy(update={"neo4j_local_home": tmp_path / "other"}))
        with pytest.raises(LocalServerError, match="not this project's"):
            other.start()
        # Transaction logs are capped (a local server feeds no backup or cluster).
        auth = (settings.neo4j_user, settings.neo4j_password.get_secret_value())
        with GraphDatabase.driver(srv.uri, auth=auth) as driver:
            records, _, _ = driver.execute_query(
                "CALL dbms.listConfig('db.tx_log.rotation') YIELD name, value RETURN name, value"
            )
        config = {r["name"]: r["value"] for r in records}
        assert config["db.tx_log.rotation.retention_policy"] == "2 files"
        assert config["db.tx_log.rotation.size"] in {"64.00MiB", "67108864"}
    finally:
        assert srv.stop()
    st = srv.status()
    assert not st.running and not st.answering
    assert _launchers_for(srv.home) == 0
    assert "shutting down" in srv.log_file.read_text()
    assert not srv.stop()  # nothing left to stop


def test_wrong_password_is_reported(settings: Settings) -> None:
    bad = settings.model_copy(update={"neo4j_password": "definitely-wrong"})
    from pydantic import SecretStr

    bad = settings.model_copy(update={"neo4j_password": SecretStr("definitely-wrong")})
    srv = LocalNeo4j(bad)
    if not settings.neo4j_local_auth:
        pytest.skip("local server runs without auth")
    from graph.errors import LocalServerError

    with pytest.raises(LocalServerError, match="refuses the configured credentials"):
        srv.answers()
