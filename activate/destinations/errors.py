"""Errors raised by destinations and the shared HTTP delivery.

One root, `DestinationError`; subclasses carry the context a caller needs to decide
what to do next (wait, fix the configuration, give up on a batch). Messages never hold
personal data or credentials: response bodies are redacted before they are kept.
"""

from __future__ import annotations


class DestinationError(Exception):
    """Root of every error a destination raises."""

    def __init__(self, destination: str, message: str) -> None:
        super().__init__(f"{destination}: {message}")
        self.destination = destination


class DestinationConfigError(DestinationError):
    """The destination is not set up to take this call (missing list id, no run...)."""


class RateLimited(DestinationError):
    """The destination kept answering 429 (or asked to wait longer than we allow)."""

    def __init__(self, destination: str, retry_after: float | None) -> None:
        wait = "unknown" if retry_after is None else f"{retry_after:.1f}s"
        super().__init__(destination, f"rate limited, retry after {wait}")
        self.retry_after = retry_after


class DestinationHTTPError(DestinationError):
    """A non-success HTTP answer. `body_excerpt` is truncated and redacted of PII."""

    def __init__(self, destination: str, op: str, status: int, body_excerpt: str) -> None:
        super().__init__(destination, f"{op} answered HTTP {status}: {body_excerpt}")
        self.op = op
        self.status = status
        self.body_excerpt = body_excerpt

    @property
    def retryable(self) -> bool:
        return self.status >= 500 or self.status in (408, 429)


class DestinationAuthError(DestinationHTTPError):
    """401/403: the credentials are wrong or lack a scope; no batch can succeed."""


class DestinationTransportError(DestinationError):
    """The request never got an HTTP answer (connection refused, timeout, reset)."""


class JobFailed(DestinationError):
    """An asynchronous import job was cancelled or did not finish in time."""

    def __init__(self, destination: str, job_id: str, reason: str) -> None:
        super().__init__(destination, f"job {job_id} {reason}")
        self.job_id = job_id
