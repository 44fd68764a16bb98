"""Whether a full resolution can find anything to change: the fingerprint of what its result
depends on besides the graph.

A full resolution's result is a function of the graph's records, identifiers, matches and
overrides, of the rules (identity config, survivorship, household types), of the matching
model and threshold, and of the code that runs them. Every write to the first set marks the
records it touches dirty (ingest, orders and events, overrides, matching's links, erasure's
neighbours), and any resolution's write phase forgets the state a full run recorded. So when
the last full run recorded the same fingerprint as now and no record is dirty, a full run
would recompute what is stored: `Resolver.resolve(full=True)` says so and stops
(`recompute=True` runs it whatever the state).
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from importlib.abc import Traversable
from typing import Any

from core.hashing import content_hash

__all__ = ["code_hash", "fingerprint"]

_CODE_PACKAGES = ("core", "graph", "matching", "cypher")
"""The packages a resolution runs: their sources are part of the fingerprint."""
_SOURCE_SUFFIXES = (".py", ".cypher", ".yaml")


@cache
def code_hash() -> str:
    """A digest of the source files of the packages a resolution runs."""
    parts: list[Any] = []
    for package in _CODE_PACKAGES:
        for path, text in sorted(_sources(resources.files(package), package)):
            parts.append([path, content_hash(text)])
    return content_hash(parts)


def _sources(root: Traversable, prefix: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for child in root.iterdir():
        name = f"{prefix}/{child.name}"
        if child.is_dir():
            if child.name != "__pycache__":
                out.extend(_sources(child, name))
        elif child.name.endswith(_SOURCE_SUFFIXES):
            out.append((name, child.read_text(encoding="utf-8")))
    return out


def fingerprint(**inputs: Any) -> str:
    """The fingerprint of a full resolution's `inputs` other than the graph (JSON-like
    values: the rules, the model version...), with the code's."""
    return content_hash({"code": code_hash(), **inputs})
