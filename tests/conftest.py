"""Shared fixtures. Integration tests run against the real Neo4j named by the settings
(`NEO4J_URI`, ...); `make test` and `.ci/run` start the local one first."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from core.settings import Settings
from graph.client import GraphClient
from graph.schema import migrate
from tests import cypher as test_cypher


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # The folder decides the marker, so `-m unit` / `-m integration` select reliably.
    for item in items:
        path = str(item.path)
        if any(f"/tests/{d}/" in path for d in ("integration", "security", "faults")):
            item.add_marker(pytest.mark.integration)
        elif "/tests/unit/" in path:
            item.add_marker(pytest.mark.unit)


@pytest.fixture(scope="session")
def settings() -> Settings:
    return Settings()


@pytest.fixture(scope="session")
async def graph_client(settings: Settings) -> AsyncIterator[GraphClient]:
    client = GraphClient.from_settings(settings)
    await client.verify()
    await migrate(client)
    yield client
    await client.close()


@pytest.fixture
async def graph(graph_client: GraphClient) -> AsyncIterator[GraphClient]:
    """The real graph, emptied before the test so each test starts from its own data."""
    await test_cypher.wipe(graph_client)
    graph_client.query_count = 0
    yield graph_client
