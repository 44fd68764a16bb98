"""Errors of segments and the sync engine.

One root, `ActivationError`; subclasses carry the context a caller needs. Messages hold
ids, field names and counts, never personal data or credentials. `api/` and `cli/`
translate them for their users.
"""

from __future__ import annotations


class ActivationError(Exception):
    """Root of every error raised by `activate/` (destinations raise `DestinationError`)."""


class InvalidSegmentDefinition(ActivationError):
    """A segment's filter tree failed validation."""

    def __init__(self, problem: str) -> None:
        super().__init__(f"invalid segment definition: {problem}")
        self.problem = problem


class SegmentNotFound(ActivationError):
    def __init__(self, segment_id: str) -> None:
        super().__init__(f"no segment {segment_id!r}")
        self.segment_id = segment_id


class SegmentExists(ActivationError):
    def __init__(self, segment_id: str) -> None:
        super().__init__(f"a segment {segment_id!r} exists already")
        self.segment_id = segment_id


class SegmentInUse(ActivationError):
    """Destinations hold members sent from the segment: deleting it needs `force`."""

    def __init__(self, segment_id: str, destinations: list[str]) -> None:
        super().__init__(
            f"segment {segment_id!r} is synced to {', '.join(destinations)}; "
            "delete with force to forget what they were sent"
        )
        self.segment_id = segment_id
        self.destinations = destinations


class DestinationNotFound(ActivationError):
    def __init__(self, destination_id: str) -> None:
        super().__init__(f"no destination {destination_id!r}")
        self.destination_id = destination_id


class InvalidDestinationConfig(ActivationError):
    """A destination's kind or configuration cannot be used (unknown kind, bad field)."""

    def __init__(self, destination_id: str, problem: str) -> None:
        super().__init__(f"destination {destination_id!r}: {problem}")
        self.destination_id = destination_id
        self.problem = problem


class MissingSecret(InvalidDestinationConfig):
    """The destination names a secret that the settings do not hold. The name is safe to
    show; the value never is."""

    def __init__(self, destination_id: str, secret_name: str) -> None:
        super().__init__(
            destination_id,
            f"secret {secret_name!r} is not set (CDP_DEST_SECRETS__{secret_name.upper()})",
        )
        self.secret_name = secret_name


class SyncAlreadyRunning(ActivationError):
    """Another run of the same segment to the same destination holds the lock."""

    def __init__(self, segment_id: str, destination_id: str) -> None:
        super().__init__(f"a sync of {segment_id!r} to {destination_id!r} is already running")
        self.segment_id = segment_id
        self.destination_id = destination_id
