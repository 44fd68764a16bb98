"""How far a sync has got, for whoever shows it (`cdp sync`'s progress bar).

The engine knows the members to send and hands them over in chunks; a destination splits
a chunk into its vendor's batches. Both report here: the engine runs delivery inside
`reporting(progress, listener)`, and `send_batches` calls `batch_done` after each batch,
so the count moves with every request, not only with every chunk of 10,000.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass
class SyncProgress:
    segment: str
    destination: str
    total: int
    """Members to add, update and remove in this run."""
    done: int = 0
    batches: int = 0
    """Vendor batches (requests of rows) delivered so far."""
    finished: bool = False


Listener = Callable[[SyncProgress], None]

_current: ContextVar[tuple[SyncProgress, Listener] | None] = ContextVar(
    "cdp_sync_progress", default=None
)


@contextmanager
def reporting(progress: SyncProgress, listener: Listener | None) -> Iterator[SyncProgress]:
    """Batches delivered inside are counted in `progress` and shown to `listener`."""
    if listener is None:
        yield progress
        return
    token = _current.set((progress, listener))
    try:
        listener(progress)
        yield progress
    finally:
        _current.reset(token)


def current() -> SyncProgress | None:
    """The progress of the sync being delivered in this context, if one is shown."""
    held = _current.get()
    return held[0] if held is not None else None


def batch_done(rows: int) -> None:
    """A destination delivered (or gave up on) one batch of `rows` members."""
    held = _current.get()
    if held is None:
        return
    progress, listener = held
    progress.batches += 1
    progress.done = min(progress.total, progress.done + rows)
    listener(progress)


def advance_to(done: int) -> None:
    """The engine finished a chunk: `done` members are handled in all."""
    held = _current.get()
    if held is None:
        return
    progress, listener = held
    progress.done = max(progress.done, min(progress.total, done))
    listener(progress)


def finish() -> None:
    held = _current.get()
    if held is None:
        return
    progress, listener = held
    progress.done = progress.total
    progress.finished = True
    listener(progress)
