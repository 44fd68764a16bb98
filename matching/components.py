"""Golden profiles as connected components of records, under merge protection.

Two records belong to one profile when a path joins them through identifiers allowed to link
or through accepted `MATCHES` pairs. `resolve_components` computes those components from plain
data the graph layer reads, in four steps:

1. Links through identifiers that are blocked (`Protection.is_blocked`), generic
   (`Protection.detect_generic`) or marked shared by an operator are dropped, and so are
   rejected matches; each dropped link is reported.
2. Strong matches are applied first, then identifier links in priority order (the
   configuration's `priority`, then type name, then key), then matches, then forced links.
   An identifier joins the profiles of its records one at a time, in the order of their
   records' rids. A join through an identifier or a match is refused when the merged profile
   would hold more distinct identifiers of some type than `max_per_profile` (or, per source
   system, `max_per_profile_per_source`) and more than either side held before: the
   identifier (or match) then does not join those two profiles, and a `LimitViolation` says
   why. A join that would put two records kept apart (two members of one family, a pair
   an operator rejected) into one profile is refused too, for matches and for identifiers
   of the types that respect it (see `apart` and `apart_types`). Strong matches (those the
   caller found probable enough, see `IdentityConfig.strong_match_probability`) and forced
   links always join whatever the limits: the limits guard against shared identifiers, and
   such a match is evidence about the people themselves.
   Likewise an identifier of a type in `IdentityConfig.duplicate_account_types` joins past a
   limit when a record on each side carries it under names that can be one person's
   (`same_person`; the resolver asks `matching.names.duplicate_account_names`):
   one person's second POS customer id or web-shop account at one email or phone; and, with
   `IdentityConfig.duplicate_account_matches`, so does an accepted match between two records
   under the same full name (the second account found by name, address and postcode).
   Blocked, generic and shared identifiers do not count towards limits; types that do not
   link still count.
3. Only components that could break a limit need the ordered process: the components of the
   unrestricted graph are computed at once (scipy's `connected_components` on the bipartite
   record-identifier graph), and a component whose whole holds no more than each limit allows
   is final, because no join inside it can pass a limit. The ordered union-find, with
   per-profile sets of identifiers merged small into large, runs on the others only.
4. Components are listed by their smallest rid, each sorted, so the result does not depend on
   the order of the input.

Incremental use: the function may be given only the records of the touched components. When
the input is closed (every record joined to an input record by a linking identifier, an
accepted match or a forced link is in the input, with all of its identifiers and links), the
result is the full result restricted to those records: the decisions inside one unrestricted
component depend only on that component's records, identifiers and links, and on an order
that does not depend on anything outside it. A larger closed input (say, a closure that also
followed blocked identifiers) gives the same components for the records it shares.

No personal data is logged here; the report objects carry rids and identifier keys for the
caller to store, not to log.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from itertools import count, repeat
from operator import itemgetter
from typing import Final

import numpy as np
import numpy.typing as npt
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from core.memory import gc_paused
from matching.apart import EITHER_PERSON
from matching.config import IdentityConfig
from matching.protection import Protection

__all__ = [
    "APART",
    "BLOCKED",
    "INCONSISTENT",
    "GENERIC",
    "LIMIT_PREFIX",
    "OPERATOR_REJECTION",
    "REJECTED",
    "SHARED",
    "LimitViolation",
    "Resolution",
    "SkippedLink",
    "SkippedMatch",
    "combine",
    "resolve_components",
]

BLOCKED: Final = "blocked"
GENERIC: Final = "generic"
SHARED: Final = "shared"
REJECTED: Final = "rejected"
APART: Final = "apart"
INCONSISTENT: Final = "inconsistent"
"""A conditional match (`conditional_matches`) whose two profiles did not agree."""
LIMIT_PREFIX: Final = "limit:"
OPERATOR_REJECTION: Final = "rejected by an operator"
"""The rule that keeps apart two records an operator said are different people."""

IntArray = npt.NDArray[np.int64]

# What an identifier may do, decided once per distinct key.
_LINK: Final = 0  # links and counts towards limits
_COUNT: Final = 1  # a type that does not link: counts towards limits only
_BLOCKED: Final = 2
_SHARED: Final = 3
_GENERIC: Final = 4
_UNKNOWN: Final = 5  # a type the configuration does not name: ignored
_IGNORED: Final = 6  # blocked, shared or generic, of a type that does not link anyway


@dataclass(frozen=True, slots=True)
class SkippedLink:
    """A record's identifier that did not join it to anything.

    Attributes:
        rid: The record.
        identifier_key: The identifier.
        reason: "blocked", "generic", "shared", "limit:<type>" or "apart".
        detail: The rule: "blocked_value:noemail@*", "generic:given_names=12>=8",
            "operator", "max_per_profile=1", "max_per_profile_per_source=1 (pos)", or for
            "apart" the rule and the two records it keeps apart.
    """

    rid: str
    identifier_key: str
    reason: str
    detail: str


@dataclass(frozen=True, slots=True)
class SkippedMatch:
    """A `MATCHES` pair that did not join its records.

    Attributes:
        a: The smaller rid of the pair.
        b: The larger rid.
        reason: "rejected" (by an operator), "limit:<type>", "apart" (it would have put
            two records kept apart into one profile) or "inconsistent" (a conditional match
            between profiles that do not agree).
        detail: "operator", the limit as in `SkippedLink.detail`, for "apart" the rule
            and the two records it keeps apart, for "inconsistent" what disagreed.
    """

    a: str
    b: str
    reason: str
    detail: str


@dataclass(frozen=True, slots=True)
class LimitViolation:
    """A join refused because the merged profile would pass a per-profile limit.

    Attributes:
        identifier_key: The identifier that would have joined, or None for a match.
        match: The (a, b) pair that would have joined, or None for an identifier.
        type: The identifier type whose limit it would pass.
        limit: The limit.
        source: The source system, for a per-source limit; None otherwise.
        would_hold: How many distinct identifiers of the type the merged profile would hold.
        sizes: Records in the profile built so far and in the profile refused.
    """

    identifier_key: str | None
    match: tuple[str, str] | None
    type: str
    limit: int
    source: str | None
    would_hold: int
    sizes: tuple[int, int]


@dataclass(frozen=True, eq=False)
class Resolution:
    """The components, and every link that was left out and why.

    Attributes:
        records: Every input rid, sorted.
        labels: For each rid of `records`, the index of its component in `components`.
        components: The components, each sorted, listed by their first rid.
        skipped_links: Identifier links dropped, sorted by (rid, identifier_key): blocked,
            generic and shared identifiers carried by two or more input records, of types
            that link, and links refused by a limit. An identifier on one record links
            nothing and a type configured with `link: false` never links: neither is listed.
        skipped_matches: Matches dropped, sorted by (a, b).
        violations: Joins refused by a per-profile limit, in the order they were decided.
        unknown_types: Identifier types seen in the input but not configured (never link).
        outside_scope: Identifier pairs, matches and forced links naming a record that is
            not in `records`; they were ignored.
    """

    records: list[str]
    labels: IntArray
    components: list[list[str]]
    skipped_links: list[SkippedLink] = field(default_factory=list)
    skipped_matches: list[SkippedMatch] = field(default_factory=list)
    violations: list[LimitViolation] = field(default_factory=list)
    unknown_types: list[str] = field(default_factory=list)
    outside_scope: int = 0

    @cached_property
    def component_of(self) -> dict[str, int]:
        """rid -> index of its component in `components` (built on first use)."""
        return dict(zip(self.records, self.labels.tolist(), strict=True))


@dataclass(slots=True)
class _Slots:
    """The limits as numbered slots: one per limited type, one per (type, source) pair."""

    type_names: list[str]
    """Configured types by (priority, name): the type index used everywhere below."""
    global_limit: IntArray
    """Per type index: max_per_profile, 0 for none."""
    source_limit: IntArray
    """Per type index: max_per_profile_per_source, 0 for none."""
    sources: list[str]
    """Source names of the records, for per-source slots (filled on demand)."""


def _type_table(config: IdentityConfig) -> _Slots:
    ordered = sorted(config.identifier_types.items(), key=lambda kv: (kv[1].priority, kv[0]))
    names = [name for name, _ in ordered]
    global_limit = np.array([t.max_per_profile or 0 for _, t in ordered], dtype=np.int64)
    source_limit = np.array([t.max_per_profile_per_source or 0 for _, t in ordered], dtype=np.int64)
    return _Slots(names, global_limit, source_limit, [])


def _unique(values: IntArray) -> IntArray:
    """Sorted distinct values. (`np.unique` without return arrays takes a hash-based path
    that is many times slower than sorting for int64.)"""
    ordered = np.sort(values)
    if len(ordered) < 2:
        return ordered
    keep = np.empty(len(ordered), dtype=bool)
    keep[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=keep[1:])
    result: IntArray = ordered[keep]
    return result


def _source(rid: str) -> str:
    return rid.partition(":")[0]


class _Input:
    """The input as integer arrays: records by sorted rid, identifiers by first sight."""

    def __init__(
        self,
        records: Iterable[str],
        record_identifiers: Iterable[tuple[str, str]],
        matches: Iterable[tuple[str, str]],
        forced_links: Iterable[tuple[str, str]],
        rejected_matches: Iterable[tuple[str, str]],
        strong_matches: Iterable[tuple[str, str]] = (),
        match_probability: Mapping[tuple[str, str], float] | None = None,
        conditional_matches: Iterable[tuple[str, str]] = (),
        checked_matches: Iterable[tuple[str, str]] = (),
    ) -> None:
        self.rids = sorted(set(records))
        self.index = dict(zip(self.rids, count()))
        # Column-wise with map() so the per-pair work runs in C: this is the hot loop at
        # millions of pairs.
        pairs = (
            record_identifiers if isinstance(record_identifiers, list) else list(record_identifiers)
        )
        rec_col = list(map(self.index.get, map(itemgetter(0), pairs), repeat(-1)))
        key_col = list(map(itemgetter(1), pairs))
        # Each key is numbered by the position where it first appears, then densely.
        self._first_seen: dict[str, int] = {}
        first = np.fromiter(
            map(self._first_seen.setdefault, key_col, count()), dtype=np.int64, count=len(key_col)
        )
        self._positions, key = np.unique(first, return_inverse=True)
        self.keys: list[str] = list(map(key_col.__getitem__, self._positions.tolist()))
        n_keys = max(len(self.keys), 1)
        rec = np.array(rec_col, dtype=np.int64)
        known = rec >= 0
        self.outside = int(len(rec) - np.count_nonzero(known))
        codes = _unique(rec[known] * n_keys + key[known])
        self.pair_rec: IntArray = codes // n_keys
        self.pair_key: IntArray = codes % n_keys

        rejected = {(min(a, b), max(a, b)) for a, b in rejected_matches}
        # Every rejected pair in the input, matched or not: the operator said two people.
        self.rejected_pairs: list[tuple[int, int]] = []
        for a, b in sorted(rejected):
            i, j = self.index.get(a), self.index.get(b)
            if i is not None and j is not None and i != j:
                self.rejected_pairs.append((min(i, j), max(i, j)))
        self.matches, self.rejected = self._pairs(matches, rejected)
        self.forced, _ = self._pairs(forced_links, set())
        self.strong, _ = self._pairs(strong_matches, rejected)
        self.probability = match_probability or {}
        conditional, _ = self._pairs(conditional_matches, rejected)
        self.conditional: set[tuple[int, int]] = set(conditional) & set(self.matches)
        checked, _ = self._pairs(checked_matches, rejected)
        self.checked: set[tuple[int, int]] = (set(checked) & set(self.matches)) - self.conditional
        """Matches that join in their turn, and only profiles that agree (`consistent`)."""
        """Matches that join only profiles that agree (`consistent`), after every other link."""
        if match_probability:
            self.matches = self._strongest_first(self.matches, match_probability)
            self.strong = self._strongest_first(self.strong, match_probability)

    def _strongest_first(
        self, pairs: list[tuple[int, int]], probability: Mapping[tuple[str, str], float]
    ) -> list[tuple[int, int]]:
        """Pairs by falling probability (then by rid), so that where a join is refused
        it is the weakest link's."""
        rids = self.rids

        def strength(pair: tuple[int, int]) -> float:
            a, b = rids[pair[0]], rids[pair[1]]
            p = probability.get((a, b), probability.get((b, a)))
            return -(p if p is not None else 0.0)

        return sorted(pairs, key=lambda pair: (strength(pair), pair))

    def key_ids(self, keys: Iterable[str]) -> dict[str, int]:
        """The numbers of those keys that occur in the input."""
        found = {key: p for key in keys if (p := self._first_seen.get(key)) is not None}
        ids = np.searchsorted(self._positions, list(found.values())).tolist()
        return dict(zip(found, ids, strict=True))

    def _pairs(
        self, pairs: Iterable[tuple[str, str]], rejected: set[tuple[str, str]]
    ) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
        kept: set[tuple[int, int]] = set()
        dropped: set[tuple[int, int]] = set()
        for a, b in pairs:
            i, j = self.index.get(a), self.index.get(b)
            if i is None or j is None:
                self.outside += 1
                continue
            if i == j:
                continue
            pair = (i, j) if i < j else (j, i)
            if (self.rids[pair[0]], self.rids[pair[1]]) in rejected:
                dropped.add(pair)
            else:
                kept.add(pair)
        return sorted(kept), sorted(dropped)


