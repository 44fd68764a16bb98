"""Errors of the ingestion package."""

from __future__ import annotations


class IngestError(Exception):
    """Root of every error raised by `ingest/`."""


class MappingError(IngestError):
    """A source mapping is missing, malformed or inconsistent."""

    def __init__(self, where: str, reason: str) -> None:
        super().__init__(f"mapping {where}: {reason}")
        self.where = where
        self.reason = reason


class SourceFileError(IngestError):
    """A source file cannot be read at all (missing, wrong format, not tabular)."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


class InvalidRows(IngestError):
    """Rows a client sent cannot be ingested as they are (unknown source or file, too many,
    not objects); the message says which, never quoting a row."""


class InvalidIdentifier(IngestError):
    """An identifier a caller typed (a look-up, an erasure) is not one; the message says
    why, never echoing the value."""


class InvalidPayload(IngestError):
    """A payload a connector received (a Segment-spec message, a Shopify webhook) does not
    follow its spec; `errors` names each field and what is wrong."""

    def __init__(self, errors: list[tuple[str, str]]) -> None:
        super().__init__("; ".join(f"{f}: {m}" if f else m for f, m in errors))
        self.errors = errors
