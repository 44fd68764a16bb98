"""A small batch of rows sent by a client (the API's `ingestRecords`), ingested through a
built-in source's mapping as one batch."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from graph.client import GraphClient
from ingest.errors import InvalidRows, MappingError
from ingest.mapping import builtin_mapping
from ingest.pipeline import BatchReport, Ingestor

MAX_ROWS = 1_000


async def ingest_small_batch(
    graph: GraphClient, source: str, rows: Sequence[Any], file: str | None, label: str
) -> BatchReport:
    """Ingest `rows` (JSON objects) of built-in source `source` as one batch, as file `file`
    of its mapping (default: its customer file).

    Raises:
        InvalidRows: an unknown source or file, no rows or too many, or a row that is not
            an object.
    """
    try:
        mapping = builtin_mapping(source)
    except MappingError:
        raise InvalidRows(f"no built-in mapping for source {source!r}") from None
    files = mapping.files()
    name = file or (mapping.customers[0].file if mapping.customers else files[0])
    if name not in files:
        raise InvalidRows(f"source {source!r} has no file {name!r}; its files: {', '.join(files)}")
    if not rows:
        raise InvalidRows("rows is empty")
    if len(rows) > MAX_ROWS:
        raise InvalidRows(f"at most {MAX_ROWS} rows per call; send more calls")
    bad = [i for i, r in enumerate(rows) if not isinstance(r, dict)]
    if bad:
        raise InvalidRows(f"every row must be a JSON object; row {bad[0]} is not")
    return await Ingestor(graph, mapping).ingest_rows(name, [dict(r) for r in rows], label)
