"""The identifier links a per-profile limit refused, written as changes to what is stored:
a resolution that refuses what the last one refused writes nothing."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RefusalChanges:
    write: list[tuple[str, str, str]]
    """(rid, identifier key, reason) of refusals that are new or whose reason changed."""
    clear: list[tuple[str, str]]
    """(rid, identifier key) of stored refusals that no longer hold."""

    def __bool__(self) -> bool:
        return bool(self.write or self.clear)


def refusal_changes(
    refused: Iterable[tuple[str, str, str]], stored: Mapping[tuple[str, str], str]
) -> RefusalChanges:
    """What to write so that the stored refusals (`stored`, of the records resolved) become
    `refused`, (rid, identifier key, reason) in the order resolution found them. A link
    refused twice (a household identifier's member keys share one link) keeps the last
    reason, as writing them in order did."""
    wanted: dict[tuple[str, str], str] = {}
    for rid, key, reason in refused:
        wanted[(rid, key)] = reason
    write = [(rid, key, why) for (rid, key), why in wanted.items() if stored.get((rid, key)) != why]
    clear = sorted(link for link in stored if link not in wanted)
    return RefusalChanges(write, clear)
