"""A real HTTP server on 127.0.0.1 (ephemeral port) in a background thread.

`FakeApi` records every request, can be told to answer the next K matching requests
with a fault (429 with Retry-After, 500, 400...), and hands the rest to `route()`,
which a vendor fake implements. A broken contract (wrong path, header, body shape,
batch over the limit) raises `Violation`: the client gets a 4xx like the real API
would send, and the message is kept in `violations` for the test to show.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qs, urlsplit


class Violation(Exception):
    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    """Lower-cased names."""
    body: bytes

    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except ValueError as exc:
            raise Violation(f"body is not JSON: {exc}") from None

    def form(self) -> dict[str, str]:
        if "application/x-www-form-urlencoded" not in self.headers.get("content-type", ""):
            raise Violation("expected a form-encoded body")
        parsed = parse_qs(self.body.decode("utf-8"), keep_blank_values=True)
        return {key: values[-1] for key, values in parsed.items()}

    def param(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[-1] if values else None


@dataclass
class Reply:
    status: int = 200
    body: Any = None
    """dict/list: sent as JSON; bytes: sent as is; None: empty."""
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Fault:
    status: int
    remaining: int
    retry_after: str | None = None
    body: Any = None
    when: Callable[[Request], bool] | None = None
    headers: dict[str, str] = field(default_factory=dict)


class FakeApi:
    def __init__(self) -> None:
        self.requests: list[Request] = []
        self.violations: list[str] = []
        self.faults_served = 0
        self._faults: list[Fault] = []
        self._lock = threading.RLock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # to override ---------------------------------------------------------------

    def route(self, request: Request) -> Reply:
        raise Violation(f"no route for {request.method} {request.path}", 404)

    def violation_reply(self, violation: Violation) -> Reply:
        return Reply(violation.status, {"error": str(violation)})

    # fault injection -------------------------------------------------------------

    def inject(
        self,
        status: int,
        *,
        times: int = 1,
        retry_after: str | None = None,
        body: Any = None,
        when: Callable[[Request], bool] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        """Answer the next `times` requests (matching `when`) with `status`."""
        with self._lock:
            self._faults.append(Fault(status, times, retry_after, body, when, dict(headers or {})))

    def _fault_for(self, request: Request) -> Reply | None:
        for fault in self._faults:
            if fault.remaining > 0 and (fault.when is None or fault.when(request)):
                fault.remaining -= 1
                self.faults_served += 1
                headers = {"Retry-After": fault.retry_after} if fault.retry_after else {}
                headers.update(fault.headers)
                return Reply(fault.status, fault.body or {"error": "injected"}, headers)
        return None

    # dispatch --------------------------------------------------------------------

    def handle(self, request: Request) -> Reply:
        with self._lock:
            self.requests.append(request)
            fault = self._fault_for(request)
            if fault is not None:
                return fault
            try:
                return self.route(request)
            except Violation as violation:
                self.violations.append(f"{request.method} {request.path}: {violation}")
                return self.violation_reply(violation)

    def require(self, condition: bool, message: str, status: int = 400) -> None:
        if not condition:
            raise Violation(message, status)

    def calls(self, method: str, path_prefix: str = "") -> list[Request]:
        with self._lock:
            return [
                r for r in self.requests if r.method == method and r.path.startswith(path_prefix)
            ]

    # server ----------------------------------------------------------------------

    @property
    def url(self) -> str:
        assert self._server is not None, "server not started"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> Self:
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True
            timeout = 10

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                split = urlsplit(self.path)
                request = Request(
                    method=self.command,
                    path=split.path,
                    query=parse_qs(split.query, keep_blank_values=True),
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=body,
                )
                reply = api.handle(request)
                if isinstance(reply.body, bytes):
                    payload, ctype = reply.body, "application/octet-stream"
                elif reply.body is None:
                    payload, ctype = b"", "application/json"
                else:
                    payload, ctype = json.dumps(reply.body).encode(), "application/json"
                self.send_response(reply.status)
                headers = {"Content-Type": ctype, **reply.headers}
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_DELETE = do_PUT = do_PATCH = _serve

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass  # keep test output (and caplog) free of request lines

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )
        self._thread.start()
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