def _classify_keys(
    data: _Input,
    protection: Protection,
    config: IdentityConfig,
    slots: _Slots,
    shared: Iterable[str],
    generic: Mapping[str, str],
    blocked: Mapping[str, str] | None,
    carriers: IntArray,
) -> tuple[IntArray, IntArray, dict[int, str], set[str], npt.NDArray[np.bool_]]:
    """Per key: its status, its type index (-1 when unknown), the reason when dropped, and
    whether the blocked-value check was left for later (see `_recheck_single_carriers`)."""
    type_index = {name: i for i, name in enumerate(slots.type_names)}
    links = np.array(
        [config.identifier_types[name].link for name in slots.type_names] + [False], dtype=bool
    )
    type_names = [key.partition(":")[0] if ":" in key else "" for key in data.keys]
    types = np.array([type_index.get(t, -1) for t in type_names], dtype=np.int64)
    unknown = {t for t, i in zip(type_names, types.tolist(), strict=True) if i < 0}
    status = np.where(links[types], _LINK, _COUNT).astype(np.int64)
    status[types < 0] = _UNKNOWN

    unchecked = np.zeros(len(data.keys), dtype=bool)
    if blocked is None:
        # A key carried by one record joins nothing, so the check, the costliest step per
        # key, only matters for limits, and only in risky components.
        unchecked = (carriers < 2) & (types >= 0)
        blocked = protection.blocked_keys(
            data.keys[k] for k in np.flatnonzero((carriers >= 2) & (types >= 0)).tolist()
        )
    reasons: dict[int, str] = {}
    # Later assignments win: blocked over shared over generic.
    for code, found in (
        (_GENERIC, generic),
        (_SHARED, dict.fromkeys(shared, "operator")),
        (_BLOCKED, blocked),
    ):
        for key, k in data.key_ids(found).items():
            if types[k] >= 0:
                status[k] = code if links[types[k]] else _IGNORED
                reasons[k] = found[key]
    return status, types, reasons, unknown, unchecked


