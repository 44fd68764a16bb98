"""Fault injection for the crash tests: the process dies at a named point of a write path.

`CDP_FAULT_AT=resolve.write.membership:2` makes the second pass through the point
`resolve.write.membership` end the process at once (`os._exit`, like `kill -9`: no
`finally`, no clean-up, no flushed transaction). Several points may be given, separated by
commas. `CDP_FAULT_CHUNK=N` makes the write paths that batch their rows use batches of N,
so a small test data set still has several batches to die between.

Unset (always, outside the fault suite) both are no-ops. They are read from the
environment on first use, not through `Settings`: they are a test harness's switch, not
configuration, and they must work in any subprocess the test starts.
"""

from __future__ import annotations

import os
import sys
from collections import Counter
from functools import cache

__all__ = ["EXIT_CODE", "chunk_size", "fault_point"]

EXIT_CODE = 137
"""The exit status of a process killed at a fault point (that of `kill -9`)."""

_passes: Counter[str] = Counter()


@cache
def _targets() -> dict[str, int]:
    spec = os.environ.get("CDP_FAULT_AT", "").strip()
    out: dict[str, int] = {}
    for part in filter(None, (p.strip() for p in spec.split(","))):
        name, _, nth = part.partition(":")
        out[name] = int(nth or "1")
    return out


def fault_point(name: str) -> None:
    """Die here when `CDP_FAULT_AT` names this point and this is the pass it names."""
    targets = _targets()
    if not targets or name not in targets:
        return
    _passes[name] += 1
    if _passes[name] == targets[name]:
        sys.stderr.write(f"fault injected at {name}:{_passes[name]}\n")
        sys.stderr.flush()
        os._exit(EXIT_CODE)


@cache
def chunk_size(default: int) -> int:
    """`default`, or the batch size `CDP_FAULT_CHUNK` asks for."""
    value = os.environ.get("CDP_FAULT_CHUNK", "").strip()
    return int(value) if value else default
