"""Posting GraphQL to the real app through httpx, with an API key of a role."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx


@dataclass
class GraphQLClient:
    client: httpx.AsyncClient
    keys: dict[str, str]
    """API keys by role."""

    async def gql(
        self, query: str, variables: dict[str, Any] | None = None, role: str = "admin"
    ) -> dict[str, Any]:
        """The response body (HTTP 200 asserted), errors included."""
        r = await self.client.post(
            "/graphql",
            json={"query": query, "variables": variables or {}},
            headers={"Authorization": f"Bearer {self.keys[role]}"},
        )
        assert r.status_code == 200, r.text
        body: dict[str, Any] = r.json()
        return body

    async def data(
        self, query: str, variables: dict[str, Any] | None = None, role: str = "admin"
    ) -> Any:
        """The `data` of a response without errors."""
        body = await self.gql(query, variables, role)
        assert "errors" not in body, body["errors"]
        return body["data"]
