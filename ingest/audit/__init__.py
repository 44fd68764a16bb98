"""The data audit (`cdp audit`): what the sources actually hold, before identity resolution.

Per source: records, orders and events; fill and validity of each identifier type and
attribute; how the sources overlap through shared identifiers; identifiers carried by
suspiciously many records; quarantined rows and the batch history. `build_audit` asks the
graph (every aggregation runs in Cypher) and `render_html` writes the shareable report.
"""

from __future__ import annotations

from ingest.audit.build import build_audit
from ingest.audit.html import render_html, write_html
from ingest.audit.model import (
    Audit,
    BatchSummary,
    CrossChannel,
    FieldQuality,
    IdentifierTypeSummary,
    QuarantineCount,
    SourceAudit,
    SourceCombination,
    TopIdentifier,
)

__all__ = [
    "Audit",
    "BatchSummary",
    "CrossChannel",
    "FieldQuality",
    "IdentifierTypeSummary",
    "QuarantineCount",
    "SourceAudit",
    "SourceCombination",
    "TopIdentifier",
    "build_audit",
    "render_html",
    "write_html",
]
