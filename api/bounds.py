"""Bounds on every HTTP request, as ASGI middleware: the body's size, the time it may take
and the size of a GraphQL answer. Each refusal is a GraphQL-shaped JSON error, so a client
reads it as it reads any other."""

from __future__ import annotations

import asyncio
import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send


def _error_body(message: str, code: str, **extra: object) -> bytes:
    error = {"message": message, "extensions": {"code": code, **extra}}
    return json.dumps({"data": None, "errors": [error]}).encode("utf-8")


async def _send_json(send: Send, status: int, body: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode("ascii")),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class _TooLarge(Exception):
    pass


class _SizeBound:
    """A byte limit on the HTTP requests under `paths`."""

    def __init__(
        self, app: ASGIApp, max_bytes: int, paths: tuple[str, ...] = ("/graphql",)
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.paths = paths

    def applies(self, scope: Scope) -> bool:
        return scope["type"] == "http" and str(scope.get("path", "")).startswith(self.paths)


class BodySizeLimit(_SizeBound):
    """Answers 413 to a request body over `max_bytes` on `paths`.

    Refused from `Content-Length` before anything is read when the client declares it, else
    as soon as the streamed body passes the limit.
    """

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self.applies(scope):
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._reject(send)
            return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise _TooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _TooLarge:
            if not started:
                await self._reject(send)

    async def _reject(self, send: Send) -> None:
        body = _error_body(
            f"the request body exceeds {self.max_bytes} bytes",
            "PAYLOAD_TOO_LARGE",
            limit=self.max_bytes,
        )
        await _send_json(send, 413, body)


class Deadline:
    """Cancels a request still running after `timeout_s` and answers 504.

    Everything a request waits for (Neo4j, a key check) is awaited, so the cancellation
    reaches it there; work that never awaits is kept short by the limits checked before it
    (`api.graphql.limits`).
    """

    def __init__(self, app: ASGIApp, timeout_s: float) -> None:
        self.app = app
        self.timeout_s = timeout_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            async with asyncio.timeout(self.timeout_s):
                await self.app(scope, receive, tracking_send)
        except TimeoutError:
            if not started:
                body = _error_body(
                    f"the request took longer than {self.timeout_s:g} s and was cancelled; "
                    "ask for less",
                    "DEADLINE_EXCEEDED",
                    limit_s=self.timeout_s,
                )
                await _send_json(send, 504, body)


class ResponseSizeLimit(_SizeBound):
    """Replaces an answer on `paths` larger than `max_bytes` by a LIMIT_EXCEEDED error, so a
    query inside every other limit still cannot send megabytes to a browser."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self.applies(scope):
            await self.app(scope, receive, send)
            return
        start: Message | None = None
        chunks: list[bytes] = []
        size = 0
        refused = False

        async def capped_send(message: Message) -> None:
            nonlocal start, size, refused
            if refused:
                return
            if message["type"] == "http.response.start":
                start = message
                return
            if message["type"] != "http.response.body" or start is None:
                await send(message)
                return
            body = message.get("body", b"")
            size += len(body)
            if size > self.max_bytes:
                refused = True
                error = _error_body(
                    f"the answer exceeds {self.max_bytes} bytes; ask for smaller pages or "
                    "fewer fields",
                    "LIMIT_EXCEEDED",
                    limit=self.max_bytes,
                )
                await _send_json(send, 200, error)
                return
            chunks.append(body)
            if not message.get("more_body", False):
                await send(start)
                await send({"type": "http.response.body", "body": b"".join(chunks)})

        await self.app(scope, receive, capped_send)
