"""Overrides: an operator splits (marks an identifier shared, rejects a match) or joins
(forces a link between two records). They are stored in the graph, so `resolve --full`
keeps them; the records touched are marked dirty and re-resolved on the next run."""

from __future__ import annotations

from core.clock import utc_stamp
from graph import overrides_repo
from graph.client import GraphClient
from matching.errors import MatchingError


class OverrideTargetNotFound(MatchingError):
    """The record or identifier an override names does not exist."""

    def __init__(self, what: str) -> None:
        super().__init__(f"not found: {what}")
        self.what = what


async def mark_identifier_shared(
    graph: GraphClient, key: str, *, by: str, shared: bool = True
) -> int:
    n = await overrides_repo.mark_shared(graph, key, shared, by, utc_stamp())
    if n == 0:
        raise OverrideTargetNotFound(f"identifier {key.split(':', 1)[0]}")
    return n


async def reject_match(graph: GraphClient, a: str, b: str, *, by: str) -> None:
    if not await overrides_repo.reject_match(graph, a, b, by, utc_stamp()):
        raise OverrideTargetNotFound("record")


async def force_link(graph: GraphClient, a: str, b: str, *, by: str) -> None:
    if a == b:
        raise MatchingError("a record cannot be linked to itself")
    if not await overrides_repo.force_link(graph, a, b, by, utc_stamp()):
        raise OverrideTargetNotFound("record")


async def remove_forced_link(graph: GraphClient, a: str, b: str) -> int:
    return await overrides_repo.unlink_forced(graph, a, b)
