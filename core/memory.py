"""Memory housekeeping for the bulk steps that build millions of objects."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while millions of acyclic objects are built.

    Each full collection walks every live object, so its repeated scans of a growing heap
    cost about as much as the work itself (reading a million profiles was several times
    slower). Reference counting still frees everything; the collector is re-enabled on exit
    if it was on.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
