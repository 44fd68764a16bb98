"""The GraphQL schema (Strawberry). Resolvers call `graph/` functions, never Cypher."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from api.context import Context
from graph import health


@strawberry.type
class GraphStats:
    records: int
    identifiers: int
    profiles: int
    orders: int
    events: int


@strawberry.type
class Query:
    @strawberry.field(description="The service's version.")
    def version(self) -> str:
        from api import __version__

        return __version__

    @strawberry.field(description="Counts of the main nodes of the identity graph.")
    async def stats(self, info: Info[Context, None]) -> GraphStats:
        c = await health.counts(info.context.graph)
        return GraphStats(**c)


schema = strawberry.Schema(query=Query)
