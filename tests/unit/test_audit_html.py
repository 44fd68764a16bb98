"""The audit's HTML report: self-contained, every section present, every text escaped."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

from ingest.audit import (
    Audit,
    BatchSummary,
    CrossChannel,
    FieldQuality,
    IdentifierTypeSummary,
    QuarantineCount,
    SourceAudit,
    SourceCombination,
    TopIdentifier,
    render_html,
    write_html,
)
from ingest.audit.html import SECTIONS
from ingest.audit.svg import upset

EVIL = "<script>alert(1)</script>"


def _audit(evil: str = EVIL) -> Audit:
    fields = (
        FieldQuality("email", "identifier", 10, 6, 2, {"invalid_email_syntax": 2}, ("email",)),
        FieldQuality("dob", "attribute", 10, 4, 1, {evil: 1}, (evil,)),
        FieldQuality(evil, "source_field", 10, None, 3, {"invalid_number": 3}, (evil,)),
    )
    return Audit(
        generated_at="2025-01-01T00:00:00Z",
        sources=(
            SourceAudit("pos", 10, 1, 7, 0, 2, 4, 5, fields),
            SourceAudit("ecommerce", 20, 0, 30, 0, 0, 1, 6),
        ),
        overlap={("pos", "ecommerce"): 5, ("ecommerce", "pos"): 6, ("pos", "pos"): 1},
        combinations=(
            SourceCombination(("ecommerce",), 12, {"email": 10, "phone": 2}),
            SourceCombination(("ecommerce", "pos"), 5, {"email": 5}),
            SourceCombination(("pos",), 3, {"phone": 3}),
        ),
        identifier_types=(
            IdentifierTypeSummary("email", 15, 5, 1, 0),
            IdentifierTypeSummary("phone", 5, 0, 0, 1),
        ),
        top_identifiers=(
            TopIdentifier("email", "te***@test.com", 9, ("ecommerce", "pos"), 6, 5, evil, None),
            TopIdentifier("loyalty_id", "<s***t>", 3, ("pos",), 1, 1, None, "generic:x"),
        ),
        quarantine=(QuarantineCount("pos", "order", "missing_key", evil, 2),),
        batches=(
            BatchSummary(
                "pos-1",
                "pos",
                f"/data/{evil}.csv",
                "completed",
                "2025-01-01T00:00:00Z",
                "2025-01-01T00:00:01Z",
                12,
                10,
                2,
                0,
                10,
                7,
                0,
                6,
            ),
        ),
        store_online=CrossChannel("pos", "ecommerce", 10, 5),
    )


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.ids: set[str] = set()
        self.open: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.ids.update(v for k, v in attrs if k == "id" and v)
        if tag != "meta":
            self.open.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.open and self.open[-1] == tag, (tag, self.open[-5:])
        self.open.pop()


def test_report_is_self_contained_and_has_every_section() -> None:
    page = render_html(_audit())
    parser = _Tags()
    parser.feed(page)
    assert parser.open == []  # balanced
    assert {a for a, _ in SECTIONS} <= parser.ids
    assert parser.tags.count("svg") >= 2  # fill bars per source with fields, and the UpSet chart
    assert "script" not in parser.tags
    for external in ("http://", "https://", "src=", "@import"):
        assert external not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")


def test_every_text_is_escaped() -> None:
    page = render_html(_audit())
    assert "<script" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;s***t&gt;" in page


def test_figures_appear() -> None:
    page = render_html(_audit())
    assert "te***@test.com" in page
    assert "fill 80.0% · valid 75.0%" in page  # email: 6 valid + 2 invalid of 10
    assert "3 invalid, fill unknown" in page
    assert "5 (50.0%)" in page  # pos buyers also seen online
    assert "generic: generic:x" in page


def test_upset_chart_without_combinations() -> None:
    assert "No identifiers." in upset([], ["pos"])
    chart = upset(_audit().combinations, ["ecommerce", "pos"])
    assert chart.count("<circle") == 6  # 3 combinations x 2 sources
    assert chart.count("<line") == 1  # only ecommerce & pos joins two dots


def test_write_html_creates_the_folder(tmp_path: Path) -> None:
    out = write_html(_audit(), tmp_path / "reports" / "audit.html")
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
