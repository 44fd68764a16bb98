"""The FastAPI application: one graph client per process, created in the lifespan."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from strawberry.fastapi import GraphQLRouter

from api import __version__, metrics, persisted
from api.auth import KeyCache
from api.bounds import BodySizeLimit, Deadline, JsonBodyCheck, ResponseSizeLimit
from api.context import Context, get_context
from api.routes import health, ingest_http, onsite
from api.schema import schema
from api.web import routes as web
from api.web.session import SessionStore
from core.settings import Settings
from graph.client import GraphClient
from graph.schema import migrate

log = logging.getLogger(__name__)


def settle_heap() -> None:
    """Move what start-up built (the schema, the modules, a few hundred thousand objects)
    out of the collector's reach. Otherwise each full collection walks all of it: about
    300 ms with the event loop stopped, every few thousand requests, which every request in
    flight waits for (measured in `bench/api.py`: the look-up's p99 tail)."""
    gc.collect()
    gc.freeze()


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
        settle_heap()
        yield
        gc.unfreeze()
        if graph is None:
            await client.close()

    app = FastAPI(title="graph-cdp", version=__version__, lifespan=lifespan)
    # Checked API keys, remembered briefly so look-ups do not ask Neo4j on every request.
    app.state.key_cache = KeyCache(ttl_s=settings.api_key_cache_ttl_s)
    # The web app's browser sessions (an API key exchanged for an HttpOnly cookie).
    app.state.sessions = SessionStore(ttl_s=settings.web_session_ttl_s)
    # Registered queries (read now: a broken file stops start-up rather than a request).
    app.state.persisted_queries = persisted.load_registry(settings.persisted_queries_file)
    app.state.schema = schema
    # The onsite traits are checked now: a personal attribute in them stops start-up.
    app.state.onsite_traits = onsite.check_traits(settings.onsite_traits)
    app.include_router(health.router)
    app.include_router(ingest_http.router)
    app.include_router(onsite.router)
    app.include_router(metrics.router)
    # GraphQL bodies over the limit are refused (413) before they are parsed, and bodies that
    # are no JSON object (400) before Strawberry sees them; every request has a deadline; a
    # GraphQL answer over the limit is replaced by an error. (Added last = outermost: the
    # deadline covers the body's reading too.)
    app.add_middleware(JsonBodyCheck, max_bytes=settings.api_max_body_bytes)
    app.add_middleware(ResponseSizeLimit, max_bytes=settings.api_max_response_bytes)
    app.add_middleware(BodySizeLimit, max_bytes=settings.api_max_body_bytes)
    app.add_middleware(Deadline, timeout_s=settings.api_request_timeout_s)
    # Frontends of other origins (none by default): only the configured ones, with a key.
    # Outermost, so a preflight is answered before any other check.
    if settings.onsite_cors_origins:
        app.add_middleware(onsite.OnsiteCors, origins=settings.onsite_cors_origins)
    if settings.cors_allow_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_allow_origins,
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "X-API-Key", "Content-Type"],
            allow_credentials=False,
            max_age=600,
        )
    gql: GraphQLRouter[Context, None] = web.LocalGraphiQLRouter(
        schema,
        context_getter=get_context,
        graphql_ide="graphiql" if settings.environment == "development" else None,
    )
    app.include_router(persisted.router)
    app.include_router(gql, prefix="/graphql")
    # The web app under /app: its assets first, then its screens (any other path).
    app.mount(f"{web.PREFIX}/assets", web.assets(), name="web-assets")
    app.include_router(web.router)
    return app
