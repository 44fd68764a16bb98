"""A full resolution a closed part at a time, in bounded memory.

A full resolution of a million customers reads three million records, seven million
identifier links and a million matches. Held as Python objects (a mapping and strings per
record, a tuple per link) they took 11 GB. Here the whole scope is read as columns (Arrow
string arrays, numbered into NumPy integer arrays: `ColumnReader`), its *coarse* components
are found by scipy over those integers, and the rules run over Python objects one *part* at
a time (`Parts`): a part's facts are read, resolved and written before the next part's are.

A coarse component joins records by every identifier the rules could let link
(`ComponentRules.may_join`, not operator-shared), by every match (accepted, strong,
conditional or rejected) and by every forced link; `matching.spark_engine` says why a union
of coarse components is a closed input whose resolution alone is the whole resolution
restricted to its records. One kind of edge is added here: the records of one old profile
are kept together, because stable ids (`matching.stable_ids`) weigh an old profile's records
as a whole. What a part cannot see, whether records outside it carry a key that does not
link, is counted over the whole scope and handed over as `carried_elsewhere`.

Parts are filled with whole coarse components in the order of their first record, up to
about `part_records` records (a component larger than that is a part of its own).
"""

from __future__ import annotations

import pickle
import tempfile
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from matching.component_rules import ResolutionInput

__all__ = ["ColumnReader", "PartRows", "Parts", "ScopeColumns", "component_labels"]

IntArray = NDArray[np.int64]

_TEXT: Final = pa.large_string()
_KEY_CHUNK: Final = 100_000
"""Identifier keys handed to Python checks at a time."""
_SLACK: Final = 1_000
"""Records beyond a page's own count that its lookup window spans."""


def _text(values: Sequence[Any]) -> pa.Array:
    return pa.array(values, type=_TEXT)


def _codes(values: pa.ChunkedArray | pa.Array, value_set: pa.Array) -> IntArray:
    """The position of each value in `value_set`, -1 where it is not there."""
    found = pc.index_in(values, value_set=value_set).fill_null(-1)
    return np.asarray(found.to_numpy(zero_copy_only=False), dtype=np.int64)


