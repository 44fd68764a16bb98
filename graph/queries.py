"""Loads the Cypher the service runs from `cypher/<name>.cypher`, once per process."""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

from graph.errors import InvalidName, QueryNotFound

_QUERY_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_SAFE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")


@cache
def cypher(name: str) -> str:
    """Return the text of `cypher/<name>.cypher`.

    Args:
        name: The file's stem, snake_case.

    Raises:
        QueryNotFound: No such file exists.
    """
    if not _QUERY_NAME.match(name):
        raise QueryNotFound(name)
    ref = resources.files("cypher").joinpath(f"{name}.cypher")
    if not ref.is_file():
        raise QueryNotFound(name)
    return ref.read_text(encoding="utf-8").strip()


def query_names() -> list[str]:
    """Every query shipped in `cypher/`."""
    return sorted(
        p.name.removesuffix(".cypher")
        for p in resources.files("cypher").iterdir()
        if p.name.endswith(".cypher")
    )


def safe_name(kind: str, name: str) -> str:
    """Check a label, relationship type or property key before it enters Cypher text.

    Such names cannot be `$parameters`; only plain identifiers pass.

    Raises:
        InvalidName: The name is not a plain identifier.
    """
    if not _SAFE_NAME.match(name):
        raise InvalidName(kind, name)
    return name
