"""The root query fields: look-ups (clienteling and up), search, explanations, the graph
view and operations (analyst and up)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, TypeVar

import strawberry
from strawberry.types import Info

from api import __version__
from api.context import Context
from api.graphql import audit as audit_view
from api.graphql import explain as explain_view
from api.graphql import graph_view, inputs
from api.graphql.errors import bad_input, not_found
from api.graphql.pagination import Connection, connection, decode_cursor, encode_cursor, page_size
from api.graphql.permissions import CanLookUp, CanRead, CanSearch
from api.graphql.segment_fields import SegmentField, segment_fields
from api.graphql.types import IngestBatch, Profile, QuarantinedRow
from core.normalise import normalise_name, normalise_postcode
from graph import ingest_repo, profile_repo
from graph.profile_repo import SearchFilter
from matching.explain import RecordNotFound, explain_pair
from matching.thresholds import DEFAULT_THRESHOLD

Ctx = Info[Context, None]
T = TypeVar("T")


@strawberry.input(description="Filters of a profile search; every one given must hold.")
class ProfileFilter:
    name: str | None = strawberry.field(
        default=None,
        description="One name (given or family), or a given name then a family name.",
    )
    postcode: str | None = None
    source: str | None = strawberry.field(
        default=None, description="A source system the profile has records from."
    )
    identifier_type: str | None = strawberry.field(
        default=None, description="An identifier type the profile carries (email, phone, ...)."
    )


def _search_filter(f: ProfileFilter | None) -> SearchFilter:
    if f is None:
        return SearchFilter()
    given = family = single = None
    if f.name is not None and f.name.strip():
        n = normalise_name(f.name)
        if n.value is None:
            raise bad_input("name is not a valid name")
        tokens = n.value.split(" ")
        if len(tokens) == 1:
            single = tokens[0]
        else:
            given, family = tokens[0], " ".join(tokens[1:])
    postcode = None
    if f.postcode is not None and f.postcode.strip():
        p = normalise_postcode(f.postcode)
        postcode = p.value or f.postcode.strip().upper()
    id_type = f.identifier_type
    if id_type is not None:
        inputs.identifier_type(id_type, "identifierType")
    return SearchFilter(
        given=given,
        family=family,
        name=single,
        postcode=postcode,
        source=f.source,
        identifier_type=id_type,
    )


@strawberry.type
class Query:
    @strawberry.field(description="The service's version (needs no key).")
    def version(self) -> str:
        return __version__

    @strawberry.field(
        description="Node counts of the identity graph. Keys: analyst, admin.",
        permission_classes=[CanRead],
    )
    async def stats(self, info: Ctx) -> audit_view.GraphStats:
        return await audit_view.stats(info.context.graph)

    @strawberry.field(
        description="The attributes a segment condition may name, with their operators."
        " Keys: analyst, admin.",
        permission_classes=[CanRead],
    )
    def segment_fields(self) -> list[SegmentField]:
        return segment_fields()

    @strawberry.field(
        description="A profile by id. A retired id (merged into another) finds the profile it "
        "was merged into; null when no profile has this id."
        " Keys: clienteling (personal data masked), analyst, admin.",
        permission_classes=[CanLookUp],
    )
    async def profile(self, info: Ctx, pid: strawberry.ID) -> Profile | None:
        asked = inputs.graph_id("pid", str(pid))
        props = await info.context.loaders.profile.load(asked)
        return None if props is None else Profile(_p=props, _asked=asked)

    @strawberry.field(
        description="The clienteling look-up: the customer carrying an identifier, typed as "
        "anyone would (`(0412) 345 678`, `+61 412 345 678` and `0412345678` are one phone; an "
        "email in any case). When several profiles carry it (a shared household phone), the one "
        "with most records carrying it; null when nobody does."
        " Keys: clienteling (personal data masked), analyst, admin.",
        permission_classes=[CanLookUp],
    )
    async def profile_by_identifier(
        self, info: Ctx, type: str, value: str, region: str = "AU"
    ) -> Profile | None:
        key = inputs.identifier(type, value, region)
        found = await info.context.loaders.by_identifier.load(key)
        return Profile(_p=found[0]) if found else None

    @strawberry.field(
        description="Every profile carrying an identifier (normalised as in profileByIdentifier)."
        " Keys: clienteling (personal data masked), analyst, admin.",
        permission_classes=[CanLookUp],
    )
    async def profiles_by_identifier(
        self, info: Ctx, type: str, value: str, region: str = "AU"
    ) -> list[Profile]:
        key = inputs.identifier(type, value, region)
        return [Profile(_p=p) for p in await info.context.loaders.by_identifier.load(key)]

    @strawberry.field(
        description="Current profiles matching the filter, in pid order. Keys: analyst, admin;"
        " clienteling with both a name and a postcode (personal data masked).",
        permission_classes=[CanSearch],
    )
    async def search_profiles(
        self,
        info: Ctx,
        filter: ProfileFilter | None = None,
        first: int | None = 20,
        after: str | None = None,
    ) -> Connection[Profile]:
        n = page_size(first)
        after_pid = decode_cursor("profile", after)
        if after_pid is not None and not isinstance(after_pid, str):
            raise bad_input("the cursor `after` is malformed")
        rows = await profile_repo.search(
            info.context.graph, _search_filter(filter), after_pid, n + 1
        )
        return connection(
            rows[:n],
            len(rows) > n,
            lambda p: encode_cursor("profile", str(p["pid"])),
            lambda p: Profile(_p=p),
            has_previous=after_pid is not None,
        )

    @strawberry.field(
        description="Why two records are (or are not) one customer: the path that joins them "
        "with the evidence of each hop, or what kept them apart."
        " Keys: analyst, admin.",
        permission_classes=[CanRead],
    )
    async def explain(
        self, info: Ctx, record_a: strawberry.ID, record_b: strawberry.ID
    ) -> explain_view.Explanation:
        a = inputs.graph_id("recordA", str(record_a))
        b = inputs.graph_id("recordB", str(record_b))
        try:
            e = await explain_pair(info.context.graph, a, b, threshold=DEFAULT_THRESHOLD)
        except RecordNotFound as exc:
            which = "recordA" if exc.rid == a else "recordB"
            raise not_found(f"no record with the id given as {which}") from None
        return explain_view.explanation(e)

    @strawberry.field(
        description="A profile's neighbourhood as nodes and edges with evidence (depth 1-3); "
        "null when no profile has this id."
        " Keys: analyst, admin.",
        permission_classes=[CanRead],
    )
    async def profile_graph(
        self, info: Ctx, pid: strawberry.ID, depth: int = 2
    ) -> graph_view.ProfileGraph | None:
        asked = inputs.graph_id("pid", str(pid))
        return await graph_view.profile_graph(
            info.context.graph, info.context.loaders, asked, depth
        )

    @strawberry.field(
        description="What the graph holds and the data audit of the sources. Keys: analyst, admin.",
        permission_classes=[CanRead],
    )
    async def audit(self, info: Ctx) -> audit_view.Audit:
        return await audit_view.audit(info.context.graph)

    @strawberry.field(
        description="Ingestion batches, latest first. Keys: analyst, admin.",
        permission_classes=[CanRead],
    )
    async def ingest_batches(
        self,
        info: Ctx,
        source_name: Annotated[
            str | None, strawberry.argument(name="source", description="Only this source.")
        ] = None,
        first: int | None = 20,
        after: str | None = None,
    ) -> Connection[IngestBatch]:
        n = page_size(first)
        skip = _offset(after, "batch")
        rows = await profile_repo.ingest_batches(info.context.graph, source_name, skip, n + 1)
        return _offset_connection(rows, n, skip, "batch", lambda r: IngestBatch(_p=r))

    @strawberry.field(
        description="Rows that could not be records, with their reason. Keys: analyst, admin.",
        permission_classes=[CanRead],
    )
    async def quarantine(
        self,
        info: Ctx,
        source_name: Annotated[
            str | None, strawberry.argument(name="source", description="Only this source.")
        ] = None,
        first: int | None = 20,
        after: str | None = None,
    ) -> Connection[QuarantinedRow]:
        n = page_size(first)
        skip = _offset(after, "quarantine")
        rows = await ingest_repo.quarantined(info.context.graph, source_name, n + 1, skip)
        return _offset_connection(rows, n, skip, "quarantine", lambda r: QuarantinedRow(_p=r))


def _offset(after: str | None, kind: str) -> int:
    value = decode_cursor(kind, after)
    if value is None:
        return 0
    if not isinstance(value, int) or value < 0:
        raise bad_input("the cursor `after` is malformed")
    return value + 1


def _offset_connection(
    rows: list[dict[str, Any]], n: int, skip: int, kind: str, node: Callable[[dict[str, Any]], T]
) -> Connection[T]:
    numbered = list(enumerate(rows[:n], start=skip))
    return connection(
        numbered,
        len(rows) > n,
        lambda item: encode_cursor(kind, item[0]),
        lambda item: node(item[1]),
        has_previous=skip > 0,
    )
