"""Destinations, links of segments to them (with schedules), and sync history."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from activate.errors import (
    ActivationError,
    DestinationNotFound,
    InvalidDestinationConfig,
    SegmentNotFound,
)
from activate.segments.service import Segment, get_segment
from activate.sync.registry import DestinationSpec, parse_spec, spec_from_row
from core.clock import utc_stamp
from graph import sync_repo
from graph.client import GraphClient

DESTINATION_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
MIN_INTERVAL_S = 60


@dataclass(frozen=True)
class DestinationInfo:
    id: str
    kind: str
    name: str
    config: dict[str, Any]
    """Without secrets: `secret_ref` names the one it needs."""
    created_at: str | None
    updated_at: str | None

    @classmethod
    def from_spec(cls, spec: DestinationSpec, row: Mapping[str, Any]) -> DestinationInfo:
        return cls(
            spec.id,
            spec.kind,
            spec.name,
            spec.public_config(),
            row.get("created_at"),
            row.get("updated_at"),
        )


@dataclass(frozen=True)
class Link:
    """A segment synced to a destination: where, how often, what it last received."""

    id: str
    segment: str
    destination: str
    external_id: str | None
    interval_seconds: int | None
    enabled: bool
    members: int
    """Members the destination holds, as far as the engine knows."""
    last_run_id: str | None
    last_started_at: str | None
    last_finished_at: str | None
    last_status: str | None
    running_run: str | None

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Link:
        return cls(
            id=row["id"],
            segment=row["segment"],
            destination=row["destination"],
            external_id=row.get("external_id"),
            interval_seconds=row.get("interval_seconds"),
            enabled=bool(row.get("enabled", True)),
            members=int(row.get("members") or 0),
            last_run_id=row.get("last_run_id"),
            last_started_at=row.get("last_started_at"),
            last_finished_at=row.get("last_finished_at"),
            last_status=row.get("last_status"),
            running_run=row.get("running_run"),
        )


def link_id(segment_id: str, destination_id: str) -> str:
    return f"{segment_id}|{destination_id}"


def _config_json(spec: DestinationSpec) -> str:
    return json.dumps(spec.public_config(), sort_keys=True, separators=(",", ":"))


async def create_destination(
    graph: GraphClient,
    destination_id: str,
    kind: str,
    config: Mapping[str, Any] | str,
    *,
    name: str | None = None,
) -> DestinationInfo:
    """Save a destination. Its secret is named (`secret_ref`), never stored.

    Raises:
        InvalidDestinationConfig: Bad id, kind or configuration, or the id is taken.
    """
    if not DESTINATION_ID.match(destination_id):
        raise InvalidDestinationConfig(
            destination_id, "an id is 1-63 lower-case letters, digits, '_' and '-'"
        )
    spec = parse_spec(destination_id, kind, config, (name or destination_id).strip()[:200])
    row = await sync_repo.create_destination(
        graph,
        {"id": spec.id, "kind": spec.kind, "name": spec.name, "config_json": _config_json(spec)},
        utc_stamp(),
    )
    if row is None:
        raise InvalidDestinationConfig(destination_id, "the id is taken")
    return DestinationInfo.from_spec(spec, row)


async def update_destination(
    graph: GraphClient,
    destination_id: str,
    *,
    config: Mapping[str, Any] | str | None = None,
    name: str | None = None,
) -> DestinationInfo:
    stored = await sync_repo.get_destination(graph, destination_id)
    if stored is None:
        raise DestinationNotFound(destination_id)
    # A new configuration replaces the stored one without reading it: one that a newer
    # release refuses (a plain-http webhook) can still be corrected.
    spec = (
        parse_spec(destination_id, stored["kind"], config, stored.get("name"))
        if config is not None
        else spec_from_row(stored)
    )
    row = await sync_repo.update_destination(
        graph,
        {
            "id": destination_id,
            "name": name.strip()[:200] if name else None,
            "config_json": _config_json(spec) if config is not None else None,
        },
        utc_stamp(),
    )
    if row is None:
        raise DestinationNotFound(destination_id)
    return DestinationInfo.from_spec(spec_from_row(row), row)


async def get_spec(graph: GraphClient, destination_id: str) -> DestinationSpec:
    row = await sync_repo.get_destination(graph, destination_id)
    if row is None:
        raise DestinationNotFound(destination_id)
    return spec_from_row(row)


async def get_destination(graph: GraphClient, destination_id: str) -> DestinationInfo:
    row = await sync_repo.get_destination(graph, destination_id)
    if row is None:
        raise DestinationNotFound(destination_id)
    return DestinationInfo.from_spec(spec_from_row(row), row)


async def list_destinations(graph: GraphClient) -> list[DestinationInfo]:
    return [
        DestinationInfo.from_spec(spec_from_row(r), r)
        for r in await sync_repo.list_destinations(graph)
    ]


async def delete_destination(
    graph: GraphClient, destination_id: str, *, force: bool = False
) -> None:
    """Delete a destination and its links.

    Raises:
        ActivationError: It holds members sent by the engine and `force` is false.
    """
    states = await sync_repo.list_states(graph, destination=destination_id)
    holding = [s["segment"] for s in states if s.get("members")]
    if holding and not force:
        raise ActivationError(
            f"destination {destination_id!r} holds members of {', '.join(holding)}; "
            "delete with force to forget what it was sent"
        )
    if states:
        await sync_repo.delete_states(graph, destination=destination_id)
    if not await sync_repo.delete_destination(graph, destination_id):
        raise DestinationNotFound(destination_id)


async def forget_sent(graph: GraphClient, destination_id: str) -> int:
    """Forget what a destination was sent (its links go too; a sync makes them again).
    For a destination whose copy is gone, such as a demo's throwaway receiver."""
    return await sync_repo.delete_states(graph, destination=destination_id)


