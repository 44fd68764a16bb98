"""`cdp` run as a user runs it: the installed entry point's function, in a process of its own."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping

from core.settings import PROJECT_ROOT

_ENTRY = "import sys; from cli.main import main; sys.argv[0] = 'cdp'; main()"


def cdp(
    *args: str, env: Mapping[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """`cdp ARGS` from the project root, with this process's environment and `env` over it
    (80 columns, so that tables wrap the same everywhere)."""
    return subprocess.run(
        [sys.executable, "-c", _ENTRY, *args],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        env={**os.environ, **(env or {}), "COLUMNS": "80"},
        timeout=timeout,
    )
