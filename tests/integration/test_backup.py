"""`cdp backup`: dump, wipe, restore, and the same graph comes back (counts, look-ups, an
incremental resolution that changes nothing), with the trained model's files; damaged or
incomplete backups and restores over a newer graph are refused."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from core.settings import Settings
from generator import generate
from graph import health, profile_repo
from graph.backup import MANIFEST, BackupError, create_backup, read_manifest, restore_backup
from graph.client import GraphClient
from graph.localserver import LocalNeo4j
from graph.schema import migrate
from ingest.mapping import builtin_mapping
from ingest.pipeline import Ingestor
from matching.resolve import Resolver


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _snapshot(settings: Settings) -> tuple[dict[str, int], list[str]]:
    client = GraphClient.from_settings(settings)
    try:
        counts = await health.counts(client)
        found = await profile_repo.profiles_by_identifier(client, _KEYS)
        return counts, sorted(p["pid"] for ps in found.values() for p in ps)
    finally:
        await client.close()


_KEYS: list[str] = []


async def test_backup_round_trip(tmp_path: Path) -> None:
    port = _free_port()
    settings = Settings(
        neo4j_local_home=tmp_path / "neo4j",
        neo4j_local_port=port,
        neo4j_uri=f"bolt://127.0.0.1:{port}",
        neo4j_local_heap="512m",
        neo4j_local_pagecache="64m",
        data_dir=tmp_path / "data",
        neo4j_local_start_timeout_s=600,  # a loaded CI machine starts a JVM slowly
    )
    server = LocalNeo4j(settings)
    server.start()
    try:
        data = tmp_path / "data" / "demo-40-1"  # generated inputs: not part of the state
        generate(data, customers=40, seed=1)
        client = GraphClient.from_settings(settings)
        try:
            await migrate(client)
            for source in ("ecommerce", "loyalty"):
                await Ingestor(client, builtin_mapping(source)).ingest_path(data)
            await Resolver(client).resolve()
            rows = await client.read_text(
                "t",
                "MATCH (i:Identifier) WHERE i.key STARTS WITH 'email:' RETURN i.key AS k "
                "ORDER BY k LIMIT 5",
            )
            _KEYS[:] = [r["k"] for r in rows]
        finally:
            await client.close()
        model = tmp_path / "data" / "models" / "model.json"
        model.parent.mkdir(parents=True)
        model.write_text('{"trained": true}')
        before = await _snapshot(settings)
        assert before[0]["records"] > 0 and before[1]

        report = create_backup(settings, tmp_path / "bk")
        assert report.last_tx_id > 0 and server.status().answering  # started again
        manifest = read_manifest(tmp_path / "bk")
        assert "data/models/model.json" in manifest.files
        assert not any("demo-" in name for name in manifest.files)

        # The disk is lost: graph and state gone; a new empty server starts.
        server.stop()
        server.wipe()
        model.unlink()
        server.start()
        assert (await _snapshot(settings))[0]["records"] == 0

        restore_backup(settings, tmp_path / "bk")
        assert await _snapshot(settings) == before
        assert model.read_text() == '{"trained": true}'
        client = GraphClient.from_settings(settings)
        try:
            again = await Resolver(client).resolve()
            assert (again.created, again.merged, again.split, again.moved_records) == (0, 0, 0, 0)
            # A change after the backup makes the graph newer: no restore over it unforced.
            await client.write_text("t", "CREATE (:Record {rid: 'web:after-backup'})")
        finally:
            await client.close()
        with pytest.raises(BackupError, match="newer"):
            restore_backup(settings, tmp_path / "bk")
        assert server.status().answering  # refused, and the server is back
    finally:
        server.stop()


def test_damaged_or_incomplete_backups_are_refused_before_anything_changes(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "bk"
    (folder / "data").mkdir(parents=True)
    with pytest.raises(BackupError, match="incomplete"):
        read_manifest(folder)
    (folder / "data" / "f.bin").write_bytes(b"abc")
    (folder / MANIFEST).write_text(
        '{"format": 1, "database": "neo4j", "last_tx_id": 3, "files": {"data/f.bin": '
        '{"sha256": "0000", "bytes": 3}}}'
    )
    with pytest.raises(BackupError, match="damaged"):
        read_manifest(folder)
    (folder / "data" / "extra.bin").write_bytes(b"x")
    with pytest.raises(BackupError, match="extra"):
        read_manifest(folder)
