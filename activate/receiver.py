"""A local webhook receiver for the demo: checks each batch's HMAC signature and keeps
the members it was told about, per segment.

It plays the customer's endpoint that the webhook destination posts to, on 127.0.0.1 and
an ephemeral port, in a background thread. Bodies are never logged (they hold personal
data); the receiver keeps pids only.
"""

from __future__ import annotations

import json
import threading
from collections import defaultdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self

from activate.destinations.webhook import verify

PATH = "/hooks/cdp"


class LocalReceiver:
    def __init__(self, secret: str, path: str = PATH) -> None:
        self.secret = secret
        self.path = path
        self.members: dict[str, set[str]] = defaultdict(set)
        """Segment id -> pids currently added."""
        self.batches = 0
        self.rejected = 0
        """Requests refused: bad signature, wrong path, not JSON."""
        self._seen: set[str] = set()
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self._server is not None, "receiver not started"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}{self.path}"

    def accept(self, path: str, headers: dict[str, str], body: bytes) -> int:
        """Handle one request; the HTTP status to answer."""
        if path != self.path:
            return 404
        if not verify(self.secret, body, headers.get("x-cdp-signature", "")):
            with self._lock:
                self.rejected += 1
            return 401
        try:
            document: dict[str, Any] = json.loads(body)
            segment = str(document["segment"]["id"])
            action = document["action"]
            pids = [str(m["pid"]) for m in document["members"]]
        except (ValueError, KeyError, TypeError):
            with self._lock:
                self.rejected += 1
            return 400
        key = headers.get("idempotency-key", "")
        with self._lock:
            if key and key in self._seen:
                return 200  # a retry of a batch already applied
            self._seen.add(key)
            self.batches += 1
            held = self.members[segment]
            if action == "add":
                held.update(pids)
            elif action == "remove":
                held.difference_update(pids)
        return 200

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
