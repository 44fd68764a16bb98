"""Where resolution's rules run: the seam between the resolver and an engine.

The resolver reads the graph, hands an engine the rules (`ComponentRules`) and what they
read (`ResolutionInput`), and writes what comes back. The local engine runs the rules in
this process; the Spark engine (`matching.spark_engine`, imported only when chosen) runs
them on a Spark cluster. Both call the same `ComponentRules.resolve`.

An incremental run hands an engine one input (`resolve`). A full run hands it the closed
parts of the whole graph one after the other (`resolve_each`, `matching.partition`), so
that no engine needs every record in this process at once; an engine may resolve parts
ahead while the resolver writes the ones before.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Protocol, TypeVar

from matching.component_rules import ComponentRules, ResolutionInput
from matching.components import Resolution

__all__ = ["ENGINES", "LocalEngine", "ResolveEngine"]

ENGINES = ("local", "spark")
"""The engines `cdp resolve --engine` knows."""

T = TypeVar("T")


class ResolveEngine(Protocol):
    """Computes the components of closed sets of records under the rules."""

    name: str

    def resolve(self, rules: ComponentRules, data: ResolutionInput) -> Resolution:
        """The resolution of one closed input."""
        ...

    def resolve_each(
        self, rules: ComponentRules, items: Iterable[tuple[T, ResolutionInput]]
    ) -> Iterator[tuple[T, Resolution]]:
        """Each (tag, closed input)'s resolution with its tag, in the order given. Items are
        taken lazily: an engine takes no more ahead than it resolves at once."""
        ...


class LocalEngine:
    """The rules in this process, one input at a time."""

    name = "local"

    def resolve(self, rules: ComponentRules, data: ResolutionInput) -> Resolution:
        return rules.resolve(data)

    def resolve_each(
        self, rules: ComponentRules, items: Iterable[tuple[T, ResolutionInput]]
    ) -> Iterator[tuple[T, Resolution]]:
        for tag, data in items:
            yield tag, self.resolve(rules, data)
