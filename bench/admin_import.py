"""Offline import of benchmark graphs with neo4j-admin (the local Neo4j's own jars).

Building a million-customer graph through the pipeline takes hours here; the benchmarks of
enrichment and resolution write import CSVs instead and load them into a stopped
LocalNeo4j home in minutes.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from core.settings import Settings
from graph.localserver import LocalNeo4j


def admin_import(
    folder: Path,
    home: Path,
    nodes: list[str],
    relationships: list[str],
    extra: tuple[str, ...] = (),
) -> None:
    """Import `folder`/NAME.csv for every name of `nodes` and `relationships` into the
    `neo4j` database of the LocalNeo4j `home` (overwritten; the server must be stopped)."""
    settings = Settings(neo4j_local_home=home)
    lib = LocalNeo4j(settings).project / "target" / "lib"
    java = shutil.which("java")
    if java is None or not lib.is_dir():
        sys.exit("needs java and the local Neo4j's jars (make install)")
    conf = home / "conf-import"
    conf.mkdir(parents=True, exist_ok=True)
    (conf / "neo4j.conf").touch()
    args = [f"--nodes={folder / name}.csv" for name in nodes] + [
        f"--relationships={folder / name}.csv" for name in relationships
    ]
    command = [
        java,
        "-Xmx3g",
        "-cp",
        f"{lib}/*",
        "org.neo4j.cli.AdminTool",
        "database",
        "import",
        "full",
        "neo4j",
        "--overwrite-destination=true",
        "--high-parallel-io=on",
        f"--report-file={home / 'import.report'}",
        *extra,
        *args,
    ]
    env = {**os.environ, "NEO4J_HOME": str(home), "NEO4J_CONF": str(conf)}
    subprocess.run(command, env=env, check=True)
