"""The HTTP bounds (`api.bounds`) on a bare ASGI app: a request past its deadline is
cancelled and answered 504 while others go on; an oversized answer is replaced."""

from __future__ import annotations

import asyncio
import json

import httpx
from starlette.types import Receive, Scope, Send

from api.bounds import Deadline, ResponseSizeLimit


async def slow_or_fast(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["path"] == "/slow":
        await asyncio.sleep(60)
    body = b'{"ok": true}' if scope["path"] != "/big" else b"x" * 50_000
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": body})


async def test_a_request_past_its_deadline_is_cancelled_and_others_answer() -> None:
    cancelled = asyncio.Event()

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await slow_or_fast(scope, receive, send)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    bounded = Deadline(app, timeout_s=0.5)
    transport = httpx.ASGITransport(app=bounded)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
        slow, fast = await asyncio.wait_for(asyncio.gather(c.get("/slow"), c.get("/fast")), 10)
    assert fast.status_code == 200 and fast.json() == {"ok": True}
    assert slow.status_code == 504
    assert slow.json()["errors"][0]["extensions"]["code"] == "DEADLINE_EXCEEDED"
    assert cancelled.is_set()  # the work itself was stopped, not only the answer


async def test_an_answer_over_the_limit_is_replaced_and_a_small_one_passes() -> None:
    bounded = ResponseSizeLimit(slow_or_fast, max_bytes=10_000, paths=("/",))
    transport = httpx.ASGITransport(app=bounded)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
        small = await c.get("/fast")
        big = await c.get("/big")
    assert small.json() == {"ok": True}
    assert json.loads(big.content)["errors"][0]["extensions"]["code"] == "LIMIT_EXCEEDED"
