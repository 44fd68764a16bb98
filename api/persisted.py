"""Persisted queries: a production frontend sends the id of a registered query, not its text.

The registry is a JSON file (`PERSISTED_QUERIES_FILE`) mapping ids to query documents, read
once at start-up. `POST /graphql/persisted/{id}` with `{"variables": {...}}` runs the query
of that id with the caller's key. Keys of the roles in `PERSISTED_ONLY_ROLES` may run only
registered queries: `/graphql` refuses them (see `api.context.get_context`), so a key that
leaks from a browser cannot run arbitrary GraphQL. The web app's own sessions are not keys in
the browser (an HttpOnly cookie, same-site only, CSRF-checked) and are not restricted.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Body, HTTPException, Request, status
from fastapi.responses import JSONResponse

from api.context import get_context

log = logging.getLogger(__name__)

router = APIRouter(prefix="/graphql/persisted", include_in_schema=False)
_MAX_ID = 128


class PersistedQueryError(ValueError):
    """The registry file cannot be read or is not a JSON object of strings."""

    def __init__(self, path: Path, why: str) -> None:
        super().__init__(f"persisted queries in {path}: {why}")
        self.path = path


def load_registry(path: Path | None) -> dict[str, str]:
    """The registered queries by id ({} without a file).

    Raises:
        PersistedQueryError: The file is unreadable or malformed.
    """
    if path is None:
        return {}
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise PersistedQueryError(path, type(exc).__name__) from exc
    if not isinstance(raw, dict) or not all(
        isinstance(k, str) and isinstance(v, str) and len(k) <= _MAX_ID for k, v in raw.items()
    ):
        raise PersistedQueryError(path, "expected an object of id -> query text")
    return dict(raw)


@router.post("/{query_id}")
async def run_persisted(
    query_id: str,
    request: Request,
    variables: Annotated[dict[str, Any] | None, Body(embed=True)] = None,
    operation_name: Annotated[str | None, Body(embed=True, alias="operationName")] = None,
) -> JSONResponse:
    """Run a registered query with the caller's key; 404 for an unknown id."""
    registry: dict[str, str] = request.app.state.persisted_queries
    query = registry.get(query_id)
    if query is None:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND,
            {"error": "unknown_query", "message": "no registered query has this id"},
        )
    context = await get_context(request, persisted=True)
    schema = request.app.state.schema
    result = await schema.execute(
        query, variable_values=variables, context_value=context, operation_name=operation_name
    )
    body: dict[str, Any] = {"data": result.data}
    if result.errors:
        body["errors"] = [e.formatted for e in result.errors]
    return JSONResponse(body)
