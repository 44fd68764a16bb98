"""Where resolution's rules run: the seam between the resolver and an engine.

The resolver reads the graph, hands an engine the rules (`ComponentRules`) and what they
read (`ResolutionInput`), and writes what comes back. The local engine runs the rules in
this process; the Spark engine (`matching.spark_engine`, imported only when chosen) runs
them per coarse component on a Spark cluster. Both call the same `ComponentRules.resolve`.
"""

from __future__ import annotations

from typing import Protocol

from matching.component_rules import ComponentRules, ResolutionInput
from matching.components import Resolution

__all__ = ["ENGINES", "LocalEngine", "ResolveEngine"]

ENGINES = ("local", "spark")
"""The engines `cdp resolve --engine` knows."""


class ResolveEngine(Protocol):
    """Computes the components of a closed set of records under the rules."""

    name: str

    def resolve(self, rules: ComponentRules, data: ResolutionInput) -> Resolution: ...


class LocalEngine:
    """The rules over every record at once, in this process."""

    name = "local"

    def resolve(self, rules: ComponentRules, data: ResolutionInput) -> Resolution:
        return rules.resolve(data)
