"""The segment and activation API: segments (CRUD, preview, members), destinations, links,
sync runs, and triggering a sync.

`queries.SegmentQuery` and `mutations.SegmentMutation` are merged into the root types by
`api.graphql.schema`. Reading needs an analyst or admin key; writing and syncing an admin
key. Resolvers call `activate/`; its errors reach clients as `api.graphql.errors.api_error`
translates them.
"""
