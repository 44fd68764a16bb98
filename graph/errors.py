"""Errors raised by the graph layer. `api/` translates them for clients."""

from __future__ import annotations


class GraphError(Exception):
    """Root of every error raised by `graph/`."""


class Neo4jUnavailable(GraphError):
    """Neo4j does not answer at the configured address."""

    def __init__(self, uri: str, cause: str) -> None:
        super().__init__(f"Neo4j at {uri} is unavailable: {cause}")
        self.uri = uri
        self.cause = cause


class QueryNotFound(GraphError):
    """No `cypher/<name>.cypher` file exists."""

    def __init__(self, name: str) -> None:
        super().__init__(f"no Cypher query named {name!r} in cypher/")
        self.name = name


class LocalServerError(GraphError):
    """The local (embedded) Neo4j could not be built, started or stopped."""


class InvalidName(GraphError):
    """A label, relationship type or property key failed the allow-list check."""

    def __init__(self, kind: str, name: str) -> None:
        super().__init__(f"invalid {kind}: {name!r}")
        self.kind = kind
        self.name = name


def lost_server(exc: BaseException) -> bool:
    """Whether `exc` (or an error it was raised from) is the driver losing the server
    mid-run (killed, restarted, network gone): an operator's situation, not a bug."""
    from neo4j.exceptions import ServiceUnavailable, SessionExpired

    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, (ServiceUnavailable, SessionExpired, ConnectionError)):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False
