"""A full disk while scoring is one error that says what to do, not Splink's SQL."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import duckdb
import pytest
from splink.internals.exceptions import SplinkException

from graph.client import GraphClient
from matching.errors import ScoringOutOfDisk
from matching.linking import ProbabilisticLinker

pytestmark = pytest.mark.unit


def _linker(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failing: Callable[..., Awaitable[int]]
) -> ProbabilisticLinker:
    """A linker with a current model whose scoring (full and incremental) runs `failing`."""
    linker = ProbabilisticLinker(cast(GraphClient, None), tmp_path / "models", scoring_memory="1GB")
    monkeypatch.setattr(linker, "current_model", lambda: SimpleNamespace(version="v1"))
    monkeypatch.setattr(linker, "_score_everything", failing)
    monkeypatch.setattr(linker, "_score_these", failing)
    return linker


async def _disk_full(*_: Any) -> int:
    # As Splink raises it: its own exception with the SQL it ran, DuckDB's error inside.
    try:
        raise duckdb.IOException(
            'IO Error: Could not write file "x/match-index.duckdb.tmp/duckdb_temp_0.tmp": '
            "No space left on device"
        )
    except duckdb.IOException as io:
        raise SplinkException("Error executing the following sql ... select ...") from io


async def _a_bug(*_: Any) -> int:
    raise ValueError("a bug")


async def test_a_full_disk_while_scoring_is_one_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    linker = _linker(tmp_path, monkeypatch, _disk_full)
    for rids in (None, ["pos:1"]):
        with pytest.raises(ScoringOutOfDisk) as raised:
            await linker.link(rids)
        message = str(raised.value)
        assert f"{linker.index_path}.tmp" in message and "MATCH_SCORING_MEMORY (1GB)" in message
        assert "select" not in message


async def test_other_scoring_errors_pass_through(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(ValueError, match="a bug"):
        await _linker(tmp_path, monkeypatch, _a_bug).link(None)
