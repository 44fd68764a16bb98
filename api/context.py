"""Per-request GraphQL context."""

from __future__ import annotations

from typing import Any

from strawberry.fastapi import BaseContext

from graph.client import GraphClient
from graph.settings import Settings


class Context(BaseContext):
    def __init__(self, graph: GraphClient, settings: Settings) -> None:
        super().__init__()
        self.graph = graph
        self.settings = settings
        self.loaders: dict[str, Any] = {}
