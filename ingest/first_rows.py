"""Where each record key of one file first occurred, kept on disk so memory stays flat.

A file is one system's snapshot, so a key seen twice in it is a mistake: the later row is
quarantined naming the row of the first occurrence. Holding every key of a file in a dict
grows with the file (tens of millions of keys in a 10 GB export); this ledger keeps them in
a private SQLite database instead. SQLite holds it in its page cache (bounded by
`CACHE_KIB`) and spills the rest to a temporary file in its temp directory (`SQLITE_TMPDIR`
or `TMPDIR`, else `/var/tmp` or `/tmp`), unlinked as soon as it is created, so a crash
leaves nothing behind.

Keys are looked up a chunk at a time, one query for many keys, not row by row.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence

CACHE_KIB = 32 * 1024
"""SQLite's page cache for the ledger: the most it holds in memory."""


class FirstRows:
    """The first row of each key of one file, over the whole file."""

    def __init__(self) -> None:
        # An empty name: a private temporary database, deleted when the connection closes.
        # Used by the thread that reads the file only; a generator closed from elsewhere
        # (garbage collection) may close it, hence no same-thread check.
        self._db = sqlite3.connect("", check_same_thread=False, isolation_level=None)
        for pragma in (
            "journal_mode = OFF",
            "synchronous = OFF",
            "locking_mode = EXCLUSIVE",
            f"cache_size = -{CACHE_KIB}",
        ):
            self._db.execute(f"PRAGMA {pragma}")
        self._db.execute(
            "CREATE TABLE first_rows (rid TEXT PRIMARY KEY, row INTEGER) WITHOUT ROWID"
        )

    def first(self, keys: Sequence[tuple[str, int]]) -> list[int]:
        """For each `(rid, row)` in file order, the row where `rid` first occurred (its own
        row when this is the first time); the new keys are remembered."""
        if not keys:
            return []
        distinct = list(dict.fromkeys(rid for rid, _ in keys))
        found = self._db.execute(
            "SELECT rid, row FROM first_rows WHERE rid IN (SELECT value FROM json_each(?))",
            (json.dumps(distinct),),
        )
        known: dict[str, int] = dict(found.fetchall())
        new: dict[str, int] = {}
        out = []
        for rid, row in keys:
            first = known.get(rid)
            out.append(first if first is not None else new.setdefault(rid, row))
        self._db.execute("BEGIN")
        self._db.executemany("INSERT INTO first_rows (rid, row) VALUES (?, ?)", new.items())
        self._db.execute("COMMIT")
        return out

    def close(self) -> None:
        self._db.close()
