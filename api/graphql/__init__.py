"""The GraphQL API: types, DataLoaders, queries, mutations, permissions and limits.

Resolvers call DataLoaders (`loaders.py`), which call `graph/` repository functions, so a
nested request costs one query per kind of thing rather than one per profile; no Cypher
lives here. `schema.py` composes the root types into the schema that `api.schema` exports.
"""
