"""Errors raised by `matching/`. `api/` and the command line translate them for people."""

from __future__ import annotations


class MatchingError(Exception):
    """Root of every error raised by `matching/`."""


class ConfigError(MatchingError):
    """The identity-resolution configuration (`identity.yaml` or a user's file) is unusable.

    Attributes:
        path: The file at fault, or "<defaults>" / "<mapping>" when it did not come from a file.
        reason: What is wrong, in words an operator can act on.
    """

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"identity config {path}: {reason}")
        self.path = path
        self.reason = reason


class InvalidIdentifierType(ConfigError):
    """An identifier type name cannot be part of an `Identifier.key` (`type:value`)."""

    def __init__(self, path: str, name: str) -> None:
        super().__init__(
            path, f"identifier type {name!r} must match [a-z][a-z0-9_]* (it prefixes keys)"
        )
        self.name = name


class InvalidBlockRule(ConfigError):
    """A blocked-value regular expression does not compile."""

    def __init__(self, path: str, scope: str, pattern: str, cause: str) -> None:
        super().__init__(path, f"blocked.{scope}: regex {pattern!r} does not compile: {cause}")
        self.scope = scope
        self.pattern = pattern
        self.cause = cause


class InvalidComponents(MatchingError):
    """Components handed to profile-id assignment are not a partition of the records."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"components are not a partition: {reason}")
        self.reason = reason


class ProfileIdCollision(MatchingError):
    """The profile-id factory returned an id that is already in use."""

    def __init__(self, pid: str) -> None:
        super().__init__(f"new profile id {pid!r} is already in use")
        self.pid = pid


class ConflictingComparisons(MatchingError):
    """Two sources' mappings compare one attribute in different ways."""

    def __init__(self, attribute: str, sources: tuple[str, str]) -> None:
        super().__init__(
            f"sources {sources[0]!r} and {sources[1]!r} declare different comparisons for "
            f"attribute {attribute!r}; make their mappings agree"
        )
        self.attribute = attribute
        self.sources = sources


class ProfileNotFound(MatchingError):
    """No profile has the id an operator named."""

    def __init__(self, pid: str) -> None:
        super().__init__("no profile with this id")
        self.pid = pid


class IdentifierNotOnProfile(MatchingError):
    """The profile an erasure names does not carry the identifier to forget."""

    def __init__(self, pid: str) -> None:
        super().__init__("this profile does not carry the identifier")
        self.pid = pid


class SharedIdentifier(MatchingError):
    """Several profiles carry the identifier to forget, and nothing says which one."""

    def __init__(self, pids: list[str]) -> None:
        super().__init__(
            f"{len(pids)} profiles carry this identifier (a shared one); "
            "pass the pid of the customer to forget"
        )
        self.pids = pids


class ScoringOutOfDisk(MatchingError):
    """Scoring ran out of disk: DuckDB spills what does not fit its memory limit to a
    directory beside the match index, and the disk filled up. No match was written."""

    def __init__(self, spill: str, memory: str) -> None:
        super().__init__(
            f"matching ran out of disk space while scoring: DuckDB spills what does not fit "
            f"in MATCH_SCORING_MEMORY ({memory}) to {spill}, and the disk is full. Free space "
            f"there or raise MATCH_SCORING_MEMORY, then run again (no match was written)"
        )
        self.spill = spill
        self.memory = memory
