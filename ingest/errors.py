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