def component_labels(src: IntArray, dst: IntArray, nodes: int) -> IntArray:
    """The connected component of each of `nodes` nodes, over the undirected edges
    (src[i], dst[i]) (scipy's compiled search; a label is a component's number)."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    graph = coo_matrix((np.ones(len(src), dtype=np.int8), (src, dst)), shape=(nodes, nodes))
    _, labels = connected_components(graph.tocsr(), directed=False)
    return np.asarray(labels, dtype=np.int64)


@dataclass
class ScopeColumns:
    """Every record of a full resolution, its identifier links and the matches, as columns.

    Attributes:
        rids: Every record's rid, in rid order; a record is its position here.
        profile: Per record, the number of its current profile (-1: none).
        profiles: How many current profiles there are.
        pair_record: Per (record, identifier) link, the record.
        pair_key: Per link, the identifier: its position in `keys`.
        keys: The distinct identifier keys.
        stored_blocked: Per key, its stored `blocked` flag (null: none).
        stored_generic: Per key, its stored `generic` flag (null: none).
        match_a: Per `MATCHES` link, one record.
        match_b: The other record.
        match_rejected: Whether an operator rejected it.
        match_probability: Its probability (NaN: none stored).
        match_name_postcode: Whether it is on a name and a postcode only.
    """

    rids: pa.Array
    profile: IntArray
    profiles: int
    pair_record: IntArray
    pair_key: IntArray
    keys: pa.Array
    stored_blocked: pa.Array
    stored_generic: pa.Array
    match_a: IntArray
    match_b: IntArray
    match_rejected: NDArray[np.bool_]
    match_probability: NDArray[np.float64]
    match_name_postcode: NDArray[np.bool_]

    def key_chunks(self) -> Iterator[tuple[int, list[str], list[str | None], list[str | None]]]:
        """(first position, keys, stored flags) of the keys, `_KEY_CHUNK` at a time, as
        Python values (the checks in `matching.protection` are Python)."""
        for i in range(0, len(self.keys), _KEY_CHUNK):
            yield (
                i,
                self.keys.slice(i, _KEY_CHUNK).to_pylist(),
                self.stored_blocked.slice(i, _KEY_CHUNK).to_pylist(),
                self.stored_generic.slice(i, _KEY_CHUNK).to_pylist(),
            )


class ColumnReader:
    """Turns the pages of a full read into `ScopeColumns`, a page at a time: only the
    Arrow chunks are kept, not the driver's Python rows."""

    def __init__(self) -> None:
        self._records: list[list[pa.Array]] = []
        self._links: list[list[pa.Array]] = []
        self._matches: list[list[pa.Array]] = []
        self._clear()

    def _clear(self) -> None:
        self._records = [[], []]
        self._links = [[], [], [], []]
        self._matches = [[], [], [], [], []]

    def records(self, rows: Sequence[Sequence[Any]]) -> None:
        """A page of [rid, pid] rows (`cypher/resolve_records_page.cypher`)."""
        self._add(self._records, rows, (_TEXT, _TEXT))

    def links(self, rows: Sequence[Sequence[Any]]) -> None:
        """A page of [rid, key, blocked, generic] rows (`resolve_links_page`)."""
        self._add(self._links, rows, (_TEXT, _TEXT, _TEXT, _TEXT))

    def matches(self, rows: Sequence[Sequence[Any]]) -> None:
        """A page of [a, b, rejected, probability, name and postcode only] rows
        (`resolve_all_matches_page`)."""
        self._add(self._matches, rows, (_TEXT, _TEXT, pa.bool_(), pa.float64(), pa.bool_()))

    @staticmethod
    def _add(
        columns: list[list[pa.Array]], rows: Sequence[Sequence[Any]], types: Sequence[Any]
    ) -> None:
        if rows:
            for i, (column, kind) in enumerate(zip(columns, types, strict=True)):
                column.append(pa.array([row[i] for row in rows], type=kind))

    def finish(self) -> ScopeColumns:
        def column(chunks: list[pa.Array], kind: Any) -> pa.Array:
            # The chunks go as soon as they are one array: a full graph's take GBs.
            out = pa.chunked_array(chunks, type=kind).combine_chunks()
            chunks.clear()
            return out

        rids = column(self._records[0], _TEXT)
        encoded = pc.dictionary_encode(column(self._records[1], _TEXT))
        profile = np.asarray(
            encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False), dtype=np.int64
        )
        pair_record = _codes(column(self._links[0], _TEXT), rids)
        keys_encoded = pc.dictionary_encode(column(self._links[1], _TEXT))
        pair_key = np.asarray(keys_encoded.indices.to_numpy(zero_copy_only=False), dtype=np.int64)
        keys = keys_encoded.dictionary
        # A key's stored flags are the same on each of its links: take its first link's.
        first = np.empty(len(keys), dtype=np.int64)
        first[pair_key[::-1]] = np.arange(len(pair_key) - 1, -1, -1, dtype=np.int64)
        take = pa.array(first)
        blocked = column(self._links[2], _TEXT).take(take)
        generic = column(self._links[3], _TEXT).take(take)
        # A link of a record created after the records were read has no record here.
        known = pair_record >= 0
        a = _codes(column(self._matches[0], _TEXT), rids)
        b = _codes(column(self._matches[1], _TEXT), rids)
        both = (a >= 0) & (b >= 0)
        rejected = _flags(column(self._matches[2], pa.bool_()))
        probability = column(self._matches[3], pa.float64()).to_numpy(zero_copy_only=False)
        name_postcode = _flags(column(self._matches[4], pa.bool_()))
        self._clear()
        return ScopeColumns(
            rids=rids,
            profile=profile,
            profiles=len(encoded.dictionary),
            pair_record=pair_record[known],
            pair_key=pair_key[known],
            keys=keys,
            stored_blocked=blocked,
            stored_generic=generic,
            match_a=a[both],
            match_b=b[both],
            match_rejected=rejected[both],
            match_probability=np.asarray(probability, dtype=np.float64)[both],
            match_name_postcode=name_postcode[both],
        )