_UNSET: Any = object()


async def link(
    graph: GraphClient,
    segment: str | Segment,
    destination: str | DestinationSpec,
    *,
    external_id: str | None = _UNSET,
    interval_seconds: int | None = _UNSET,
    enabled: bool | None = None,
) -> Link:
    """Create or change the link of a segment to a destination.

    Args:
        graph: The graph client.
        segment: The segment as its caller just read it, or its id (then read here, to
            check it exists).
        destination: The destination likewise, or its id.
        external_id: The list or audience id inside the destination (Klaviyo list, Meta
            custom audience, Google product destination id); unchanged when not given.
        interval_seconds: Run every this many seconds (`cdp sync --due`); None: no
            schedule; unchanged when not given.
        enabled: Pause or resume the schedule.
    """
    if not isinstance(segment, Segment):
        segment = await get_segment(graph, segment)
    if not isinstance(destination, DestinationSpec):
        destination = await get_spec(graph, destination)
    segment_id, destination_id = segment.id, destination.id
    if interval_seconds not in (_UNSET, None) and interval_seconds < MIN_INTERVAL_S:
        raise ActivationError(f"an interval is at least {MIN_INTERVAL_S} seconds")
    row = await sync_repo.upsert_state(
        graph,
        {
            "id": link_id(segment_id, destination_id),
            "segment": segment_id,
            "destination": destination_id,
            "set_external_id": external_id is not _UNSET,
            "external_id": None if external_id is _UNSET else external_id,
            "set_interval": interval_seconds is not _UNSET,
            "interval_seconds": None if interval_seconds is _UNSET else interval_seconds,
            "enabled": enabled,
            "now": utc_stamp(),
        },
    )
    if row is None:  # pragma: no cover - both were just read
        raise SegmentNotFound(segment_id)
    return await get_link(graph, segment_id, destination_id)


async def get_link(graph: GraphClient, segment_id: str, destination_id: str) -> Link:
    row = await sync_repo.get_state(graph, link_id(segment_id, destination_id))
    if row is None:
        raise ActivationError(f"segment {segment_id!r} is not linked to {destination_id!r}")
    return Link.from_row(row)


async def list_links(
    graph: GraphClient, *, segment: str | None = None, destination: str | None = None
) -> list[Link]:
    rows = await sync_repo.list_states(graph, segment=segment, destination=destination)
    return [Link.from_row(r) for r in rows]


async def list_runs(
    graph: GraphClient,
    *,
    segment: str | None = None,
    destination: str | None = None,
    limit: int = 50,
) -> list[dict[str, Any]]:
    return await sync_repo.list_runs(
        graph, segment=segment, destination=destination, limit=max(1, min(limit, 500))
    )


async def get_run(graph: GraphClient, run_id: str) -> dict[str, Any] | None:
    return await sync_repo.get_run(graph, run_id)


async def run_errors(graph: GraphClient, run_id: str, limit: int = 100) -> list[dict[str, Any]]:
    return await sync_repo.run_errors(graph, run_id, max(1, min(limit, 10_000)))
