"""Browser sessions: an API key exchanged once for an HttpOnly, SameSite=Strict cookie.

The key never stays in the browser: the login posts it, the server checks it and answers
with a random session id in a cookie that scripts cannot read. The session remembers the
key's hash, not the key, and every request re-checks that hash (through the key cache), so
a revoked key ends its sessions within the cache's TTL.

Cookie-authenticated requests that can change or read data must carry the session's CSRF
token in `X-CSRF-Token` (the app reads it from `/app/api/session`); a page of another origin
can make the browser send the cookie but cannot read the token.

Sessions live in this process's memory, bounded in number and time: `cdp serve` runs one
process, and a restart logs everyone out (they log in again with their key).
"""

from __future__ import annotations

import hmac
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

SESSION_COOKIE = "cdp_session"
CSRF_HEADER = "x-csrf-token"


@dataclass(frozen=True, slots=True)
class Session:
    key_hash: str
    csrf: str
    expires: float


class SessionStore:
    """Session id -> the key hash it stands for, with a CSRF token and an expiry."""

    def __init__(
        self,
        ttl_s: float = 8 * 3600,
        max_sessions: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl_s = ttl_s
        self.max_sessions = max_sessions
        self._clock = clock
        self._sessions: dict[str, Session] = {}

    def create(self, key_hash: str) -> tuple[str, Session]:
        now = self._clock()
        if len(self._sessions) >= self.max_sessions:
            self._evict(now)
        sid = secrets.token_urlsafe(32)
        session = Session(key_hash, secrets.token_urlsafe(32), now + self.ttl_s)
        self._sessions[sid] = session
        return sid, session

    def get(self, sid: str | None) -> Session | None:
        if not sid or len(sid) > 128:
            return None
        session = self._sessions.get(sid)
        if session is None:
            return None
        if self._clock() >= session.expires:
            del self._sessions[sid]
            return None
        return session

    def drop(self, sid: str | None) -> None:
        if sid:
            self._sessions.pop(sid, None)

    def _evict(self, now: float) -> None:
        for sid in [s for s, v in self._sessions.items() if v.expires <= now]:
            del self._sessions[sid]
        while len(self._sessions) >= self.max_sessions:
            del self._sessions[next(iter(self._sessions))]  # the oldest first

    def __len__(self) -> int:
        return len(self._sessions)


def csrf_ok(session: Session, sent: str | None) -> bool:
    """True when the request carries the session's CSRF token (compared in constant time)."""
    return bool(sent) and hmac.compare_digest(session.csrf, sent or "")
