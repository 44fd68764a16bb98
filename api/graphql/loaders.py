"""DataLoaders: each batches the loads of one request into one `graph/` call.

A resolver asks its loader for one key; the loader collects every key asked for in the same
tick of the event loop (all the profiles of a page, all the records of those profiles) and
runs one `UNWIND $keys` query. Loaders live on the request's context, so their cache never
outlives the request.
"""

from __future__ import annotations

from typing import Any

from strawberry.dataloader import DataLoader

from graph import ingest_repo, profile_repo
from graph.client import GraphClient
from graph.profile_repo import Page, PageKey
from ingest.mapping import builtin_key_identifier_types

Props = dict[str, Any]


class Loaders:
    """The DataLoaders of one request."""

    def __init__(self, graph: GraphClient) -> None:
        self.graph = graph
        self.profile: DataLoader[str, Props | None] = DataLoader(self._profiles)
        """pid -> the profile it resolves to (following MERGED_INTO), or None."""
        self.by_identifier: DataLoader[str, list[Props]] = DataLoader(self._by_identifier)
        """identifier key -> the profiles whose records carry it, most carriers first."""
        self.records: DataLoader[str, list[Props]] = DataLoader(self._records)
        self.record_identifiers: DataLoader[str, list[Props]] = DataLoader(self._record_identifiers)
        self.profile_identifiers: DataLoader[str, list[Props]] = DataLoader(
            self._profile_identifiers
        )
        self.orders: DataLoader[PageKey, Page] = DataLoader(self._orders)
        self.events: DataLoader[PageKey, Page] = DataLoader(self._events)
        self.history: DataLoader[str, list[Props]] = DataLoader(self._history)
        self.segments: DataLoader[str, list[Props]] = DataLoader(self._segments)
        self.source_key_types: DataLoader[str, list[str]] = DataLoader(self._source_key_types)
        """source -> the identifier types its record keys may be (masking reads it)."""

    async def _source_key_types(self, sources: list[str]) -> list[list[str]]:
        found = await ingest_repo.key_types_of_sources(self.graph, sources)
        builtin = builtin_key_identifier_types()
        return [sorted({*found.get(s, []), *builtin.get(s, [])}) for s in sources]

    async def _profiles(self, pids: list[str]) -> list[Props | None]:
        found = await profile_repo.profiles_by_pid(self.graph, pids)
        return [found.get(p) for p in pids]

    async def _by_identifier(self, keys: list[str]) -> list[list[Props]]:
        found = await profile_repo.profiles_by_identifier(self.graph, keys)
        return [found.get(k, []) for k in keys]

    async def _records(self, pids: list[str]) -> list[list[Props]]:
        found = await profile_repo.records_of(self.graph, pids)
        return [found.get(p, []) for p in pids]

    async def _record_identifiers(self, rids: list[str]) -> list[list[Props]]:
        found = await profile_repo.identifiers_of_records(self.graph, rids)
        return [found.get(r, []) for r in rids]

    async def _profile_identifiers(self, pids: list[str]) -> list[list[Props]]:
        found = await profile_repo.identifiers_of_profiles(self.graph, pids)
        return [found.get(p, []) for p in pids]

    async def _orders(self, keys: list[PageKey]) -> list[Page]:
        return await profile_repo.orders_pages(self.graph, keys)

    async def _events(self, keys: list[PageKey]) -> list[Page]:
        return await profile_repo.events_pages(self.graph, keys)

    async def _history(self, pids: list[str]) -> list[list[Props]]:
        found = await profile_repo.history_of(self.graph, pids)
        return [found.get(p, []) for p in pids]

    async def _segments(self, pids: list[str]) -> list[list[Props]]:
        found = await profile_repo.segments_of(self.graph, pids)
        return [found.get(p, []) for p in pids]
