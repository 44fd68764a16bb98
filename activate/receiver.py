"""A local webhook receiver for the demo: verifies each batch as Standard Webhooks asks
and keeps the members it was told about, per segment.

It plays the customer's endpoint that the webhook destination posts to, on 127.0.0.1 and
an ephemeral port, in a background thread. Verification (spec "Verifying signatures"):
one of the `v1` signatures must be one of the active secrets', `webhook-timestamp` must
be within `tolerance_s` of the receiver's clock (older or newer requests are refused, so
a captured request cannot be replayed later), and a `webhook-id` already processed is
acknowledged without being applied again. Ids are remembered for twice the window: a
replay older than that fails the timestamp check anyway.

Bodies are never logged (they hold personal data); the receiver keeps pids only.
"""

from __future__ import annotations

import json
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self

from activate.destinations.webhook import signing_keys, verify

PATH = "/hooks/cdp"
TOLERANCE_S = 300.0
"""The specification's libraries accept five minutes either way."""


class LocalReceiver:
    def __init__(
        self,
        secrets: str | Sequence[str],
        path: str = PATH,
        *,
        tolerance_s: float = TOLERANCE_S,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """Args:
        secrets: The active `whsec_` secrets (a list, or space-separated).
        path: The path it answers on.
        tolerance_s: How far `webhook-timestamp` may be from now, either way.
        clock: Unix seconds now.
        """
        joined = secrets if isinstance(secrets, str) else " ".join(secrets)
        self._keys = signing_keys(joined)
        self.path = path
        self.tolerance_s = tolerance_s
        self._clock = clock
        self.members: dict[str, set[str]] = defaultdict(set)
        """Segment id -> pids currently added."""
        self.batches = 0
        self.rejected = 0
        """Requests refused: bad or missing signature, outside the window, not JSON."""
        self.duplicates = 0
        """Requests whose webhook-id was processed already (acknowledged, not applied)."""
        self._seen: dict[str, float] = {}
        """webhook-id -> when it was processed."""
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self._server is not None, "receiver not started"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}{self.path}"

    def _refuse(self, status: int) -> int:
        with self._lock:
            self.rejected += 1
        return status

    def accept(self, path: str, headers: dict[str, str], body: bytes) -> int:
        """Handle one request (header names lower-cased); the HTTP status to answer."""
        if path != self.path:
            return 404
        msg_id = headers.get("webhook-id", "")
        stamp = headers.get("webhook-timestamp", "")
        signature = headers.get("webhook-signature", "")
        if not (msg_id and stamp.isdigit() and signature):
            return self._refuse(400)
        now = self._clock()
        if abs(now - int(stamp)) > self.tolerance_s:
            return self._refuse(401)
        if not verify(self._keys, msg_id, int(stamp), body, signature):
            return self._refuse(401)
        try:
            document: dict[str, Any] = json.loads(body)
            segment = str(document["segment"]["id"])
            action = document["action"]
            pids = [str(m["pid"]) for m in document["members"]]
        except (ValueError, KeyError, TypeError):
            return self._refuse(400)
        with self._lock:
            self._forget_before(now - 2 * self.tolerance_s)
            if msg_id in self._seen:
                self.duplicates += 1
                return 200  # a retry (or replay) of a batch already applied
            self._seen[msg_id] = now
            self.batches += 1
            held = self.members[segment]
            if action == "add":
                held.update(pids)
            elif action == "remove":
                held.difference_update(pids)
        return 200

    def _forget_before(self, cutoff: float) -> None:
        for msg_id in [m for m, at in self._seen.items() if at < cutoff]:
            del self._seen[msg_id]

    def start(self) -> Self:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:  # noqa: N802 - the http.server API
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                headers = {k.lower(): v for k, v in self.headers.items()}
                status = receiver.accept(self.path, headers, body)
                payload = b'{"failed":[]}' if status == 200 else b"{}"
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass  # no request lines in the logs

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
