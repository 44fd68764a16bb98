"""`cdp audit`: what the sources hold before resolution, on the console and as an HTML file."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from cli.runtime import console, new_table, with_graph

if TYPE_CHECKING:
    from graph.client import GraphClient
    from ingest.audit import Audit, SourceAudit
    from ingest.mapping import SourceMapping


def _n(value: int) -> str:
    return f"{value:,}"


def _share(part: int, whole: int) -> str:
    from ingest.audit.svg import pct

    return pct(part / whole if whole else None)


def print_sources(audit: Audit) -> None:
    from ingest.audit.svg import pct

    table = new_table(
        "source",
        "records",
        "stubs",
        "orders",
        "events",
        "no identifier",
        "no e-mail",
        "shared with other sources",
        title="Sources",
    )
    for s in audit.sources:
        table.add_row(
            s.source,
            _n(s.records),
            _n(s.stubs),
            _n(s.orders),
            _n(s.events),
            _n(s.no_identifier),
            f"{_n(s.no_email)} ({_share(s.no_email, s.records)})",
            f"{_n(s.shared_with_others)} ({_share(s.shared_with_others, s.records)})",
        )
    console.print(table)
    so = audit.store_online
    if so is not None:
        console.print(
            f"{so.source} buyers also seen in {so.other}: {_n(so.shared)} of {_n(so.records)} "
            f"({pct(so.rate)})"
        )


def print_fill(source: SourceAudit) -> None:
    from ingest.audit.svg import KIND_TAG, pct

    table = new_table(
        "field",
        "kind",
        "valid",
        "invalid",
        "fill",
        "validity",
        "top reason",
        title=f"Fill and validity: {source.source} ({_n(source.records)} records)",
    )
    for f in source.fields:
        reason = next(iter(f.reasons), "")
        table.add_row(
            f.name,
            KIND_TAG[f.kind],
            "–" if f.valid is None else _n(f.valid),
            _n(f.invalid),
            pct(f.fill_rate),
            pct(f.validity_rate),
            reason,
        )
    console.print(table)


def print_overlap(audit: Audit) -> None:
    names = audit.source_names()
    table = new_table("records of ↓ sharing with →", *names, "any other", title="Overlap")
    for s in audit.sources:
        cells = [
            f"{_n(n)} ({_share(n, s.records)})"
            for n in [audit.overlap.get((s.source, o), 0) for o in names]
        ]
        table.add_row(
            s.source,
            *cells,
            f"{_n(s.shared_with_others)} ({_share(s.shared_with_others, s.records)})",
        )
    console.print(table)


def print_combinations(audit: Audit, limit: int = 15) -> None:
    table = new_table(
        "sources", "identifiers", "by type", title="Identifiers per source combination"
    )
    for c in audit.combinations[:limit]:
        by_type = ", ".join(f"{t} {_n(n)}" for t, n in c.by_type.items())
        table.add_row(" & ".join(c.sources), _n(c.identifiers), by_type)
    console.print(table)
    if len(audit.combinations) > limit:
        console.print(f"... and {len(audit.combinations) - limit} more combinations in the HTML")


def print_top_identifiers(audit: Audit) -> None:
    table = new_table(
        "type",
        "value (masked)",
        "records",
        "given names",
        "family names",
        "sources",
        "flags",
        title="Identifiers carried by the most records",
    )
    for t in audit.top_identifiers:
        flags = " ".join(
            f"{k}: {v}" for k, v in (("blocked", t.blocked), ("generic", t.generic)) if v
        )
        table.add_row(
            t.type,
            t.masked_value,
            _n(t.records),
            _n(t.given_names),
            _n(t.family_names),
            ", ".join(t.sources),
            flags,
        )
    console.print(table)


def print_quarantine(audit: Audit) -> None:
    table = new_table("source", "kind", "reason", "field", "rows", title="Quarantine")
    for q in audit.quarantine:
        table.add_row(q.source, q.kind, q.reason, q.field or "", _n(q.rows))
    console.print(table)


def print_batches(audit: Audit) -> None:
    table = new_table(
        "started",
        "source",
        "status",
        "read",
        "accepted",
        "quarantined",
        "changed",
        "invalid values",
        title=f"Last {len(audit.batches)} batches",
    )
    for b in audit.batches:
        table.add_row(
            b.started_at or "",
            b.source,
            b.status,
            _n(b.rows_read),
            _n(b.rows_accepted),
            _n(b.rows_quarantined),
            _n(b.records_changed),
            _n(b.value_issues),
        )
    console.print(table)


def print_audit(audit: Audit) -> None:
    """Every section of the audit as console tables."""
    print_sources(audit)
    for s in audit.sources:
        if s.fields:
            print_fill(s)
    print_overlap(audit)
    print_combinations(audit)
    print_top_identifiers(audit)
    print_quarantine(audit)
    print_batches(audit)


def audit(
    html: Path = typer.Option(
        Path("var/reports/audit.html"), "--html", help="Where to write the HTML report."
    ),
    mapping: list[Path] = typer.Option(
        [],
        "--mapping",
        help="Mapping YAML of a source ingested with its own mapping (repeatable).",
    ),
    top: int = typer.Option(20, help="How many of the most shared identifiers to list."),
) -> None:
    """Audit what the sources hold before resolution: fill, validity, overlap, quarantine."""
    from graph import audit_repo
    from ingest.audit import build_audit, write_html
    from ingest.builtin import builtin_sources
    from ingest.errors import IngestError
    from ingest.mapping import load_mapping

    try:
        mappings: dict[str, SourceMapping] = {m.source: m for m in map(load_mapping, mapping)}
    except IngestError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc

    async def work(g: GraphClient) -> Audit:
        borrowed = [
            s
            for s in await audit_repo.custom_mapping_sources(g)
            if s in builtin_sources() and s not in mappings
        ]
        if borrowed:
            raise IngestError(
                f"source(s) {', '.join(borrowed)} were ingested with a mapping of their own, "
                "not the built-in one of that name: describing them with the built-in "
                "mapping would be wrong; pass their mapping with --mapping FILE"
            )
        with console.status("auditing the graph"):
            return await build_audit(g, mappings=mappings, top=top)

    try:
        result = with_graph(work)
    except IngestError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc
    print_audit(result)
    written = write_html(result, html)
    console.print(f"report written to {written} (queries took {result.elapsed_s:.1f} s)")
