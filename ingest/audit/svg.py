"""Inline SVG charts for the audit report: fill-rate bars and an UpSet chart.

Plain functions returning SVG text; every label goes through `esc`. Hovering a bar shows its
figures (an SVG `<title>`), so the report needs no script.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

from ingest.audit.model import FieldQuality, SourceCombination

VALID = "#2f855a"
INVALID = "#dd6b20"
EMPTY = "#e2e8f0"
INK = "#1a202c"
MUTED = "#718096"
BAR = "#3c6e9f"

KIND_TAG = {"identifier": "id", "attribute": "attr", "source_field": "field"}


def esc(value: object) -> str:
    """Text or attribute value, escaped for HTML and SVG."""
    return html.escape(str(value), quote=True)


def pct(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.1f}%"


def _svg(width: int, height: int, body: list[str], label: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{esc(label)}" '
        f'font-family="system-ui, sans-serif" font-size="12">' + "".join(body) + "</svg>"
    )


def _text(x: float, y: float, text: str, *, anchor: str = "start", fill: str = INK) -> str:
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" fill="{fill}">{esc(text)}</text>'


def _rect(x: float, y: float, w: float, h: float, fill: str, title: str = "") -> str:
    tip = f"<title>{esc(title)}</title>" if title else ""
    return (
        f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(w, 0):.1f}" height="{h:.1f}" '
        f'fill="{fill}">{tip}</rect>'
    )


def fill_bars(source: str, fields: Sequence[FieldQuality]) -> str:
    """One horizontal bar per field: valid values, invalid values, and the empty rest."""
    label_w, bar_w, text_w, row_h = 190, 360, 230, 22
    width = label_w + bar_w + text_w
    height = row_h * len(fields) + 8
    body: list[str] = []
    for n, f in enumerate(fields):
        y = 4 + n * row_h
        mid = y + row_h / 2 + 4
        body.append(_text(label_w - 8, mid, f"{f.name} ({KIND_TAG[f.kind]})", anchor="end"))
        if f.valid is None:
            body.append(_rect(label_w, y + 3, bar_w, row_h - 6, EMPTY))
            body.append(
                _text(
                    label_w + bar_w + 8,
                    mid,
                    f"{f.invalid:,} invalid, fill unknown",
                    fill=MUTED,
                )
            )
            continue
        records = f.records or 1
        valid_w = bar_w * f.valid / records
        invalid_w = bar_w * f.invalid / records
        body.append(_rect(label_w, y + 3, bar_w, row_h - 6, EMPTY))
        body.append(
            _rect(label_w, y + 3, valid_w, row_h - 6, VALID, f"{f.name}: {f.valid:,} valid")
        )
        body.append(
            _rect(
                label_w + valid_w,
                y + 3,
                invalid_w,
                row_h - 6,
                INVALID,
                f"{f.name}: {f.invalid:,} invalid",
            )
        )
        body.append(
            _text(
                label_w + bar_w + 8,
                mid,
                f"fill {pct(f.fill_rate)} · valid {pct(f.validity_rate)}",
            )
        )
    return _svg(width, height, body, f"Fill and validity of {source}")


def upset(combinations: Sequence[SourceCombination], sources: Sequence[str]) -> str:
    """An UpSet chart: identifiers per exact combination of sources (bars on top), the
    combination as connected dots (below), and identifiers per source (bars on the left)."""
    if not combinations or not sources:
        return _svg(300, 30, [_text(4, 20, "No identifiers.", fill=MUTED)], "No identifiers")
    col_w, row_h, name_w, set_w, top_h = 30, 22, 110, 130, 170
    left = name_w + set_w + 10
    width = left + col_w * len(combinations) + 20
    height = top_h + row_h * len(sources) + 30
    peak = max(c.identifiers for c in combinations)
    set_sizes = {s: sum(c.identifiers for c in combinations if s in c.sources) for s in sources}
    set_peak = max(set_sizes.values()) or 1
    body: list[str] = []
    # Bars of the combinations, each labelled with its count.
    for n, c in enumerate(combinations):
        x = left + n * col_w
        h = (top_h - 60) * c.identifiers / peak  # room above for the count
        tip = f"{' & '.join(c.sources)}: {c.identifiers:,} identifiers"
        body.append(_rect(x + 5, top_h - 10 - h, col_w - 10, h, BAR, tip))
        body.append(_vertical_count(x + col_w / 2, top_h - 14 - h, c.identifiers))
    # The matrix: one row per source, a dot per combination, filled when the source is in it.
    for m, s in enumerate(sources):
        y = top_h + m * row_h + row_h / 2
        if m % 2 == 0:
            body.append(
                _rect(name_w + set_w, y - row_h / 2, width - name_w - set_w, row_h, "#f7fafc")
            )
        body.append(_text(name_w - 6, y + 4, s, anchor="end"))
        w = (set_w - 10) * set_sizes[s] / set_peak
        body.append(
            _rect(name_w + set_w - w, y - 7, w, 14, MUTED, f"{s}: {set_sizes[s]:,} identifiers")
        )
    for n, c in enumerate(combinations):
        cx = left + n * col_w + col_w / 2
        rows = [m for m, s in enumerate(sources) if s in c.sources]
        # Empty dots first, then the line joining the members, then the members on top.
        for m in range(len(sources)):
            if m not in rows:
                body.append(_dot(cx, top_h + m * row_h + row_h / 2, EMPTY))
        if len(rows) > 1:
            y1 = top_h + rows[0] * row_h + row_h / 2
            y2 = top_h + rows[-1] * row_h + row_h / 2
            body.append(
                f'<line x1="{cx:.1f}" y1="{y1:.1f}" x2="{cx:.1f}" y2="{y2:.1f}" '
                f'stroke="{INK}" stroke-width="2"/>'
            )
        for m in rows:
            body.append(_dot(cx, top_h + m * row_h + row_h / 2, INK))
    body.append(
        _text(name_w + set_w - 5, height - 8, "identifiers per source", anchor="end", fill=MUTED)
    )
    return _svg(width, height, body, "Identifiers per combination of sources")


def _dot(cx: float, cy: float, fill: str) -> str:
    return f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="6" fill="{fill}"/>'


def _vertical_count(x: float, y: float, n: int) -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="start" fill="{INK}" font-size="10" '
        f'transform="rotate(-90 {x:.1f} {y:.1f})">{n:,}</text>'
    )
