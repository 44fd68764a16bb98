"""Reads and writes of probabilistic matching."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any

from graph.client import GraphClient
from graph.queries import safe_name

COLUMNS = (
    "rid",
    "source",
    "given_name",
    "family_name",
    "dob",
    "postcode",
    "address",
    "city",
    "email",
    "phone",
)


def checked_attributes(names: Sequence[str]) -> list[str]:
    """User-defined attribute names, each checked as a plain property key.

    They reach Cypher only as `r[name]` with the name a parameter, so they never enter
    query text; the check keeps anything but a mapping's attribute names out.

    Raises:
        InvalidName: A name is not a plain identifier.
    """
    return [safe_name("property key", name) for name in names]


async def matching_record_pages(
    graph: GraphClient, extra: Sequence[str] = (), personal: Sequence[str] = ()
) -> AsyncIterator[list[list[Any]]]:
    """Rows of every record to score (see `matching_records`), a page at a time."""
    params = _record_params(extra, personal)
    # A page per Bolt record: streaming one record per row cost 5x the time at 600k
    # records, nearly all of it the driver's per-record work in Python.
    async for rows in graph.pages("matching_all_records_page", params):
        yield [[*row[:-1], *row[-1]] for row in rows]


def _record_params(extra: Sequence[str], personal: Sequence[str]) -> dict[str, Any]:
    return {"extra": checked_attributes(extra), "personal": checked_attributes(personal)}


async def matching_records(
    graph: GraphClient,
    rids: Sequence[str] | None,
    extra: Sequence[str] = (),
    personal: Sequence[str] = (),
) -> list[list[Any]]:
    """Rows of the records to score, all of them or these: the values of `COLUMNS`, then
    of the `extra` (user-defined) attributes, in that order. A record is scored when it
    names someone, or carries a value of one of the `personal` attributes (a national id
    number: FEBRL has duplicates with both names missing)."""
    if rids is None:
        return [row async for rows in matching_record_pages(graph, extra, personal) for row in rows]
    params = _record_params(extra, personal)
    out: list[list[Any]] = []
    for i in range(0, len(rids), 10_000):
        part = list(rids[i : i + 10_000])
        rows = await graph.read("matching_records_of", {**params, "rids": part})
        out.extend([*(r[c] for c in COLUMNS), *r["extra"]] for r in rows)
    return out


async def compared_attributes(graph: GraphClient) -> list[dict[str, Any]]:
    """Every source's declared comparisons: source, name, kind, thresholds,
    term_frequency, blocking."""
    return await graph.read("matching_compared_attributes")


async def write_matches(
    graph: GraphClient, rows: Sequence[Mapping[str, Any]], version: str, now: str
) -> None:
    """Write accepted pairs (rows: a, b, weight, probability, evidence), new or changed."""
    for i in range(0, len(rows), 5_000):
        await graph.write(
            "matching_write_matches",
            {"rows": list(rows[i : i + 5_000]), "version": version, "now": now},
        )


async def existing_match_pages(
    graph: GraphClient, rids: Sequence[str] | None
) -> AsyncIterator[list[list[Any]]]:
    """Rows [a, b, rejected, weight, model version] of the MATCHES links touching these
    records (all links when None), a and b as stored, a page at a time."""
    if rids is None:
        async for rows in graph.pages("matching_existing_matches_page"):
            yield rows
        return
    for i in range(0, len(rids), 10_000):
        yield await graph.read_rows(
            "matching_existing_matches_of", {"rids": list(rids[i : i + 10_000])}
        )


async def delete_matches(graph: GraphClient, pairs: Sequence[tuple[str, str]]) -> None:
    """Remove these MATCHES links unless an operator rejected them, marking both records
    for resolution."""
    for i in range(0, len(pairs), 10_000):
        await graph.write(
            "matching_delete_matches", {"pairs": [list(p) for p in pairs[i : i + 10_000]]}
        )
