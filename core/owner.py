"""Who runs a piece of work, and whether that process is still alive.

Write paths that hold a lease or leave marks behind (a resolution's write phase, a sync's
lock) record their owner: host name and process id. On the same host a dead owner is
known at once (its process id no longer runs), so its lease is taken over and its marks
healed without waiting for a timeout; an owner on another host is judged by its heartbeat.
"""

from __future__ import annotations

import os
import socket
from typing import TypedDict

__all__ = ["Owner", "is_dead", "this_owner"]


class Owner(TypedDict):
    host: str
    pid: int


def this_owner() -> Owner:
    """This process."""
    return {"host": socket.gethostname(), "pid": os.getpid()}


def is_dead(host: str | None, pid: int | None) -> bool:
    """Whether the owner is known to be dead: a process of this host that no longer runs
    (False for another host's process, or when the owner is not recorded)."""
    if host is None or pid is None or host != socket.gethostname():
        return False
    if pid == os.getpid():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    # A zombie (killed, not yet reaped by its parent) still answers signal 0.
    try:
        with open(f"/proc/{int(pid)}/stat", encoding="ascii") as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return False
