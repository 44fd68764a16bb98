"""The command line loads only what a command uses: `cdp --help` and each command's help
import none of the heavy libraries (the driver, Splink, DuckDB, pandas, pymc, the web stack),
which the commands that need them import in their bodies. Checked on what a fresh process
holds in `sys.modules`, never on a time."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from core.paths import PROJECT_ROOT

HEAVY = (
    "neo4j",
    "splink",
    "duckdb",
    "pandas",
    "numpy",
    "pyarrow",
    "scipy",
    "pymc",
    "pymc_marketing",
    "networkx",
    "strawberry",
    "fastapi",
    "uvicorn",
    "httpx",
    "pydantic_settings",
    "phonenumbers",
    "pycountry",
    "pyspark",
    "py4j",
)
"""Top-level packages no help text needs."""

# Runs the installed entry point's function as `cdp` does, then prints the top-level
# packages the process loaded, on the last line of stderr.
_PROBE = """
import json, sys
from cli.main import main
sys.argv[0] = "cdp"
try:
    main()
except SystemExit:
    pass
print(json.dumps(sorted(sys.modules)), file=sys.stderr)
"""


def _loaded(*args: str) -> tuple[str, set[str]]:
    """What the command printed, and the top-level packages it loaded."""
    out, modules = _modules(*args)
    return out, {m.split(".")[0] for m in modules}


def _modules(*args: str) -> tuple[str, set[str]]:
    result = subprocess.run(
        [sys.executable, "-c", _PROBE, *args],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        env={**os.environ, "COLUMNS": "100"},
        timeout=120,
    )
    assert "Traceback" not in result.stderr, result.stderr
    return result.stdout, set(json.loads(result.stderr.strip().splitlines()[-1]))


@pytest.mark.parametrize(
    "args",
    [
        ("--help",),
        ("ingest", "--help"),
        ("resolve", "--help"),
        ("enrich", "--help"),
        ("sync", "--help"),
        ("neo4j", "--help"),
        ("apikey", "create", "--help"),
        ("destination", "check", "--help"),
    ],
    ids=lambda a: " ".join(a),
)
def test_help_loads_no_heavy_library(args: tuple[str, ...]) -> None:
    out, loaded = _loaded(*args)
    assert "Usage" in out
    assert sorted(loaded & set(HEAVY)) == []


def test_the_help_lists_every_command() -> None:
    out, _ = _loaded("--help")
    for command in ("ingest", "resolve", "train", "enrich", "sync", "segment", "neo4j", "serve"):
        assert command in out


def test_the_ingest_help_names_the_builtin_sources() -> None:
    out, _ = _loaded("ingest", "--help")
    for source in ("ecommerce", "pos", "esp", "loyalty", "service", "web"):
        assert source in out


def test_the_main_help_loads_no_rendering_it_does_not_print() -> None:
    """Help is click's plain text: rich's help formatter imports a Markdown parser, and
    tables, progress bars and the destinations' vendor code belong to the commands that
    print or use them. Together they were a third of `cdp --help`'s start-up."""
    out, modules = _modules("--help")
    assert "Commands" in out
    unused = {"markdown_it", "typer.rich_utils", "rich.markdown", "rich.table", "rich.progress"}
    assert sorted(modules & unused) == []
    assert sorted(m for m in modules if m.startswith("activate")) == []


def test_the_version_check_help_names_its_default_window() -> None:
    from activate.destinations.versions import WARN_DAYS

    out, _ = _loaded("destination", "check", "--help")
    assert f"default: {WARN_DAYS}" in out