def _recheck_single_carriers(
    data: _Input,
    members: IntArray,
    status: IntArray,
    unchecked: npt.NDArray[np.bool_],
    protection: Protection,
) -> IntArray:
    """`status` with the single-carrier keys of the given records checked for blocked
    values, so that blocked ones do not count towards limits."""
    chosen = np.zeros(len(data.rids), dtype=bool)
    chosen[members] = True
    keys = _unique(data.pair_key[chosen[data.pair_rec]])
    keys = keys[unchecked[keys]]
    blocked = protection.blocked_keys(data.keys[k] for k in keys.tolist())
    if not blocked:
        return status
    status = status.copy()
    for k in data.key_ids(blocked).values():
        status[k] = _IGNORED
    return status


def _unrestricted_labels(data: _Input, linking: npt.NDArray[np.bool_]) -> IntArray:
    """Components of records joined by every allowed link, limits ignored."""
    n = len(data.rids)
    rows = [data.pair_rec[linking]]
    cols = [data.pair_key[linking] + n]
    for pairs in (data.matches, data.strong, data.forced):
        if pairs:
            arr = np.array(pairs, dtype=np.int64)
            rows.append(arr[:, 0])
            cols.append(arr[:, 1])
    row, col = np.concatenate(rows), np.concatenate(cols)
    size = n + len(data.keys)
    graph = coo_matrix((np.ones(len(row), dtype=np.int8), (row, col)), shape=(size, size))
    _, labels = connected_components(graph.tocsr(), directed=False)
    result: IntArray = np.asarray(labels[:n], dtype=np.int64)
    return result


def _apart_pairs(
    data: _Input,
    labels: IntArray,
    apart: Callable[[Sequence[str]], Iterable[tuple[str, str, str]]],
) -> list[tuple[int, int, str]]:
    """The pairs (record, record, reason) that `apart` keeps apart, asked once per
    unrestricted component of two or more records; a pair is only kept apart inside one."""
    order = np.argsort(labels, kind="stable")
    ordered = labels[order]
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    ends = np.r_[starts[1:], len(order)]
    multi = (ends - starts) > 1
    rids, index = data.rids, data.index
    found: list[tuple[int, int, str]] = []
    for start, end in zip(starts[multi].tolist(), ends[multi].tolist(), strict=True):
        # `order` is stable over sorted rids, so each component's rids come sorted.
        members = [rids[i] for i in order[start:end].tolist()]
        for a, b, reason in apart(members):
            i, j = index.get(a), index.get(b)
            if i is not None and j is not None and i != j and labels[i] == labels[j]:
                found.append((min(i, j), max(i, j), reason))
    return sorted(set(found))


def _rejected_apart(data: _Input, labels: IntArray) -> list[tuple[int, int, str]]:
    """The operator's rejected pairs that other links put in one unrestricted component:
    kept apart like the family rule's pairs."""
    return [(i, j, OPERATOR_REJECTION) for i, j in data.rejected_pairs if labels[i] == labels[j]]


