"""Fake webhook receiver: checks the HMAC signature and dedupes on Idempotency-Key."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from tests.fakes.server import FakeApi, Reply, Request


class FakeWebhook(FakeApi):
    def __init__(self, secret: str, path: str = "/hooks/cdp") -> None:
        super().__init__()
        self.secret = secret
        self.path = path
        self.members: dict[str, set[str]] = {}
        self.refuse: set[str] = set()
        """Pids answered in the `failed` list."""
        self.processed: dict[str, dict[str, Any]] = {}
        """Idempotency-Key -> the reply first given for it."""
        self.sequences: list[int] = []

    def route(self, request: Request) -> Reply:
        self.require(request.method == "POST" and request.path == self.path, "no route", 404)
        expected = (
            "sha256=" + hmac.new(self.secret.encode(), request.body, hashlib.sha256).hexdigest()
        )
        signature = request.headers.get("x-cdp-signature", "")
        self.require(hmac.compare_digest(expected, signature), "bad signature", 401)
        self.require(request.headers.get("x-cdp-timestamp", "").isdigit(), "timestamp")
        key = request.headers.get("idempotency-key")
        self.require(bool(key), "Idempotency-Key")
        assert key is not None
        if key in self.processed:
            return Reply(200, self.processed[key])
        document = request.json()
        self.require(document.get("action") in ("add", "remove"), "action")
        self.require(isinstance(document.get("sequence"), int), "sequence")
        self.require(isinstance(document.get("segment"), dict), "segment")
        members = document.get("members")
        self.require(isinstance(members, list) and bool(members), "members")
        stored = self.members.setdefault(document["segment"]["id"], set())
        failed = []
        for member in members:
            pid = member["pid"]
            if pid in self.refuse:
                failed.append({"pid": pid, "reason": f"refused {member.get('email')}"})
            elif document["action"] == "add":
                stored.add(pid)
            else:
                stored.discard(pid)
        self.sequences.append(document["sequence"])
        reply = {"received": len(members), "failed": failed}
        self.processed[key] = reply
        return Reply(200, reply)
