"""The FastAPI application: one graph client per process, created in the lifespan."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from strawberry.fastapi import GraphQLRouter

from api import __version__, metrics
from api.auth import KeyCache
from api.context import Context, get_context
from api.graphql.limits import BodySizeLimit
from api.routes import health, ingest_http
from api.schema import schema
from api.web import routes as web
from api.web.session import SessionStore
from graph.client import GraphClient
from graph.schema import migrate
from graph.settings import Settings

log = logging.getLogger(__name__)


def create_app(settings: Settings, graph: GraphClient | None = None) -> FastAPI:
    """Build the app. A `graph` client may be handed in (tests); else one is created."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        client = graph or GraphClient.from_settings(settings)
        app.state.graph = client
        app.state.settings = settings
        try:
            await migrate(client)
        except Exception:  # the API still serves /health; /ready reports the database
            log.exception("schema migration at start-up failed")
        yield
        if graph is None:
            await client.close()

    app = FastAPI(title="graph-cdp", version=__version__, lifespan=lifespan)
    # Checked API keys, remembered briefly so look-ups do not ask Neo4j on every request.
    app.state.key_cache = KeyCache(ttl_s=settings.api_key_cache_ttl_s)
    # The web app's browser sessions (an API key exchanged for an HttpOnly cookie).
    app.state.sessions = SessionStore(ttl_s=settings.web_session_ttl_s)
    app.include_router(health.router)
    app.include_router(ingest_http.router)
    app.include_router(metrics.router)
    # GraphQL bodies over the limit are refused (413) before they are parsed.
    app.add_middleware(BodySizeLimit, max_bytes=settings.api_max_body_bytes)
    gql: GraphQLRouter[Context, None] = GraphQLRouter(
        schema,
        context_getter=get_context,
        graphql_ide="graphiql" if settings.environment == "development" else None,
    )
    app.include_router(gql, prefix="/graphql")
    # The web app under /app: its assets first, then its screens (any other path).
    app.mount(f"{web.PREFIX}/assets", web.assets(), name="web-assets")
    app.include_router(web.router)
    return app