def _over_limit(groups: IntArray, limits: IntArray, n_types: int) -> IntArray:
    """Components (group // n_types) of the groups whose count passes the type's limit."""
    ids, counts = np.unique(groups, return_counts=True)
    over = counts > limits[ids % n_types]
    result: IntArray = _unique(ids[over] // n_types)
    return result


def _risky_components(
    data: _Input, labels: IntArray, counting: npt.NDArray[np.bool_], types: IntArray, slots: _Slots
) -> IntArray:
    """Unrestricted components whose whole holds more identifiers than some limit allows."""
    n_types = len(slots.type_names)
    n_keys = max(len(data.keys), 1)
    rec, key = data.pair_rec[counting], data.pair_key[counting]
    key_type = types[key]
    found: list[IntArray] = []

    chosen = slots.global_limit[key_type] > 0
    if chosen.any():
        codes = _unique(labels[rec[chosen]] * n_keys + key[chosen])
        groups = (codes // n_keys) * n_types + types[codes % n_keys]
        found.append(_over_limit(groups, slots.global_limit, n_types))

    chosen = slots.source_limit[key_type] > 0
    if chosen.any():
        rec_s, key_s = rec[chosen], key[chosen]
        unique_recs, inverse = np.unique(rec_s, return_inverse=True)
        names = [_source(data.rids[r]) for r in unique_recs.tolist()]
        slots.sources = sorted(set(names))
        lookup = {name: i for i, name in enumerate(slots.sources)}
        src = np.array([lookup[name] for name in names], dtype=np.int64)[inverse]
        n_src = len(slots.sources)
        comp_src = labels[rec_s] * n_src + src
        codes = _unique(comp_src * n_keys + key_s)
        groups = (codes // n_keys) * n_types + types[codes % n_keys]
        over = _over_limit(groups, slots.source_limit, n_types)
        found.append(over // n_src)

    if not found:
        return np.empty(0, dtype=np.int64)
    result: IntArray = _unique(np.concatenate(found))
    return result


class _LimitedUnion:
    """Union-find over the records of risky components, keeping per-profile identifier sets.

    A profile's state maps a slot to the set of distinct identifiers it holds there; slot
    `t` is type t's global limit and slot `(t, s)` its limit for source s. States merge
    small into large, so each identifier moves O(log n) times.
    """

    def __init__(self, size: int, slots: _Slots) -> None:
        self.parent = list(range(size))
        self.records = [1] * size
        self.state: list[dict[tuple[int, int], set[int]] | None] = [None] * size
        self.slots = slots
        self.apart: list[set[int] | None] = [None] * size
        """Per root: the records that must not join its profile by a match."""
        self.partners: dict[int, list[int]] = {}
        """Per record kept apart from others: those others."""
        self.members: list[list[int]] | None = None
        """Per root, its records, once `track_members` is called."""

    def track_members(self) -> None:
        """Keep each root's records from now on (merged small into large on a union)."""
        if self.members is None:
            self.members = [[] for _ in self.parent]
            for x in range(len(self.parent)):
                self.members[self.find(x)].append(x)

    def keep_apart(self, a: int, b: int) -> None:
        """Records a and b (not yet joined) must not end in one profile by a match."""
        for x, y in ((a, b), (b, a)):
            self.partners.setdefault(x, []).append(y)
            root = self.find(x)
            mine = self.apart[root]
            if mine is None:
                self.apart[root] = {y}
            else:
                mine.add(y)

    def kept_apart(self, a: int, b: int) -> tuple[int, int] | None:
        """Records (one of root a's profile, one of root b's) that must stay apart, or None."""
        sa, sb = self.apart[a], self.apart[b]
        if not sa or not sb:
            return None
        # Each side of a kept-apart pair names the other, so the smaller set suffices.
        flipped = len(sa) > len(sb)
        mine, here, there = (sb, b, a) if flipped else (sa, a, b)
        for x in sorted(mine):
            if self.find(x) == there:
                y = min(p for p in self.partners[x] if self.find(p) == here)
                return (x, y) if flipped else (y, x)
        return None

    def find(self, x: int) -> int:
        parent = self.parent
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def limit(self, slot: tuple[int, int]) -> int:
        t, source = slot
        return int(self.slots.global_limit[t] if source < 0 else self.slots.source_limit[t])

    def violation(self, a: int, b: int) -> tuple[tuple[int, int], int] | None:
        """The first slot (by type priority) the union of roots a and b would pass."""
        sa, sb = self.state[a], self.state[b]
        if not sa or not sb:
            return None
        small, big = (sa, sb) if len(sa) <= len(sb) else (sb, sa)
        worst: tuple[tuple[int, int], int] | None = None
        for slot, one in small.items():
            other = big.get(slot)
            if other is None:
                continue
            limit = self.limit(slot)
            if len(one) + len(other) <= limit:
                continue
            if len(one) > len(other):
                one, other = other, one
            union = len(other) + sum(1 for x in one if x not in other)
            if union > limit and union > len(other) and (worst is None or slot < worst[0]):
                worst = (slot, union)
        return worst

    def union(self, a: int, b: int) -> int:
        if self.records[a] < self.records[b]:
            a, b = b, a
        self.parent[b] = a
        self.records[a] += self.records[b]
        sa, sb = self.state[a], self.state[b]
        if sb:
            if not sa:
                self.state[a] = sb
            else:
                for slot, ids in sb.items():
                    mine = sa.get(slot)
                    if mine is None:
                        sa[slot] = ids
                    elif len(mine) < len(ids):
                        ids.update(mine)
                        sa[slot] = ids
                    else:
                        mine.update(ids)
        self.state[b] = None
        xa, xb = self.apart[a], self.apart[b]
        if xb:
            if not xa:
                self.apart[a] = xb
            elif len(xa) < len(xb):
                xb.update(xa)
                self.apart[a] = xb
            else:
                xa.update(xb)
        self.apart[b] = None
        if self.members is not None:
            ma, mb = self.members[a], self.members[b]
            if len(ma) < len(mb):
                mb.extend(ma)
                self.members[a] = mb
            else:
                ma.extend(mb)
            self.members[b] = []
        return a


@dataclass(slots=True)
class _Person:
    """The profiles one identifier joins into one: its current root, the identifier's
    carriers in it, and how many profiles it joined."""

    root: int
    carriers: list[int]
    profiles: int = 1


class _Ordered:
    """The ordered, limit-checked process over the records of the risky components."""

    def __init__(
        self,
        data: _Input,
        members: IntArray,
        status: IntArray,
        types: IntArray,
        slots: _Slots,
        same_person: Callable[[str, str, bool], bool] | None = None,
        duplicate_types: Collection[str] = (),
        duplicate_matches: bool = False,
        apart: Iterable[tuple[int, int, str]] = (),
        apart_types: Collection[str] = (),
        consistent: Callable[[Sequence[str], Sequence[str], float | None], str | None]
        | None = None,
    ) -> None:
        self.data = data
        self.consistent = consistent
        self.either: dict[int, str] = {}
        """Records whose conditional or checked matches could be two people's."""
        self.holds_apart = np.array(
            [name in apart_types for name in slots.type_names] + [False], dtype=bool
        )
        """Per type index: whether its joins respect the records kept apart."""
        self.same_person = same_person
        self.duplicate_types = frozenset(duplicate_types)
        self.duplicate_matches = duplicate_matches
        self.slots = slots
        self.members = members
        self.types = types
        self.local = dict(zip(members.tolist(), count()))
        self.uf = _LimitedUnion(len(members), slots)
        self.skipped: list[SkippedLink] = []
        self.skipped_matches: list[SkippedMatch] = []
        self.violations: list[LimitViolation] = []
        self.apart_reason: dict[tuple[int, int], str] = {}
        for a, b, reason in apart:
            i, j = self.local[a], self.local[b]
            self.uf.keep_apart(i, j)
            self.apart_reason[(min(i, j), max(i, j))] = reason

        chosen = np.zeros(len(data.rids), dtype=bool)
        chosen[members] = True
        inside = chosen[data.pair_rec]
        rec, key = data.pair_rec[inside], data.pair_key[inside]
        key_status, key_type = status[key], types[key]
        self._seed_state(rec, key, key_status, key_type)
        self.linking: dict[int, list[int]] = {}
        for r, k in zip(
            rec[key_status == _LINK].tolist(), key[key_status == _LINK].tolist(), strict=True
        ):
            self.linking.setdefault(k, []).append(self.local[r])

    def _seed_state(
        self, rec: IntArray, key: IntArray, key_status: IntArray, key_type: IntArray
    ) -> None:
        counting = (key_status == _LINK) | (key_status == _COUNT)
        sources = {name: i for i, name in enumerate(self.slots.sources)}
        state = self.uf.state
        for r, k, t in zip(
            rec[counting].tolist(), key[counting].tolist(), key_type[counting].tolist(), strict=True
        ):
            slot_keys: list[tuple[int, int]] = []
            if self.slots.global_limit[t]:
                slot_keys.append((t, -1))
            if self.slots.source_limit[t]:
                slot_keys.append((t, sources[_source(self.data.rids[r])]))
            if not slot_keys:
                continue
            i = self.local[r]
            mine = state[i]
            if mine is None:
                mine = state[i] = {}
            for slot in slot_keys:
                mine.setdefault(slot, set()).add(k)

    def _refusal(
        self,
        refused: tuple[tuple[int, int], int],
        sizes: tuple[int, int],
        identifier_key: str | None = None,
        match: tuple[str, str] | None = None,
    ) -> tuple[str, str]:
        """Record a refused join; return the (reason, detail) for the skipped-link report."""
        (t, source), union = refused
        name = self.slots.type_names[t]
        limit = self.uf.limit((t, source))
        if source < 0:
            detail, source_name = f"max_per_profile={limit}", None
        else:
            source_name = self.slots.sources[source]
            detail = f"max_per_profile_per_source={limit} ({source_name})"
        self.violations.append(
            LimitViolation(identifier_key, match, name, limit, source_name, union, sizes)
        )
        return LIMIT_PREFIX + name, detail

    def link_identifiers(self) -> None:
        keys = self.data.keys
        ordered = sorted(self.linking, key=lambda k: (int(self.types[k]), keys[k]))
        uf, rids, member_list = self.uf, self.data.rids, self.members.tolist()
        for k in ordered:
            # The profiles this identifier touches, in the order of their first record.
            by_root: dict[int, list[int]] = {}
            for i in sorted(self.linking[k]):
                by_root.setdefault(uf.find(i), []).append(i)
            if len(by_root) < 2:
                continue
            holds_apart = bool(self.holds_apart[int(self.types[k])])
            alone = self._either_person(list(by_root)) if holds_apart and len(by_root) > 2 else {}
            roots = iter(root for root in by_root if root not in alone)
            first = next(roots)
            # The people this identifier joins: without records kept apart, one; a
            # household's phone or email joins each member's records and not the members.
            people = [_Person(first, list(by_root[first]))]
            for root in roots:
                person = people[0]
                if holds_apart:
                    found = next((p for p in people if uf.kept_apart(p.root, root) is None), None)
                    if found is None:
                        people.append(_Person(root, list(by_root[root])))
                        continue
                    person = found
                acc = person.root
                refused = uf.violation(acc, root)
                if refused is None or self._duplicate_accounts(k, person.carriers, by_root[root]):
                    person.root = uf.union(acc, root)
                    person.carriers.extend(by_root[root])
                    person.profiles += 1
                    continue
                sizes = (uf.records[acc], uf.records[root])
                reason, detail = self._refusal(refused, sizes, identifier_key=keys[k])
                self.skipped.extend(
                    SkippedLink(rids[member_list[i]], keys[k], reason, detail)
                    for i in by_root[root]
                )
            if len(people) > 1:
                self._report_apart(keys[k], people)
            for root, pair in alone.items():
                detail = f"{EITHER_PERSON}, {self._apart_detail(*pair)}"
                self.skipped.extend(
                    SkippedLink(rids[member_list[i]], keys[k], APART, detail) for i in by_root[root]
                )

    def _either_person(self, roots: list[int]) -> dict[int, tuple[int, int]]:
        """The profiles among an identifier's carriers (`roots`) that it cannot place: when
        it is carried by records kept apart (two members of one family), a profile holding
        no record kept apart from any other carrier (a nameless till receipt, a record
        with the family name only) could be either member's. Each is given with a pair of
        records kept apart, to name in the report."""
        uf = self.uf
        anchored: set[int] = set()
        pair: tuple[int, int] | None = None
        for i, ra in enumerate(roots):
            for rb in roots[i + 1 :]:
                found = uf.kept_apart(ra, rb)
                if found is not None:
                    anchored.update((ra, rb))
                    pair = pair or found
        if pair is None:
            return {}
        return {root: pair for root in roots if root not in anchored}

    def _report_apart(self, key: str, people: list[_Person]) -> None:
        """Report the carriers of an identifier that it joined to nobody because their
        profile holds a record kept apart from the other carriers' (a family member's).
        The person it joined most profiles of (the first of those) keeps the link, as the
        profile built so far does when a limit refuses a join."""
        rids, member_list = self.data.rids, self.members.tolist()
        keeps = max(people, key=lambda p: p.profiles)
        for person in people:
            if person is keeps or person.profiles > 1:
                continue
            for other in people:
                found = None if other is person else self.uf.kept_apart(person.root, other.root)
                if found is not None:
                    detail = self._apart_detail(*found)
                    self.skipped.extend(
                        SkippedLink(rids[member_list[i]], key, APART, detail)
                        for i in person.carriers
                    )
                    break

    def _apart_detail(self, x: int, y: int) -> str:
        """The rule keeping local records x and y apart, and the two records."""
        reason = self.apart_reason[(min(x, y), max(x, y))]
        rids, members = self.data.rids, self.members
        one, other = sorted((rids[int(members[x])], rids[int(members[y])]))
        return f"{reason}: {one} / {other}"

    def _duplicate_accounts(self, k: int, one: list[int], other: list[int]) -> bool:
        """Whether identifier k's carriers on the two sides include one person's records."""
        same_person = self.same_person
        if same_person is None or self.slots.type_names[int(self.types[k])] not in (
            self.duplicate_types
        ):
            return False
        rids, members = self.data.rids, self.members
        return any(
            same_person(rids[int(members[i])], rids[int(members[j])], False)
            for i in one
            for j in other
        )

    def _duplicate_match(self, a: str, b: str) -> bool:
        """Whether an accepted match pairs one person's records (the same full name)."""
        return (
            self.duplicate_matches and self.same_person is not None and self.same_person(a, b, True)
        )

    def link_matches(self) -> None:
        """The accepted matches, strongest first; the checked ones only between profiles
        that agree (`_join_if_consistent`); the conditional ones wait (`link_conditional`)."""
        uf, rids, data = self.uf, self.data.rids, self.data
        conditional, checked = data.conditional, data.checked
        if (conditional or checked) and self.consistent is not None:
            uf.track_members()
            self.either = self._either_profile()
        for a, b in data.matches:
            if (a, b) in conditional:
                continue
            if (a, b) in checked:
                self._join_if_consistent(a, b)
                continue
            i, j = self.local.get(a), self.local.get(b)
            if i is None or j is None:
                continue
            ra, rb = uf.find(i), uf.find(j)
            if ra == rb or self._kept_apart(ra, rb, a, b):
                continue
            refused = uf.violation(ra, rb)
            if refused is None or self._duplicate_match(rids[a], rids[b]):
                uf.union(ra, rb)
                continue
            pair = (rids[a], rids[b])
            sizes = (uf.records[ra], uf.records[rb])
            reason, detail = self._refusal(refused, sizes, match=pair)
            self.skipped_matches.append(SkippedMatch(pair[0], pair[1], reason, detail))

    def link_conditional(self) -> None:
        """Join the conditional matches (strongest first), each only when the two profiles
        it would join are consistent (`consistent` finds no reason against, given their
        records), no two records kept apart would meet and no limit would be passed. A
        record whose conditional or checked matches reach two profiles that disagree with
        each other (a till card naming two namesakes) could be either's, and joins
        neither."""
        for a, b in self.data.matches:
            if (a, b) in self.data.conditional:
                self._join_if_consistent(a, b)

    def _join_if_consistent(self, a: int, b: int) -> None:
        """Join the profiles of records a and b (a conditional or checked match) unless
        either record could be two people's, the two profiles disagree, two records kept
        apart would meet or a limit would be passed; report why not."""
        uf, rids = self.uf, self.data.rids
        i, j = self.local.get(a), self.local.get(b)
        if i is None or j is None:
            return
        why = self.either.get(i) or self.either.get(j)
        if why is not None:
            self.skipped_matches.append(SkippedMatch(rids[a], rids[b], INCONSISTENT, why))
            return
        ra, rb = uf.find(i), uf.find(j)
        if ra == rb or self._kept_apart(ra, rb, a, b):
            return
        refused = uf.violation(ra, rb)
        if refused is not None:
            pair = (rids[a], rids[b])
            reason, detail = self._refusal(refused, (uf.records[ra], uf.records[rb]), match=pair)
            self.skipped_matches.append(SkippedMatch(pair[0], pair[1], reason, detail))
            return
        if self.consistent is not None:
            probability = self.data.probability
            p = probability.get((rids[a], rids[b]), probability.get((rids[b], rids[a])))
            against = self.consistent(self._records_of(ra), self._records_of(rb), p)
            if against is not None:
                self.skipped_matches.append(SkippedMatch(rids[a], rids[b], INCONSISTENT, against))
                return
        uf.union(ra, rb)

    def _records_of(self, root: int) -> list[str]:
        members, rids = self.members, self.data.rids
        found = self.uf.members[root] if self.uf.members is not None else []
        return [rids[int(members[x])] for x in found]

    def _either_profile(self) -> dict[int, str]:
        """Local record -> why, for the records whose conditional or checked matches reach
        two profiles (other than their own) that `consistent` finds two people: such a
        record could be either person's. Decided on the profiles before any match joins, so
        the order of the matches does not matter."""
        consistent = self.consistent
        if consistent is None:
            return {}
        uf, data = self.uf, self.data
        reach: dict[int, set[int]] = {}
        for a, b in data.matches:
            if (a, b) not in data.conditional and (a, b) not in data.checked:
                continue
            i, j = self.local.get(a), self.local.get(b)
            if i is not None and j is not None:
                reach.setdefault(i, set()).add(uf.find(j))
                reach.setdefault(j, set()).add(uf.find(i))
        out: dict[int, str] = {}
        for x, roots in reach.items():
            others = sorted(roots - {uf.find(x)})
            for n, r1 in enumerate(others):
                against = next(
                    (
                        found
                        for r2 in others[n + 1 :]
                        if (found := consistent(self._records_of(r1), self._records_of(r2), None))
                        is not None
                    ),
                    None,
                )
                if against is not None:
                    out[x] = f"{EITHER_PERSON}: two profiles it matches hold different {against}"
                    break
        return out

    def _kept_apart(self, ra: int, rb: int, a: int, b: int) -> bool:
        """Whether the match (a, b) would join roots ra and rb holding two records kept
        apart; if so, the match is reported as skipped."""
        found = self.uf.kept_apart(ra, rb)
        if found is None:
            return False
        rids = self.data.rids
        self.skipped_matches.append(
            SkippedMatch(rids[a], rids[b], APART, self._apart_detail(*found))
        )
        return True

    def link_forced(self, strong: bool = False) -> None:
        """Join the forced links whatever the limits and whatever is kept apart, or, with
        `strong`, the strong matches whatever the limits but not two records kept apart."""
        uf = self.uf
        for a, b in self.data.strong if strong else self.data.forced:
            i, j = self.local.get(a), self.local.get(b)
            if i is None or j is None:
                continue
            ra, rb = uf.find(i), uf.find(j)
            if ra == rb or (strong and self._kept_apart(ra, rb, a, b)):
                continue
            uf.union(ra, rb)

    def roots(self) -> IntArray:
        return np.array([self.uf.find(i) for i in range(len(self.members))], dtype=np.int64)


def _group(rids: list[str], labels: IntArray) -> tuple[IntArray, list[list[str]]]:
    """Number the components by their first rid and list them, each sorted."""
    n = len(rids)
    if n == 0:
        return np.empty(0, dtype=np.int64), []
    order = np.argsort(labels, kind="stable")
    ordered = labels[order]
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    ends = np.r_[starts[1:], n]
    by_first = np.argsort(order[starts], kind="stable")
    rank = np.empty(len(starts), dtype=np.int64)
    rank[by_first] = np.arange(len(starts), dtype=np.int64)
    out = np.empty(n, dtype=np.int64)
    out[order] = np.repeat(rank, ends - starts)
    sorted_rids: list[str] = np.array(rids, dtype=object)[order].tolist()
    first, last = starts.tolist(), ends.tolist()
    components = [sorted_rids[first[g] : last[g]] for g in by_first.tolist()]
    return out, components


def resolve_components(
    records: Iterable[str],
    record_identifiers: Iterable[tuple[str, str]],
    matches: Iterable[tuple[str, str]],
    protection: Protection,
    config: IdentityConfig,
    *,
    forced_links: Iterable[tuple[str, str]] = (),
    rejected_matches: Iterable[tuple[str, str]] = (),
    shared_identifiers: Collection[str] = (),
    generic_identifiers: Mapping[str, str] | None = None,
    blocked_identifiers: Mapping[str, str] | None = None,
    strong_matches: Iterable[tuple[str, str]] = (),
    same_person: Callable[[str, str, bool], bool] | None = None,
    apart: Callable[[Sequence[str]], Iterable[tuple[str, str, str]]] | None = None,
    match_probability: Mapping[tuple[str, str], float] | None = None,
    apart_types: Collection[str] = (),
    carried_elsewhere: Collection[str] = (),
    conditional_matches: Iterable[tuple[str, str]] = (),
    consistent: Callable[[Sequence[str], Sequence[str], float | None], str | None] | None = None,
    checked_matches: Iterable[tuple[str, str]] = (),
) -> Resolution:
    """Resolve records into components (golden profiles) under merge protection.

    Args:
        records: The rids to resolve: all of them, or a closed part (see the module doc).
        record_identifiers: (rid, identifier key) pairs, e.g. ("pos:C1", "email:a@x.com").
        matches: Accepted probabilistic `MATCHES` pairs (rid, rid), in either order.
        protection: The blocked-value checks.
        config: The identifier types: which link, their priority and limits.
        forced_links: (rid, rid) pairs an operator joined; they join whatever the limits.
        strong_matches: Matches (rid, rid) so probable that they join whatever the limits,
            unless an operator rejected them; usually also in `matches`.
        rejected_matches: (rid, rid) pairs an operator split; such matches never join, and
            the two records are kept apart as `apart` keeps its pairs (reason "rejected by
            an operator"): no path of other matches or of `apart_types` identifiers puts
            them in one profile.
        shared_identifiers: Keys an operator marked shared (a family email): never link.
        generic_identifiers: Key -> reason from `Protection.detect_generic`: never link.
        blocked_identifiers: Key -> reason for the blocked identifiers, when the caller has
            them already (flags stored at ingest with `Protection.blocked_keys`); then
            `protection` is not consulted, which saves a check per distinct identifier.
        same_person: Whether two records are one person's duplicate accounts, called with
            True when a match (not a shared identifier) would join them. A join
            through an identifier of a type in `IdentityConfig.duplicate_account_types`
            that a limit would refuse still happens when a record on each side carries the
            identifier and `same_person` holds for them: one person's duplicate accounts.
            With `IdentityConfig.duplicate_account_matches`, an accepted match between two
            records for which `same_person` holds joins past a limit too.
        apart: Given the records of one unrestricted component (sorted), the pairs among
            them (rid, rid, reason) that no match may bring into one profile (two members
            of one family, `matching.family_rule`): a match, strong or not, whose join
            would put such a pair together is refused ("apart"), so that a record that
            matches both (a duplicate with its given name missing) joins one of them only.
            Forced links still join, and identifiers of types not in `apart_types`.
        match_probability: (rid, rid) -> probability of the matches, either order. Matches
            (and strong matches) then join strongest first, so that a join refused by a
            limit or by `apart` is that of the weakest link; without it, by rid.
        apart_types: Identifier types (a household's phone or email) whose joins respect the
            records kept apart too: such an identifier joins its carriers' profiles one at a
            time, each to the first person (the profiles it joined so far) holding no record
            kept apart from it, so it still joins each family member's own records but not
            the members; a carrier it joins to nobody is reported ("apart"). Identifiers
            join before matches and in priority order, so the link that gives way is the
            lower-priority identifier's or a match.
        carried_elsewhere: Identifier keys that records outside `records` carry too (an
            engine resolving a closed part of the records at a time says so): such a key
            counts as carried by two or more records, so that a blocked, generic or shared
            one is reported as skipped exactly as when every record is resolved at once.
            It changes no component: a key that can link is never carried outside a closed
            input.
        conditional_matches: Matches among `matches` that join last (after forced links),
            strongest first, and only two profiles that `consistent` finds nothing against,
            given the rids of each and the match's probability (`matching.name_postcode`:
            a till card's name and postcode); a refused one is reported ("inconsistent",
            with what `consistent` said). Limits and the records kept apart hold for them as
            for any match.
        checked_matches: Matches among `matches` that join in their turn (strongest first,
            with the others), and only two profiles that `consistent` finds nothing against
            (a name-and-postcode match above the threshold).
        consistent: See `conditional_matches`; without it they join as other matches do,
            last. Called with the match's probability, or with None to ask whether two
            profiles a record's conditional matches reach are two people (then a profile
            holding nothing to compare is no reason against): such a record joins neither.

    Returns:
        The components with every dropped link and refused join. Pairs, matches and forced
        links naming a record outside `records` are ignored and counted.
    """
    with gc_paused():
        return _resolve(
            records,
            record_identifiers,
            matches,
            protection,
            config,
            forced_links,
            rejected_matches,
            shared_identifiers,
            generic_identifiers or {},
            blocked_identifiers,
            strong_matches,
            same_person,
            apart,
            match_probability,
            apart_types,
            carried_elsewhere,
            conditional_matches,
            consistent,
            checked_matches,
        )


def _resolve(
    records: Iterable[str],
    record_identifiers: Iterable[tuple[str, str]],
    matches: Iterable[tuple[str, str]],
    protection: Protection,
    config: IdentityConfig,
    forced_links: Iterable[tuple[str, str]],
    rejected_matches: Iterable[tuple[str, str]],
    shared_identifiers: Collection[str],
    generic_identifiers: Mapping[str, str],
    blocked_identifiers: Mapping[str, str] | None,
    strong_matches: Iterable[tuple[str, str]],
    same_person: Callable[[str, str, bool], bool] | None = None,
    apart: Callable[[Sequence[str]], Iterable[tuple[str, str, str]]] | None = None,
    match_probability: Mapping[tuple[str, str], float] | None = None,
    apart_types: Collection[str] = (),
    carried_elsewhere: Collection[str] = (),
    conditional_matches: Iterable[tuple[str, str]] = (),
    consistent: Callable[[Sequence[str], Sequence[str], float | None], str | None] | None = None,
    checked_matches: Iterable[tuple[str, str]] = (),
) -> Resolution:
    data = _Input(
        records,
        record_identifiers,
        matches,
        forced_links,
        rejected_matches,
        strong_matches,
        match_probability,
        conditional_matches,
        checked_matches,
    )
    slots = _type_table(config)
    carriers = np.bincount(data.pair_key, minlength=len(data.keys))
    if carried_elsewhere:
        elsewhere = list(data.key_ids(carried_elsewhere).values())
        carriers[elsewhere] = np.maximum(carriers[elsewhere], 2)
    status, types, reasons, unknown, unchecked = _classify_keys(
        data,
        protection,
        config,
        slots,
        shared_identifiers,
        generic_identifiers,
        blocked_identifiers,
        carriers,
    )
    pair_status = status[data.pair_key]
    labels = _unrestricted_labels(data, pair_status == _LINK)
    counting = (pair_status == _LINK) | (pair_status == _COUNT)
    risky = _risky_components(data, labels, counting, types, slots)
    kept_apart = _apart_pairs(data, labels, apart) if apart is not None else []
    kept_apart = sorted({*kept_apart, *_rejected_apart(data, labels)})
    if kept_apart:
        # A component holding two records kept apart needs the ordered process too.
        first = np.array([a for a, _, _ in kept_apart], dtype=np.int64)
        risky = _unique(np.concatenate([risky, labels[first]]))
    if data.conditional or data.checked:
        # So does one joined by a conditional or checked match: it may not join.
        first = np.array([a for a, _ in (*data.conditional, *data.checked)], dtype=np.int64)
        risky = _unique(np.concatenate([risky, labels[first]]))

    skipped: list[SkippedLink] = []
    category = {_BLOCKED: BLOCKED, _SHARED: SHARED, _GENERIC: GENERIC}
    # A key on one record links nothing, so dropping it is not worth a line.
    dropped = np.isin(pair_status, list(category)) & (carriers[data.pair_key] > 1)
    for r, k in zip(data.pair_rec[dropped].tolist(), data.pair_key[dropped].tolist(), strict=True):
        skipped.append(
            SkippedLink(data.rids[r], data.keys[k], category[int(status[k])], reasons[k])
        )
    skipped_matches = [
        SkippedMatch(data.rids[a], data.rids[b], REJECTED, "operator") for a, b in data.rejected
    ]
    violations: list[LimitViolation] = []

    if len(risky):
        is_risky = np.zeros(int(labels.max()) + 1, dtype=bool)
        is_risky[risky] = True
        members = np.flatnonzero(is_risky[labels]).astype(np.int64)
        status = _recheck_single_carriers(data, members, status, unchecked, protection)
        ordered = _Ordered(
            data,
            members,
            status,
            types,
            slots,
            same_person,
            config.duplicate_account_types,
            config.duplicate_account_matches,
            kept_apart,
            apart_types,
            consistent,
        )
        # Strong matches first: they join whatever the limits, and once they have, the
        # identifiers the joined records share no longer count as refused.
        ordered.link_forced(strong=True)
        ordered.link_identifiers()
        ordered.link_matches()
        ordered.link_forced()
        ordered.link_conditional()
        labels = labels.copy()
        labels[members] = labels.max() + 1 + ordered.roots()
        skipped.extend(ordered.skipped)
        skipped_matches.extend(ordered.skipped_matches)
        violations = ordered.violations

    skipped.sort(key=lambda s: (s.rid, s.identifier_key))
    # A strong match refused is tried again among the matches: report it once.
    skipped_matches = sorted(set(skipped_matches), key=lambda s: (s.a, s.b, s.reason, s.detail))
    final_labels, components = _group(data.rids, labels)
    return Resolution(
        records=data.rids,
        labels=final_labels,
        components=components,
        skipped_links=skipped,
        skipped_matches=skipped_matches,
        violations=violations,
        unknown_types=sorted(unknown),
        outside_scope=data.outside,
    )


def combine(parts: Iterable[Resolution]) -> Resolution:
    """One resolution of the records of `parts`, each the resolution of a closed input and
    no record in two of them: as `resolve_components` gives for all of them at once (see
    the module doc). Components are listed by their first rid again; violations keep the
    order each part decided them in, part after part."""
    parts = list(parts)
    components = sorted((c for p in parts for c in p.components), key=itemgetter(0))
    records = sorted(r for c in components for r in c)
    index = dict(zip(records, count()))
    labels = np.empty(len(records), dtype=np.int64)
    for label, members in enumerate(components):
        labels[[index[r] for r in members]] = label
    skipped = sorted(
        (s for p in parts for s in p.skipped_links), key=lambda s: (s.rid, s.identifier_key)
    )
    matches = sorted(
        {m for p in parts for m in p.skipped_matches}, key=lambda s: (s.a, s.b, s.reason, s.detail)
    )
    return Resolution(
        records=records,
        labels=labels,
        components=components,
        skipped_links=skipped,
        skipped_matches=matches,
        violations=[v for p in parts for v in p.violations],
        unknown_types=sorted({t for p in parts for t in p.unknown_types}),
        outside_scope=sum(p.outside_scope for p in parts),
    )