def _flags(values: pa.Array) -> NDArray[np.bool_]:
    return np.asarray(values.fill_null(False).to_numpy(zero_copy_only=False), dtype=np.bool_)


class Parts:
    """The scope cut into parts of whole coarse components, and each part's input."""

    def __init__(
        self,
        columns: ScopeColumns,
        joinable: NDArray[np.bool_],
        forced: Sequence[tuple[str, str]],
        part_records: int,
    ) -> None:
        """Args:
        columns: The scope.
        joinable: Per key of `columns.keys`, whether it may join records (see the module).
        forced: Links an operator forced.
        part_records: About how many records a part holds.
        """
        self.columns = c = columns
        n, k = len(c.rids), len(c.keys)
        self.forced = list(forced)
        forced_a = _codes(_text([a for a, _ in self.forced]), c.rids)
        forced_b = _codes(_text([b for _, b in self.forced]), c.rids)
        keep = (forced_a >= 0) & (forced_b >= 0)
        via_key = joinable[c.pair_key]
        in_profile = np.flatnonzero(c.profile >= 0)
        src = np.concatenate([c.pair_record[via_key], c.match_a, forced_a[keep], in_profile])
        dst = np.concatenate(
            [n + c.pair_key[via_key], c.match_b, forced_b[keep], n + k + c.profile[in_profile]]
        )
        labels = component_labels(src, dst, n + k + c.profiles)[:n]
        del src, dst
        # Components (numbered 0.. by scipy) in the order of their first record, packed.
        _, first, sizes = np.unique(labels, return_index=True, return_counts=True)
        order = np.argsort(first, kind="stable")
        part_of_label = np.empty(len(order), dtype=np.int64)
        part_of_label[order] = _pack(sizes[order], max(1, part_records))
        self.part_of = part_of_label[labels]
        self.count = int(self.part_of.max()) + 1 if n else 0
        self._records = _grouped(self.part_of, self.count)
        self._pairs = _grouped(self.part_of[c.pair_record], self.count)
        self._matches = _grouped(self.part_of[c.match_a], self.count)
        self._forced: list[list[tuple[str, str]]] = [[] for _ in range(self.count)]
        for i in np.flatnonzero(keep):
            self._forced[int(self.part_of[forced_a[i]])].append(self.forced[i])
        self.carriers = np.bincount(c.pair_key, minlength=k)

    def records(self, part: int) -> list[str]:
        """The rids of a part, in rid order."""
        return _strings(self.columns.rids, self._records[part])

    def input(
        self,
        part: int,
        facts: Mapping[str, Mapping[str, Any]],
        *,
        extra: tuple[str, ...],
        generic: Mapping[str, str],
        shared: Collection[str],
        strong_from: float | None,
    ) -> ResolutionInput:
        """The closed input of one part, its records' `facts` read by the caller: the
        records are those with facts (one deleted since the scope was read is left out,
        as a read of the whole scope would not have seen it)."""
        c = self.columns
        pairs_at = self._pairs[part]
        pair_rids = _strings(c.rids, c.pair_record[pairs_at])
        pair_keys = _strings(c.keys, c.pair_key[pairs_at])
        here = np.bincount(c.pair_key[pairs_at], minlength=len(c.keys))
        part_keys = np.unique(c.pair_key[pairs_at])
        elsewhere = part_keys[self.carriers[part_keys] > here[part_keys]]
        # Only the part's own keys: the rules look keys up in these, and walked every
        # entry of the whole graph's once per part.
        keys_here = _strings(c.keys, part_keys)
        operator_shared = shared if isinstance(shared, set | frozenset) else set(shared)
        at = self._matches[part]
        a = _strings(c.rids, c.match_a[at])
        b = _strings(c.rids, c.match_b[at])
        rejected = c.match_rejected[at].tolist()
        p = c.match_probability[at].tolist()
        flag = c.match_name_postcode[at].tolist()
        rows = list(zip(a, b, rejected, p, flag, strict=True))
        return ResolutionInput(
            records=[r for r in self.records(part) if r in facts],
            pairs=list(zip(pair_rids, pair_keys, strict=True)),
            facts=facts,
            extra=extra,
            accepted=[(a, b) for a, b, rej, _, _ in rows if not rej],
            rejected=[(a, b) for a, b, rej, _, _ in rows if rej],
            strong=[
                (a, b)
                for a, b, rej, prob, _ in rows
                if not rej and strong_from is not None and prob == prob and prob >= strong_from
            ],
            probability={(a, b): prob for a, b, rej, prob, _ in rows if not rej and prob == prob},
            forced=self._forced[part],
            shared=[k for k in keys_here if k in operator_shared],
            generic={k: generic[k] for k in keys_here if k in generic},
            carried_elsewhere=set(_strings(c.keys, elsewhere)),
            name_postcode=[(a, b) for a, b, rej, _, np_ in rows if np_ and not rej],
        )


