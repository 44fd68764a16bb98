"""Fake webhook receiver: verifies Standard Webhooks signatures and dedupes on webhook-id.

Verification is written here from the specification (standardwebhooks.com,
"Signature scheme" and "Verifying signatures"), with the standard library only, so the
destination's signing (the `standardwebhooks` package) is checked against an
independent implementation: the key is the base64 after `whsec_`, the signed content
`{webhook-id}.{webhook-timestamp}.{body}`, the header a space-delimited list of
`v1,<base64 HMAC-SHA256>`; the timestamp must be within five minutes of `now()`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Callable
from typing import Any

from tests.fakes.server import FakeApi, Reply, Request

TOLERANCE_S = 300


def spec_signature(secret: str, msg_id: str, timestamp: str, body: bytes) -> str:
    key = base64.b64decode(secret.removeprefix("whsec_"))
    content = msg_id.encode() + b"." + timestamp.encode() + b"." + body
    return base64.b64encode(hmac.new(key, content, hashlib.sha256).digest()).decode()


class FakeWebhook(FakeApi):
    def __init__(
        self,
        secrets: str,
        path: str = "/hooks/cdp",
        now: Callable[[], float] = time.time,
    ) -> None:
        """`secrets`: the `whsec_` secrets it accepts, space-separated."""
        super().__init__()
        self.secrets = secrets.split()
        self.path = path
        self.now = now
        self.members: dict[str, set[str]] = {}
        self.refuse: set[str] = set()
        """Pids answered in the `failed` list."""
        self.processed: dict[str, dict[str, Any]] = {}
        """webhook-id -> the reply first given for it."""
        self.sequences: list[int] = []

    def verified(self, request: Request) -> bool:
        msg_id = request.headers.get("webhook-id", "")
        stamp = request.headers.get("webhook-timestamp", "")
        header = request.headers.get("webhook-signature", "")
        self.require(bool(msg_id and stamp and header), "missing webhook-* headers")
        self.require(stamp.isdigit(), "webhook-timestamp must be unix seconds")
        self.require(abs(self.now() - int(stamp)) <= TOLERANCE_S, "timestamp outside", 401)
        given = [s.partition(",")[2] for s in header.split(" ") if s.startswith("v1,")]
        expected = [spec_signature(s, msg_id, stamp, request.body) for s in self.secrets]
        return any(hmac.compare_digest(e, g) for e in expected for g in given)

    def route(self, request: Request) -> Reply:
        self.require(request.method == "POST" and request.path == self.path, "no route", 404)
        self.require(self.verified(request), "bad signature", 401)
        key = request.headers["webhook-id"]
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
