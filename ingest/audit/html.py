"""The audit as one self-contained HTML file: inline CSS and SVG, no script, no network.

Every piece of text from the graph (source and field names, reasons, file paths, masked
values) is escaped; identifier values are masked before they reach the audit.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from ingest.audit.model import Audit, SourceAudit
from ingest.audit.svg import esc, fill_bars, pct, upset

MAX_COMBINATIONS = 24
"""Bars in the UpSet chart; the table below it lists the rest."""

CSS = """
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1a202c;
  margin: 0 auto; max-width: 1180px; padding: 24px; background: #fff; }
h1 { margin: 0 0 4px; font-size: 26px; }
h2 { margin: 36px 0 8px; padding-top: 8px; border-top: 1px solid #e2e8f0; font-size: 20px; }
h3 { margin: 18px 0 6px; font-size: 15px; }
p.note, .muted { color: #718096; }
nav a { margin-right: 14px; color: #3c6e9f; text-decoration: none; }
.cards { display: flex; flex-wrap: wrap; gap: 12px; margin: 16px 0; }
.card { border: 1px solid #e2e8f0; border-radius: 8px; padding: 10px 14px; min-width: 150px; }
.card .n { font-size: 22px; font-weight: 600; }
.card .l { color: #718096; font-size: 12px; }
table { border-collapse: collapse; margin: 8px 0 16px; font-size: 13px; }
th, td { border: 1px solid #e2e8f0; padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #f7fafc; font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
td.heat { text-align: right; min-width: 84px; }
td.heat small { display: block; color: #4a5568; }
.flag { color: #c53030; font-weight: 600; }
.legend span { display: inline-block; width: 12px; height: 12px; margin: 0 4px -2px 12px; }
svg { max-width: 100%; height: auto; }
"""


def render_html(audit: Audit) -> str:
    """The audit as an HTML document."""
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        "<title>Data audit</title>",
        f"<style>{CSS}</style></head><body>",
        "<header><h1>Data audit</h1>",
        f'<p class="note">What the sources hold before identity resolution. Generated '
        f"{esc(audit.generated_at)}. Identifier values are masked; no customer's name, "
        f"address or contact detail is in this report.</p>",
        _nav(),
        "</header>",
        _summary(audit),
        _sources(audit),
        _fill(audit),
        _overlap(audit),
        _combinations(audit),
        _top_identifiers(audit),
        _quarantine(audit),
        _batches(audit),
        _method(),
        "</body></html>",
    ]
    return "\n".join(parts) + "\n"


def write_html(audit: Audit, path: Path) -> Path:
    """Write the report to `path` (its folder is created). Returns the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_html(audit), encoding="utf-8")
    return path


SECTIONS = (
    ("summary", "Summary"),
    ("sources", "Sources"),
    ("fill", "Fill and validity"),
    ("overlap", "Overlap"),
    ("combinations", "Source combinations"),
    ("top-identifiers", "Top identifiers"),
    ("quarantine", "Quarantine"),
    ("batches", "Batches"),
    ("method", "Method"),
)


def _nav() -> str:
    return "<nav>" + "".join(f'<a href="#{a}">{esc(t)}</a>' for a, t in SECTIONS) + "</nav>"


def _h2(anchor: str) -> str:
    return f'<h2 id="{anchor}">{esc(dict(SECTIONS)[anchor])}</h2>'


def _table(
    header: Sequence[str], rows: Iterable[Sequence[str]], numeric: Iterable[int] = ()
) -> str:
    """A table of already escaped cells; columns in `numeric` are right-aligned."""
    nums = set(numeric)

    def cls(i: int) -> str:
        return ' class="num"' if i in nums else ""

    head = "".join(f"<th{cls(i)}>{esc(h)}</th>" for i, h in enumerate(header))
    body = "".join(
        "<tr>" + "".join(f"<td{cls(i)}>{c}</td>" for i, c in enumerate(row)) + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _n(value: int) -> str:
    return f"{value:,}"


def _card(value: str, label: str) -> str:
    return (
        f'<div class="card"><div class="n">{esc(value)}</div>'
        f'<div class="l">{esc(label)}</div></div>'
    )


def _summary(audit: Audit) -> str:
    cards = [
        _card(_n(audit.records), "customer records"),
        _card(_n(len(audit.sources)), "sources"),
        _card(_n(audit.identifiers), "distinct identifiers"),
        _card(_n(sum(s.orders for s in audit.sources)), "orders"),
        _card(_n(sum(s.events for s in audit.sources)), "events"),
        _card(_n(audit.no_email), "records without an e-mail"),
        _card(_n(audit.no_identifier), "records without any identifier"),
        _card(_n(audit.quarantined), "rows quarantined"),
    ]
    so = audit.store_online
    if so is not None:
        cards.append(
            _card(
                f"{so.shared:,} ({pct(so.rate)})",
                f"{so.source} buyers also seen in {so.other}",
            )
        )
    return _h2("summary") + '<div class="cards">' + "".join(cards) + "</div>"


def _sources(audit: Audit) -> str:
    rows = [
        [
            esc(s.source),
            _n(s.records),
            _n(s.stubs),
            _n(s.orders),
            _n(s.events),
            _n(s.no_identifier),
            f"{_n(s.no_email)} ({pct(s.no_email / s.records if s.records else None)})",
            f"{_n(s.shared_with_others)} "
            f"({pct(s.shared_with_others / s.records if s.records else None)})",
        ]
        for s in audit.sources
    ]
    header = [
        "source",
        "records",
        "stubs",
        "orders",
        "events",
        "no identifier",
        "no e-mail",
        "share an identifier with another source",
    ]
    note = (
        '<p class="note">Stubs are records that only an order or event names; no customer '
        "row has filled them in. They are left out of every other figure.</p>"
    )
    return _h2("sources") + _table(header, rows, range(1, 8)) + note


def _fill(audit: Audit) -> str:
    legend = (
        '<p class="legend">Share of the source\'s records:<span style="background:#2f855a">'
        '</span>valid<span style="background:#dd6b20"></span>invalid'
        '<span style="background:#e2e8f0"></span>empty</p>'
    )
    out = [_h2("fill"), legend]
    for s in audit.sources:
        out.append(f'<h3>{esc(s.source)} <span class="muted">({_n(s.records)} records)</span></h3>')
        if not s.fields:
            out.append('<p class="muted">No fields.</p>')
            continue
        out.append(fill_bars(s.source, s.fields))
        out.append(_reasons(s))
    return "".join(out)


def _reasons(s: SourceAudit) -> str:
    rows = [
        [esc(f.name), esc(f.kind), esc(", ".join(f.source_fields)), esc(reason), _n(n)]
        for f in s.fields
        for reason, n in f.reasons.items()
    ]
    if not rows:
        return '<p class="muted">No invalid values.</p>'
    return _table(["field", "kind", "source column", "reason", "records"], rows, [4])


def _heat(value: int, whole: int) -> str:
    share = value / whole if whole else 0.0
    alpha = 0.08 + 0.85 * share if value else 0.0
    colour = "#fff" if share > 0.55 else "#1a202c"
    return (
        f'<td class="heat" style="background: rgba(60, 110, 159, {alpha:.2f}); color: {colour}">'
        f'{_n(value)}<small style="color: {colour}">{pct(share if whole else None)}</small></td>'
    )


def _overlap(audit: Audit) -> str:
    names = audit.source_names()
    head = "".join(f"<th>{esc(n)}</th>" for n in names)
    rows = []
    for s in audit.sources:
        cells = "".join(_heat(audit.overlap.get((s.source, o), 0), s.records) for o in names)
        cells += _heat(s.shared_with_others, s.records)
        rows.append(f"<tr><th>{esc(s.source)}</th>{cells}</tr>")
    table = (
        f"<table><thead><tr><th>records of ↓ sharing an identifier with →</th>{head}"
        f"<th>any other source</th></tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )
    note = (
        '<p class="note">A cell counts the records of the row\'s source that share at least one '
        "identifier with another record of the column's source, as a share of the row's "
        "records. The diagonal counts duplicates within a source.</p>"
    )
    return _h2("overlap") + table + note


def _combinations(audit: Audit) -> str:
    shown = audit.combinations[:MAX_COMBINATIONS]
    chart = upset(shown, audit.source_names())
    types = _table(
        ["identifier type", "identifiers", "in 2+ sources", "blocked", "generic"],
        [
            [esc(t.type), _n(t.identifiers), _n(t.multi_source), _n(t.blocked), _n(t.generic)]
            for t in audit.identifier_types
        ],
        range(1, 5),
    )
    all_types = sorted({t for c in audit.combinations for t in c.by_type})
    combos = _table(
        ["sources", "identifiers", *all_types],
        [
            [esc(" & ".join(c.sources)), _n(c.identifiers)]
            + [_n(c.by_type.get(t, 0)) for t in all_types]
            for c in audit.combinations
        ],
        range(1, 2 + len(all_types)),
    )
    note = (
        '<p class="note">Each identifier counts once, under the exact set of sources whose '
        "records carry it.</p>"
    )
    return _h2("combinations") + note + chart + types + combos


def _top_identifiers(audit: Audit) -> str:
    rows = [
        [
            esc(t.type),
            f"<code>{esc(t.masked_value)}</code>",
            _n(t.records),
            _n(t.given_names),
            _n(t.family_names),
            esc(", ".join(t.sources)),
            " ".join(
                f'<span class="flag">{esc(k)}: {esc(v)}</span>'
                for k, v in (("blocked", t.blocked), ("generic", t.generic))
                if v
            ),
        ]
        for t in audit.top_identifiers
    ]
    note = (
        '<p class="note">Identifiers carried by the most records. Many distinct names on one '
        "identifier hint at a shared, test or shop value that merge protection should stop "
        "from joining strangers.</p>"
    )
    if not rows:
        return _h2("top-identifiers") + '<p class="muted">No identifier is shared.</p>'
    table = _table(
        ["type", "value (masked)", "records", "given names", "family names", "sources", "flags"],
        rows,
        [2, 3, 4],
    )
    return _h2("top-identifiers") + note + table


def _quarantine(audit: Audit) -> str:
    if not audit.quarantine:
        return _h2("quarantine") + '<p class="muted">No quarantined rows.</p>'
    rows = [
        [esc(q.source), esc(q.kind), esc(q.reason), esc(q.field or ""), _n(q.rows)]
        for q in audit.quarantine
    ]
    return _h2("quarantine") + _table(["source", "kind", "reason", "field", "rows"], rows, [4])


def _batches(audit: Audit) -> str:
    if not audit.batches:
        return _h2("batches") + '<p class="muted">No ingestion batches.</p>'
    rows = [
        [
            esc(b.started_at or ""),
            esc(b.source),
            esc(b.file),
            esc(b.status),
            _n(b.rows_read),
            _n(b.rows_accepted),
            _n(b.rows_quarantined),
            _n(b.rows_suppressed),
            _n(b.records_changed),
            _n(b.orders),
            _n(b.events),
            _n(b.value_issues),
        ]
        for b in audit.batches
    ]
    header = [
        "started",
        "source",
        "file",
        "status",
        "read",
        "accepted",
        "quarantined",
        "suppressed",
        "records changed",
        "orders",
        "events",
        "invalid values",
    ]
    return _h2("batches") + _table(header, rows, range(4, 12))


def _method() -> str:
    items = [
        "Records are customer records; stubs (named only by an order or event) are left out.",
        "Fill = records with a value, valid or not / records. Validity = valid values / "
        "values present. The graph keeps only valid values; an invalid one is known from the "
        "record's issues, which name the source column, and the source's mapping says which "
        "attribute or identifier that column feeds.",
        "Validity is approximate for sources that build a record from many rows (POS, web): a "
        "record keeps the issues of its latest row while its values accumulate. A column "
        "feeding both an identifier and an attribute (e-mail) counts its invalid values for "
        "both.",
        "Identifier values are masked; name counts are distinct, case-folded given and family "
        "names of the records carrying the identifier.",
    ]
    return _h2("method") + "<ul>" + "".join(f"<li>{esc(i)}</li>" for i in items) + "</ul>"
