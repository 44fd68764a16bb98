"""The GraphQL schema (Strawberry), composed in `api.graphql.schema`. Resolvers call
DataLoaders and `graph/` functions, never Cypher."""

from __future__ import annotations

from api.graphql.schema import build_schema

schema = build_schema()

__all__ = ["schema"]
