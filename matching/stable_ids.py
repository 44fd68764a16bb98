"""Stable profile ids: which component keeps which id when components merge and split.

Given the new components and each record's previous profile id:

- a previous id is *owned* by the component holding its largest part (most records; tie:
  the part with the smallest rid), so no id is kept by two components;
- a component that owns several previous ids is a merge: the id with the most history keeps
  (tie: the smallest id), the others are retired with `merged_into` pointing at it;
- a component that owns no previous id gets a new one: "created" when none of its records had
  a profile, otherwise it is a part split off another profile and appears in that profile's
  "split" event;
- a previous id whose records went to several components is a split, reported with the ids
  of the parts that left.

A merge and a split can happen at once: ownership is settled per id first (by part size),
then the surviving id per component (by history). History is known per profile, not per part,
so it cannot tell two parts of one profile apart; part size decides, then the smallest rid.

Everything is decided in the order of the components' smallest rids, including the calls to
`new_pid`, so the result does not depend on the order of the input.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import chain, count, repeat
from typing import Final, Literal

import numpy as np
import numpy.typing as npt

from core.memory import gc_paused
from matching.errors import InvalidComponents, ProfileIdCollision

IntArray = npt.NDArray[np.int64]

__all__ = ["CREATED", "MERGED", "SPLIT", "Assignment", "ProfileChange", "assign_profile_ids"]

ChangeKind = Literal["created", "merged", "split"]
CREATED: Final = "created"
MERGED: Final = "merged"
SPLIT: Final = "split"


@dataclass(frozen=True, slots=True)
class ProfileChange:
    """A change of profiles that activation may act on.

    Attributes:
        kind: "created" (a profile from records that had none), "merged" (`others` were
            retired into `pid`) or "split" (records of `pid` left for the profiles `others`).
        pid: The profile the event is about.
        others: For "merged", the retired ids; for "split", the ids of the parts that left;
            empty for "created". Sorted.
        records: Records moved: into `pid` from `others` for "merged", out of `pid` for
            "split", the profile's records for "created".
    """

    kind: ChangeKind
    pid: str
    others: tuple[str, ...] = ()
    records: int = 0


@dataclass(frozen=True, slots=True)
class Assignment:
    """The profile ids of a resolution.

    Attributes:
        membership: rid -> profile id, for every record of the components.
        profiles: The profile id of each component, in the order the components were given.
        events: Created, merged and split profiles, sorted by (pid, kind); unchanged
            profiles have none.
        retired: Previous id -> the id it was merged into.
    """

    membership: dict[str, str]
    profiles: list[str]
    events: list[ProfileChange] = field(default_factory=list)
    retired: dict[str, str] = field(default_factory=dict)


def _canonical(components: Sequence[Iterable[str]]) -> tuple[list[list[str]], list[int]]:
    """Each component sorted, and the component positions by smallest rid."""
    sorted_components = [sorted(c) for c in components]
    for position, members in enumerate(sorted_components):
        if not members:
            raise InvalidComponents(f"component {position} is empty")
    firsts = [members[0] for members in sorted_components]
    return sorted_components, sorted(range(len(firsts)), key=firsts.__getitem__)


def _repeated(rids: Iterable[str]) -> str:
    seen: set[str] = set()
    for rid in rids:
        if rid in seen:
            return rid
        seen.add(rid)
    return ""


@dataclass(slots=True)
class _Parts:
    """The parts of previous profiles: for each (component, previous id) that meet, the
    number of records and the position (in `flat`) of the part's smallest rid. Components
    are numbered in canonical order, previous ids by first sight."""

    flat: list[str]
    """Every rid, component after component in canonical order, each component sorted."""
    sizes: IntArray
    """Records per component."""
    pids: list[str]
    component: IntArray
    pid: IntArray
    records: IntArray
    first: IntArray

    @classmethod
    def build(
        cls, components: list[list[str]], order: list[int], previous: Mapping[str, str]
    ) -> _Parts:
        ordered = [components[p] for p in order]
        flat = list(chain.from_iterable(ordered))
        sizes = np.fromiter(map(len, ordered), dtype=np.int64, count=len(ordered))
        component_of = np.repeat(np.arange(len(ordered), dtype=np.int64), sizes)
        previous_ids = list(map(previous.get, flat))
        pids = [pid for pid in dict.fromkeys(previous_ids) if pid is not None]
        code_of: dict[str | None, int] = dict(zip(pids, count()))
        codes = np.fromiter(
            map(code_of.get, previous_ids, repeat(-1)), dtype=np.int64, count=len(flat)
        )
        carried = np.flatnonzero(codes >= 0)
        width = max(len(pids), 1)
        keys, first, records = np.unique(
            component_of[carried] * width + codes[carried], return_index=True, return_counts=True
        )
        # np.unique reports the first occurrence; components are sorted, so it is the
        # part's smallest rid.
        return cls(flat, sizes, pids, keys // width, keys % width, records, carried[first])


def _owners(parts: _Parts) -> tuple[IntArray, IntArray, IntArray]:
    """Who owns each previous id: the component holding its largest part.

    Returns:
        owner: per previous id (in the order of `by_pid` groups), the index of its owning part;
        bounds: where each id's group starts in `by_pid`, plus the end;
        by_pid: the part indices grouped by previous id, largest part first.
    """
    by_pid: IntArray = np.lexsort((-parts.records, parts.pid)).astype(np.int64)
    if len(by_pid) == 0:
        empty = np.empty(0, dtype=np.int64)
        return empty, np.zeros(1, dtype=np.int64), empty
    pid_sorted = parts.pid[by_pid]
    starts = np.flatnonzero(np.r_[True, pid_sorted[1:] != pid_sorted[:-1]]).astype(np.int64)
    bounds: IntArray = np.r_[starts, len(by_pid)].astype(np.int64)
    owner: IntArray = by_pid[starts].copy()
    # Equal largest parts are rare; the smallest rid decides, compared as text.
    runner_up = by_pid[np.minimum(starts + 1, len(by_pid) - 1)]
    tied = (np.diff(bounds) > 1) & (parts.records[runner_up] == parts.records[owner])
    for g in np.flatnonzero(tied).tolist():
        group = by_pid[bounds[g] : bounds[g + 1]].tolist()
        best = parts.records[group[0]]
        candidates = [i for i in group if parts.records[i] == best]
        owner[g] = min(candidates, key=lambda i: parts.flat[int(parts.first[i])])
    return owner, bounds, by_pid


def assign_profile_ids(
    components: Sequence[Iterable[str]],
    previous: Mapping[str, str],
    history: Mapping[str, float],
    new_pid: Callable[[], str],
) -> Assignment:
    """Give each component a profile id, keeping previous ids stable.

    Args:
        components: The components (lists of rids), e.g. `Resolution.components`. In
            incremental use they must hold every record of each previous profile they touch,
            or a profile's absent records would be taken for a part that left.
        previous: rid -> the profile id the record had; records without one are absent.
        history: Profile id -> how much history it carries (e.g. records and orders ever
            attached); missing ids count 0.
        new_pid: Returns a fresh profile id on each call.

    Returns:
        Membership, the id of each component, the events and the retired ids.

    Raises:
        InvalidComponents: A component is empty or a record is in two components.
        ProfileIdCollision: `new_pid` returned an id already in use.
    """
    with gc_paused():
        return _assign(components, previous, history, new_pid)


def _keep_ids(
    parts: _Parts, owner: IntArray, history: Mapping[str, float], n: int
) -> tuple[IntArray, list[ProfileChange], dict[str, str]]:
    """The previous id each component keeps (a code into `parts.pids`, -1 for none), with
    the merges: a component owning several ids keeps the one with the most history."""
    owner_component = parts.component[owner]
    owner_pid = parts.pid[owner]
    keep = np.full(n, -1, dtype=np.int64)
    single = np.bincount(owner_component, minlength=n)[owner_component] == 1
    keep[owner_component[single]] = owner_pid[single]

    merging: dict[int, list[int]] = {}
    for c, code in zip(owner_component[~single].tolist(), owner_pid[~single].tolist(), strict=True):
        merging.setdefault(c, []).append(code)
    width = max(len(parts.pids), 1)
    part_key = parts.component * width + parts.pid  # sorted, as np.unique returned it
    events: list[ProfileChange] = []
    retired: dict[str, str] = {}
    for c, codes in merging.items():
        names = [parts.pids[code] for code in codes]
        winner = min(names, key=lambda pid: (-history.get(pid, 0.0), pid))
        keep[c] = codes[names.index(winner)]
        others = sorted(name for name in names if name != winner)
        retired.update(dict.fromkeys(others, winner))
        moved_parts = [c * width + code for code in codes if parts.pids[code] != winner]
        moved = int(parts.records[np.searchsorted(part_key, moved_parts)].sum())
        events.append(ProfileChange(MERGED, winner, tuple(others), moved))
    return keep, events, retired


def _assign(
    components: Sequence[Iterable[str]],
    previous: Mapping[str, str],
    history: Mapping[str, float],
    new_pid: Callable[[], str],
) -> Assignment:
    sorted_components, order = _canonical(components)
    parts = _Parts.build(sorted_components, order, previous)
    n = len(order)
    owner, bounds, by_pid = _owners(parts)
    keep, events, retired = _keep_ids(parts, owner, history, n)

    # Components in canonical order from here on; new ids are drawn in that order.
    profiles = [parts.pids[k] if k >= 0 else "" for k in keep.tolist()]
    in_use = set(previous.values())
    touched = np.bincount(parts.component, minlength=n) > 0
    for c in np.flatnonzero(keep < 0).tolist():
        pid = new_pid()
        if pid in in_use:
            raise ProfileIdCollision(pid)
        in_use.add(pid)
        profiles[c] = pid
        if not touched[c]:
            events.append(ProfileChange(CREATED, pid, (), int(parts.sizes[c])))

    for g in np.flatnonzero(np.diff(bounds) > 1).tolist():
        group = by_pid[bounds[g] : bounds[g + 1]].tolist()
        left = [i for i in group if i != owner[g]]
        events.append(
            ProfileChange(
                SPLIT,
                parts.pids[int(parts.pid[group[0]])],
                tuple(sorted({profiles[int(parts.component[i])] for i in left})),
                int(parts.records[left].sum()),
            )
        )
    events.sort(key=lambda e: (e.pid, e.kind))

    per_record = np.repeat(np.array(profiles, dtype=object), parts.sizes).tolist()
    membership = dict(zip(parts.flat, per_record, strict=True))
    if len(membership) != len(parts.flat):
        raise InvalidComponents(f"record {_repeated(parts.flat)!r} is in two components")
    given_order = [""] * n
    for c, position in enumerate(order):
        given_order[position] = profiles[c]
    return Assignment(membership, given_order, events, retired)
