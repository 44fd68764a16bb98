"""Errors raised by `enrich/`. Every one derives from `EnrichError`.

`enrich.clv.ClvError` and `enrich.rfm.RfmError` (the models' own errors) derive from it too,
so a caller catches the whole package with one class.
"""

from __future__ import annotations


class EnrichError(Exception):
    """Root of every error raised by `enrich/`."""


class ModelNotFitted(EnrichError):
    """`--fit` found too few customers to fit the CLV models."""

    def __init__(self, reason: str, customers: int) -> None:
        super().__init__(f"cannot fit the CLV models on {customers} customers: {reason}")
        self.reason = reason
        self.customers = customers


class StoredStateError(EnrichError):
    """A model or population reference stored in the graph cannot be read."""

    def __init__(self, node_id: str, problem: str) -> None:
        super().__init__(f"stored enrichment state {node_id!r} is unusable: {problem}")
        self.node_id = node_id
        self.problem = problem


class ProviderError(EnrichError):
    """An external enrichment provider failed. Carries no customer data."""

    def __init__(self, provider: str, problem: str, status: int | None = None) -> None:
        detail = f" (HTTP {status})" if status is not None else ""
        super().__init__(f"enrichment provider {provider!r} failed: {problem}{detail}")
        self.provider = provider
        self.problem = problem
        self.status = status


class ReferenceFileError(ProviderError):
    """A provider's reference file is missing or malformed."""

    def __init__(self, provider: str, path: str, problem: str) -> None:
        super().__init__(provider, f"{path}: {problem}")
        self.path = path
