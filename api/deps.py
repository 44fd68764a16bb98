"""FastAPI dependencies: the process-wide graph client and settings."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from core.settings import Settings
from graph.client import GraphClient


def get_graph(request: Request) -> GraphClient:
    graph: GraphClient = request.app.state.graph
    return graph


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


GraphDep = Annotated[GraphClient, Depends(get_graph)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
