"""The diff of a segment against what a destination last received.

Pure: members in, a plan out. A member leaves the destination's audience when it leaves
the segment (or is retired by a merge, or deleted), when it loses consent for the
destination's channel, or when the destination can no longer take it (no email for an
email tool); its removal is built from what was last sent.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from activate.destinations.base import Member, RowError
from activate.sync.members import ConsentName, has_consent, member_from_row, row_hash


@dataclass
class Plan:
    adds: list[Member] = field(default_factory=list)
    updates: list[Member] = field(default_factory=list)
    removes: list[str] = field(default_factory=list)
    """Pids the destination holds that must go."""
    invalid: list[RowError] = field(default_factory=list)
    """Members the destination cannot take; never sent."""
    no_consent: int = 0
    unchanged: int = 0
    members: int = 0
    """Segment members considered."""
    hashes: dict[str, str] = field(default_factory=dict)
    """pid -> hash of the adds and updates, recorded once they are delivered."""


def plan_sync(
    rows: Iterable[Mapping[str, Any]],
    synced: Mapping[str, str],
    *,
    attributes: Sequence[str],
    required_consent: Sequence[ConsentName],
    validate: Callable[[Member], str | None],
) -> Plan:
    """Compare the segment's members (`rows`) with `synced` (pid -> hash last sent)."""
    plan = Plan()
    current: set[str] = set()
    for row in rows:
        plan.members += 1
        if not has_consent(row, required_consent):
            plan.no_consent += 1
            continue
        pid = str(row["pid"])
        digest = row_hash(row, attributes)
        old = synced.get(pid)
        if old == digest:
            # Sent as it is now: valid then, and validity depends on what was sent.
            current.add(pid)
            plan.unchanged += 1
            continue
        member = member_from_row(row, attributes)
        reason = validate(member)
        if reason is not None:
            plan.invalid.append(RowError(pid, reason))
            continue
        current.add(pid)
        (plan.adds if old is None else plan.updates).append(member)
        plan.hashes[pid] = digest
    plan.adds.sort(key=lambda m: m.pid)
    plan.updates.sort(key=lambda m: m.pid)
    plan.removes = sorted(pid for pid in synced if pid not in current)
    return plan
