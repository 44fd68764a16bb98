"""The audit's queries: each loads, and its repository function passes exactly the
parameters the query uses (values are parameters, never query text)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from graph import audit_repo
from graph.client import GraphClient
from graph.queries import cypher, query_names

_PARAM = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")


class _Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []

    async def read(self, name: str, params: Mapping[str, Any] | None = None) -> list[Any]:
        self.calls.append((name, dict(params or {})))
        return []


async def test_repository_passes_exactly_the_query_parameters() -> None:
    rec = _Recorder()
    g: GraphClient = rec  # type: ignore[assignment]
    await audit_repo.source_counts(g)
    await audit_repo.fill_counts(g, {"rid", "raw"})
    await audit_repo.issue_counts(g)
    await audit_repo.overlap_counts(g)
    await audit_repo.identifier_source_sets(g)
    await audit_repo.top_identifiers(g, 20)
    await audit_repo.quarantine_counts(g)
    await audit_repo.recent_batches(g, 20)
    await audit_repo.custom_mapping_sources(g)
    names = {n for n, _ in rec.calls}
    assert names == {n for n in query_names() if n.startswith("audit_")}
    for name, params in rec.calls:
        assert set(_PARAM.findall(cypher(name))) == set(params), name
    assert dict(rec.calls)["audit_fill"] == {"bookkeeping": ["raw", "rid"]}


def test_audit_queries_only_read() -> None:
    for name in (n for n in query_names() if n.startswith("audit_")):
        text = cypher(name).upper()
        for verb in ("CREATE", "MERGE", "SET ", "DELETE", "REMOVE"):
            assert verb not in re.sub(r"//.*", "", text), (name, verb)
