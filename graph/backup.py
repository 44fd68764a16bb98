"""Backup and restore of everything the service keeps: the local Neo4j's `neo4j` database
(an offline `neo4j-admin database dump`, the only consistent copy Community edition makes)
and the state under `DATA_DIR` (the trained model and its match index), with a manifest of
checksums.

A backup is written into a `.partial` folder and renamed into place once its manifest is
written, so a crash leaves no folder that looks complete. A restore checks every checksum
before it touches anything, and refuses to replace a graph that has committed transactions
the backup has not (unless forced). The server is stopped for the dump or load and started
again afterwards if it was running: the API cannot reach the graph meanwhile.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from core.clock import utc_stamp
from core.settings import Settings
from graph.errors import GraphError
from graph.localserver import LocalNeo4j

MANIFEST = "manifest.json"
DUMP_DIR = "neo4j"
STATE_DIR = "data"
FORMAT = 1
# Generated demo inputs (`cdp demo` writes them under DATA_DIR) are made again on demand.
_NOT_STATE = re.compile(r"^demo-")
_LAST_TX = re.compile(r"Last committed transaction id:\s*(\d+)")


class BackupError(GraphError):
    """A backup cannot be made or restored; the message says why and what to do."""


@dataclass(frozen=True)
class BackupReport:
    folder: Path
    last_tx_id: int
    files: int
    bytes: int
    offline_s: float
    """How long the graph was stopped (the API's outage)."""


@dataclass(frozen=True)
class Manifest:
    database: str
    last_tx_id: int
    created_at: str
    files: dict[str, dict[str, int | str]]
    """Path in the backup -> its sha256 and size."""

    @property
    def bytes(self) -> int:
        return sum(int(f["bytes"]) for f in self.files.values())


class AdminTool:
    """`neo4j-admin` of the local server's own jars, on its home."""

    def __init__(self, server: LocalNeo4j) -> None:
        self.server = server
        self.conf = server.home / "conf-admin"

    def run(self, *args: str) -> str:
        java = shutil.which("java")
        lib = self.server.project / "target" / "lib"
        if java is None or not lib.is_dir():
            raise BackupError("needs java and the local Neo4j's jars (make install)")
        self.conf.mkdir(parents=True, exist_ok=True)
        (self.conf / "neo4j.conf").touch()
        env = {**os.environ, "NEO4J_HOME": str(self.server.home), "NEO4J_CONF": str(self.conf)}
        # A short-lived tool: the quick compiler and a small heap start it fastest.
        flags = ["-Xmx1g", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"]
        command = [java, *flags, "-cp", f"{lib}/*", "org.neo4j.cli.AdminTool", *args]
        proc = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            tail = (proc.stdout + proc.stderr).strip().splitlines()[-5:]
            raise BackupError(f"neo4j-admin {' '.join(args[:2])} failed: " + " / ".join(tail))
        return proc.stdout + proc.stderr

    def last_tx_id(self, database: str) -> int | None:
        """The database's last committed transaction, or None when it does not exist."""
        if not (self.server.home / "data" / "databases" / database).is_dir():
            return None
        found = _LAST_TX.search(self.run("database", "info", database))
        return int(found.group(1)) if found else None


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _state_entries(data_dir: Path) -> list[Path]:
    if not data_dir.is_dir():
        return []
    return sorted(p for p in data_dir.iterdir() if not _NOT_STATE.match(p.name))


def _checksums(folder: Path) -> dict[str, dict[str, int | str]]:
    return {
        str(p.relative_to(folder)): {"sha256": _sha256(p), "bytes": p.stat().st_size}
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != MANIFEST
    }


class _Offline:
    """The server stopped for the block and started again after it if it was running."""

    def __init__(self, server: LocalNeo4j) -> None:
        self.server = server
        self.was_running = False
        self.seconds = 0.0

    def __enter__(self) -> _Offline:
        self.t0 = time.monotonic()
        self.was_running = self.server.stop()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.was_running:
            self.server.start()
        self.seconds = time.monotonic() - self.t0


def create_backup(settings: Settings, folder: Path) -> BackupReport:
    """Dump the graph and copy DATA_DIR's state into `folder` (which must not exist)."""
    folder = folder.resolve()
    if folder.exists():
        raise BackupError(f"{folder} exists; choose a new folder for the backup")
    partial = folder.with_name(folder.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    (partial / DUMP_DIR).mkdir(parents=True)
    server = LocalNeo4j(settings)
    admin = AdminTool(server)
    database = settings.neo4j_database
    with _Offline(server) as offline:
        last_tx = admin.last_tx_id(database)
        if last_tx is None:
            raise BackupError(f"the local server at {server.home} has no database {database!r}")
        admin.run("database", "dump", database, f"--to-path={partial / DUMP_DIR}")
    for entry in _state_entries(settings.data_dir):
        target = partial / STATE_DIR / entry.name
        target.parent.mkdir(parents=True, exist_ok=True)
        if entry.is_dir():
            shutil.copytree(entry, target)
        else:
            shutil.copy2(entry, target)
    files = _checksums(partial)
    manifest = {
        "format": FORMAT,
        "created_at": utc_stamp(),
        "database": database,
        "last_tx_id": last_tx,
        "files": files,
    }
    (partial / MANIFEST).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    partial.rename(folder)
    size = sum(int(f["bytes"]) for f in files.values())
    return BackupReport(folder, last_tx, len(files), size, round(offline.seconds, 1))


def read_manifest(folder: Path) -> Manifest:
    """The backup's manifest, after checking every file against it."""
    path = folder / MANIFEST
    if not path.is_file():
        raise BackupError(f"{folder} holds no {MANIFEST}: not a backup, or an incomplete one")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise BackupError(f"{path} is not a readable manifest") from exc
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{path} has format {manifest.get('format')!r}; expected {FORMAT}")
    found = _checksums(folder)
    expected = manifest.get("files", {})
    if set(found) != set(expected):
        missing = sorted(set(expected) - set(found))
        extra = sorted(set(found) - set(expected))
        raise BackupError(
            f"the backup's files differ from its manifest: missing {missing}, extra {extra}"
        )
    bad = sorted(name for name, f in found.items() if f["sha256"] != expected[name]["sha256"])
    if bad:
        raise BackupError(f"checksums do not match for {bad}: the backup is damaged")
    return Manifest(
        database=str(manifest["database"]),
        last_tx_id=int(manifest["last_tx_id"]),
        created_at=str(manifest.get("created_at", "")),
        files=expected,
    )


def restore_backup(settings: Settings, folder: Path, force: bool = False) -> BackupReport:
    """Replace the graph and DATA_DIR's state with the backup's.

    Raises:
        BackupError: The backup is incomplete or damaged (nothing was touched), or the graph
            has transactions the backup has not and `force` is not set.
    """
    folder = folder.resolve()
    manifest = read_manifest(folder)
    database = manifest.database
    backup_tx = manifest.last_tx_id
    server = LocalNeo4j(settings)
    admin = AdminTool(server)
    with _Offline(server) as offline:
        current_tx = admin.last_tx_id(database)
        if current_tx is not None and current_tx > backup_tx and not force:
            raise BackupError(
                f"the graph has committed transactions the backup has not (last transaction "
                f"{current_tx:,} > {backup_tx:,}): it is newer; use --force to replace it"
            )
        admin.run(
            "database",
            "load",
            database,
            f"--from-path={folder / DUMP_DIR}",
            "--overwrite-destination=true",
        )
        data_dir = settings.data_dir
        for entry in _state_entries(data_dir):
            if entry.is_dir():
                shutil.rmtree(entry)
            else:
                entry.unlink()
        saved = folder / STATE_DIR
        if saved.is_dir():
            data_dir.mkdir(parents=True, exist_ok=True)
            shutil.copytree(saved, data_dir, dirs_exist_ok=True)
    return BackupReport(
        folder, backup_tx, len(manifest.files), manifest.bytes, round(offline.seconds, 1)
    )
