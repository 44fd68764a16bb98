"""The web app's session store: bounded in time and number, CSRF compared exactly."""

from __future__ import annotations

from api.web.session import SessionStore, csrf_ok


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_sessions_expire_and_can_be_dropped() -> None:
    clock = Clock()
    store = SessionStore(ttl_s=10, clock=clock)
    sid, session = store.create("hash")
    assert store.get(sid) == session and session.key_hash == "hash"
    clock.now = 10
    assert store.get(sid) is None
    sid, _ = store.create("hash")
    store.drop(sid)
    assert store.get(sid) is None and store.get(None) is None and store.get("x" * 500) is None


def test_the_store_is_bounded_and_drops_the_oldest() -> None:
    store = SessionStore(ttl_s=100, max_sessions=3, clock=Clock())
    sids = [store.create(f"h{i}")[0] for i in range(5)]
    assert len(store) == 3
    assert store.get(sids[0]) is None and store.get(sids[4]) is not None


def test_csrf_must_match_exactly() -> None:
    _, session = SessionStore().create("h")
    assert csrf_ok(session, session.csrf)
    assert not csrf_ok(session, None) and not csrf_ok(session, "") and not csrf_ok(session, "x")