class PartRows:
    """Rows of every record (its facts), read in one scan in rid order and sorted into
    their parts on disk, so that each part's come back in one read, in rid order.

    A part's rows are pickled into an anonymous temporary file (`tempfile.TemporaryFile`:
    unlinked at once), so that however the process ends, no record's data is left on disk.
    Reading them back by rid instead took about 2.5x as long per record as the scan.
    """

    def __init__(self, parts: Parts) -> None:
        self._parts = parts
        self._cursor = 0
        """Where the next page's records begin among the scope's (both in rid order)."""
        # Closed by `close` (or on leaving a `with` block), not one block per file.
        self._files = [tempfile.TemporaryFile() for _ in range(parts.count)]  # noqa: SIM115

    def add(self, rows: Sequence[Mapping[str, Any]]) -> None:
        """A page of rows, each with its `rid`; those of records outside the scope (created
        since it was read) are left out, as a read by rid would leave them."""
        if not rows:
            return
        at = self._positions(_text([row["rid"] for row in rows]))
        part = np.where(at >= 0, self._parts.part_of[np.maximum(at, 0)], -1)
        for p in np.unique(part[part >= 0]).tolist():
            chosen = [rows[i] for i in np.flatnonzero(part == p).tolist()]
            pickle.dump(chosen, self._files[p], protocol=pickle.HIGHEST_PROTOCOL)

    def _positions(self, rids: pa.Array) -> IntArray:
        """Each rid's position in the scope (-1: not in it). Both scans run in rid order, so
        a page's records are looked up among the scope's from where the last page ended,
        not in a hash of all of them built again per page; only those not found there
        (records deleted since, shifting more than the slack) are looked up in all."""
        scope = self._parts.columns.rids
        start = self._cursor
        at = _codes(rids, scope.slice(start, len(rids) + _SLACK))
        found = at >= 0
        at[found] += start
        if not found.all():
            missing = np.flatnonzero(~found)
            at[missing] = _codes(rids.take(pa.array(missing)), scope)
        if (at >= 0).any():
            self._cursor = max(start, int(at.max()) + 1)
        return at

    def rows(self, part: int) -> list[Mapping[str, Any]]:
        """The rows of one part, in the order added (its file is closed after)."""
        out: list[Mapping[str, Any]] = []
        with self._files[part] as file:
            file.seek(0)
            while True:
                try:
                    out.extend(pickle.load(file))
                except EOFError:
                    return out

    def close(self) -> None:
        for file in self._files:
            file.close()

    def __enter__(self) -> PartRows:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _pack(sizes: IntArray, limit: int) -> IntArray:
    """The part of each component, in order, given its size: a new part begins where a
    component would take a part past `limit` records."""
    parts = np.empty(len(sizes), dtype=np.int64)
    part, filled = 0, 0
    for i, size in enumerate(sizes.tolist()):
        if filled and filled + size > limit:
            part, filled = part + 1, 0
        parts[i] = part
        filled += size
    return parts


def _grouped(groups: IntArray, count: int) -> list[IntArray]:
    """For each group number below `count`, the positions holding it, in order."""
    order = np.argsort(groups, kind="stable")
    bounds = np.searchsorted(groups[order], np.arange(count + 1))
    return [order[bounds[i] : bounds[i + 1]] for i in range(count)]


def _strings(values: pa.Array, at: IntArray) -> list[str]:
    return values.take(pa.array(at, type=pa.int64())).to_pylist() if len(at) else []
