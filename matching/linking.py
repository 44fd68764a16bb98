"""Probabilistic linking against the graph: train the Splink model on the records, and turn
accepted pairs into `MATCHES` links that resolution then uses.

New records are matched against all existing records through a persistent `MatchIndex`
(a DuckDB file beside the model), so an incremental batch does not reload the graph. A full
run rebuilds that index from every record and scores them all against each other inside it.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import time
from collections.abc import Iterable, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa

from core.clock import utc_stamp
from core.normalise import canonical_email, fold_name
from graph import matching_repo
from graph.client import GraphClient
from matching import name_postcode
from matching.config import IdentityConfig, default_config
from matching.errors import ConflictingComparisons, ScoringOutOfDisk
from matching.link_changes import LinkChanges
from matching.model_store import ModelStore, NoCurrentModel
from matching.pair_score import PairScore, score_pair
from matching.probabilistic import (
    IndexModelMismatch,
    MatchIndex,
    TrainedModel,
    term_frequencies,
    train,
)
from matching.protection import Protection
from matching.scored_pairs import ScoredPairs
from matching.splink_settings import (
    ComparisonSpec,
    MatchingSpec,
    default_spec,
    required_input_columns,
)
from matching.term_frequencies import TermFrequencies
from matching.thresholds import DEFAULT_THRESHOLD as DEFAULT_THRESHOLD  # re-exported

log = logging.getLogger(__name__)
INDEX_FILE = "match-index.duckdb"


def index_path(model_dir: Path) -> Path:
    """Where the persistent match index of the models in `model_dir` lives."""
    return model_dir / INDEX_FILE


FULL_SCORING_MEMORY = "1GB"
"""DuckDB's memory limit while a full run scores every record against every other, unless
the linker is given another (`MATCH_SCORING_MEMORY`): past it the blocking joins, the
scoring join and the sort of the pairs spill to the index's temporary directory. Without
one DuckDB takes up to 80% of the machine's memory before it spills. (At 90,000 records
scoring needs about 250 MB; 128 MB failed. At 1.8M scored records, 2026-12-06: 145 s
under 1 GB, 92 s under 2 GB, 95-101 s with no limit at a peak of 8-9 GB.)"""

FRAME_COLUMNS = (
    "unique_id",
    "source",
    "given_name",
    "family_name",
    "dob",
    "postcode",
    "address",
    "city",
    "email",
    "email_local",
    "phone",
)
"""The columns `to_frame` always builds; a model may read more (`extra_columns`)."""


def to_frame(
    rows: Sequence[Sequence[Any]],
    protection: Protection | None = None,
    extra: Sequence[str] = (),
) -> pd.DataFrame:
    """Graph rows -> the columns the matching spec reads (names folded, emails canonical).

    With `protection`, blocked emails and phones (a store's `noemail@...` default, test
    addresses, `+61400000000`) are left out, and so are given and family names that the
    rules for all identifier types block ("test", "unknown", "customer"): two records
    agreeing on a placeholder are no evidence of one person. `extra` names the user-defined
    attributes that follow the standard ones in each row; they become columns as text,
    trimmed and lower-cased.

    Column by column: each function runs once per distinct value (names, postcodes and
    emails repeat), not once per row; at 3M records a row loop took 18 s.
    """
    raw = pd.DataFrame(list(rows), columns=[*matching_repo.COLUMNS, *extra], dtype=object)
    blocked = protection.is_blocked if protection is not None else None

    def name(value: str) -> str | None:
        folded = fold_name(value) or None
        return None if folded and blocked and blocked("name", folded) else folded

    def email(value: str) -> str | None:
        canon = canonical_email(value)
        return None if blocked and blocked("email", canon) else canon

    def phone(value: str) -> str | None:
        return None if blocked and blocked("phone", value) else value

    emails = _each(raw["email"], email)
    out = pd.DataFrame(
        {
            "unique_id": raw["rid"],
            "source": raw["source"],
            "given_name": _each(raw["given_name"], name),
            "family_name": _each(raw["family_name"], name),
            "dob": raw["dob"],
            "postcode": raw["postcode"],
            "address": _each(raw["address"], str.lower),
            "city": _each(raw["city"], str.lower),
            "email": emails,
            "email_local": _each(emails, lambda e: e.split("@", 1)[0]),
            "phone": _each(raw["phone"], phone),
            **{n: raw[n].map(_text) for n in extra},
        },
        columns=[*FRAME_COLUMNS, *extra],
    )
    return out.astype(object).where(lambda d: d.notna(), None)


def _arrow(frame: pd.DataFrame) -> pa.Table:
    """A frame of `to_frame` as an Arrow table of text columns (one schema for every page,
    whatever a page's columns hold: a column with no value in a page is text all the same)."""
    schema = pa.schema([(c, pa.string()) for c in frame.columns])
    return pa.Table.from_pandas(frame, schema=schema, preserve_index=False)


def _each(values: pd.Series, fn: Any) -> pd.Series:
    """`fn` of every truthy value, once per distinct one; falsy values become None."""
    present = values[values.notna() & values.astype(bool)]
    table = {v: fn(v) for v in present.unique()}
    return values.map(table)


def _text(value: Any) -> str | None:
    if value is None:
        return None
    return str(value).strip().lower() or None


def extra_columns(spec: MatchingSpec) -> tuple[str, ...]:
    """The user-defined attributes a spec reads beyond `FRAME_COLUMNS`."""
    return tuple(c for c in required_input_columns(spec) if c not in FRAME_COLUMNS)


def personal_columns(spec: MatchingSpec) -> tuple[str, ...]:
    """The attributes a spec compares as one person's own (`personal`): a record that names
    no one is still scored when it carries one."""
    return tuple(c.column for c in spec.comparisons if c.personal)


def declared_comparisons(rows: Sequence[Mapping[str, Any]]) -> tuple[ComparisonSpec, ...]:
    """The comparisons sources declared for their attributes (`compare` in a mapping).

    Raises:
        ConflictingComparisons: Two sources compare one attribute differently.
    """
    by_name: dict[str, tuple[str, ComparisonSpec]] = {}
    for r in rows:
        thresholds = r.get("thresholds")
        spec = ComparisonSpec(
            column=r["name"],
            kind=r["kind"],
            thresholds=tuple(thresholds) if thresholds else None,
            term_frequency=bool(r.get("term_frequency")),
            blocking=bool(r.get("blocking")),
            personal=bool(r.get("personal")),
        )
        seen = by_name.setdefault(spec.column, (r["source"], spec))
        if seen[1] != spec:
            raise ConflictingComparisons(spec.column, (seen[0], r["source"]))
    return tuple(spec for _, spec in by_name.values())


@dataclass
class LinkReport:
    scored: int = 0
    pairs: int = 0
    written: int = 0
    """Links written: new ones and those whose score changed."""
    removed: int = 0
    """Links removed because they are no longer accepted."""
    touched: set[str] = field(default_factory=set)
    """Records at either end of a link written or removed (marked for resolution)."""
    seconds: float = 0.0
    model_version: str | None = None


class ProbabilisticLinker:
    """Trains the model and links records with it.

    The model learns from the records as they are; when records are scored (and indexed
    for scoring) their blocked emails and phones are left out, so agreeing on a
    placeholder is no evidence. (Training without them made the model trust an agreeing
    email local part far more, and namesakes with name-based addresses at two providers
    matched; with them, u for email agreement is a little high, which errs on the side of
    fewer matches.)
    """

    def __init__(
        self,
        graph: GraphClient,
        model_dir: Path,
        *,
        threshold: float = DEFAULT_THRESHOLD,
        config: IdentityConfig | None = None,
        scoring_memory: str = FULL_SCORING_MEMORY,
    ) -> None:
        """Args:
        graph: The graph client.
        model_dir: Where models and the match index live.
        threshold: Match probability from which a pair is written as a `MATCHES` link.
        config: Identity rules; their blocked email and phone values are not compared.
        scoring_memory: DuckDB's memory limit while a full run scores (its size syntax,
            "2GB"): a larger one scores faster and holds more.
        """
        self.graph = graph
        self.protection = Protection.from_config(config or default_config())
        self.store = ModelStore(model_dir)
        self.index_path = index_path(model_dir)
        self.threshold = threshold
        self.scoring_memory = scoring_memory
        self._tf: dict[str, TermFrequencies | None] = {}

    def _scored(self, rows: Sequence[Sequence[Any]], model: TrainedModel) -> pd.DataFrame:
        """Records as they are scored and indexed: without placeholder contacts."""
        return to_frame(rows, self.protection, extra_columns(model.spec))

    def current_model(self) -> TrainedModel | None:
        try:
            return self.store.load()
        except NoCurrentModel:
            return None

    def term_frequencies(self, model: TrainedModel) -> TermFrequencies | None:
        """The term frequencies frozen with `model` (read once per version)."""
        if model.version not in self._tf:
            self._tf[model.version] = self.store.term_frequencies(model.version)
        return self._tf[model.version]

    def _index(
        self,
        model: TrainedModel,
        records: pd.DataFrame | pa.Table | None,
        memory_limit: str | None = None,
    ) -> MatchIndex:
        return MatchIndex(
            model,
            records,
            database=self.index_path,
            term_frequencies=self.term_frequencies(model),
            memory_limit=memory_limit,
        )

    def _score_all(
        self, model: TrainedModel, handed: list[pa.Table], scratch: ExitStack
    ) -> ScoredPairs:
        """A fresh index of the records of the table `handed` over (the only reference to
        it, let go once indexed, before scoring takes its memory), every one scored
        against every other inside it; both close with `scratch`."""
        self.index_path.unlink(missing_ok=True)
        index = scratch.enter_context(self._index(model, handed.pop(), self.scoring_memory))
        return scratch.enter_context(
            index.score_all(threshold_probability=min(self.threshold, name_postcode.FLOOR))
        )

    def _accept(
        self, scored: Iterable[pd.DataFrame], changes: LinkChanges, model: TrainedModel
    ) -> None:
        """The pairs `scored` accepts, slice by slice, into `changes`."""
        for pairs in scored:
            changes.add_accepted(name_postcode.accepted(pairs, model.spec, self.threshold))

    async def train(self) -> TrainedModel:
        """Train on every record, save as the current version with the term frequencies of
        the records as they are scored, rebuild the index.

        The spec is the default one plus the comparisons the sources' mappings declare
        for their own attributes.
        """
        declared = declared_comparisons(await matching_repo.compared_attributes(self.graph))
        spec = default_spec(*declared)
        extra = extra_columns(spec)
        rows = await matching_repo.matching_records(self.graph, None, extra, personal_columns(spec))
        model = train(to_frame(rows, extra=extra), spec)
        scored = self._scored(rows, model)
        tf = term_frequencies(model, scored)
        self.store.save(model, term_frequencies=tf)
        self._tf[model.version] = tf
        self.index_path.unlink(missing_ok=True)
        with self._index(model, scored):
            pass
        return model

    async def _records(self, model: TrainedModel, rids: Sequence[str] | None) -> pd.DataFrame:
        """Records as `model` scores them: its extra attributes too, no placeholders."""
        extra, personal = extra_columns(model.spec), personal_columns(model.spec)
        rows = await matching_repo.matching_records(self.graph, rids, extra, personal)
        return self._scored(rows, model)

    async def _open_index(self, model: TrainedModel, batch: set[str]) -> MatchIndex:
        """The persistent index of existing records, (re)built from the graph when it is
        missing or was built for another model."""
        if self.index_path.exists():
            try:
                return self._index(model, None)
            except IndexModelMismatch:
                log.info("match index built for another model: rebuilding it")
                self.index_path.unlink(missing_ok=True)
        existing = await self._records(model, None)
        existing = existing[~existing["unique_id"].isin(batch)]
        return self._index(model, existing)

    async def score_pair(self, a: str, b: str) -> PairScore | None:
        """How the current model scores records `a` and `b` (None without a model, or
        when either record names nobody and so is never scored)."""
        model = self.current_model()
        if model is None:
            return None
        frame = await self._records(model, [a, b])
        if set(frame["unique_id"]) != {a, b}:
            return None
        pair = frame.set_index("unique_id").loc[[a, b]].reset_index()
        index = await self._open_index(model, set())
        with index:
            return score_pair(index, model, pair, self.threshold)

    def scored_attributes(self) -> tuple[str, ...]:
        """The user-defined attributes the current model compares (none without a model)."""
        model = self.current_model()
        return extra_columns(model.spec) if model else ()

    def personal_attributes(self) -> tuple[str, ...]:
        """The attributes the current model compares as one person's own (`personal`), on
        which two members of one family never agree (none without a model)."""
        model = self.current_model()
        return personal_columns(model.spec) if model else ()

    async def link(
        self,
        rids: Sequence[str] | None,
        *,
        touched: bool = True,
    ) -> LinkReport:
        """Score these (new or changed) records against all others, or all records against
        each other when `rids` is None; write the accepted pairs that are new or changed and
        remove the links no longer accepted. No model: nothing to do.

        `touched`: whether to
        report the records at either end of a link written or removed; the links' writes
        mark them dirty, so a caller that reads records afterwards need not hold them."""
        t0 = time.perf_counter()
        model = self.current_model()
        rep = LinkReport(model_version=model.version if model else None)
        if model is None:
            return rep
        with LinkChanges(model.version) as changes:
            try:
                if rids is None:
                    rep.scored = await self._score_everything(model, changes)
                else:
                    rep.scored = await self._score_these(model, rids, changes)
            except Exception as exc:
                if _out_of_disk(exc):
                    spill = f"{self.index_path}.tmp"
                    raise ScoringOutOfDisk(spill, self.scoring_memory) from exc
                raise
            counts = await asyncio.to_thread(changes.finish)
            now = utc_stamp()
            for rows in changes.writes():
                await matching_repo.write_matches(self.graph, rows, model.version, now)
            # Links the model no longer accepts (it was retrained, or a record changed) go.
            for pairs in changes.deletes():
                await matching_repo.delete_matches(self.graph, pairs)
            rep.pairs = counts.accepted
            rep.written, rep.removed = counts.write, counts.delete
            if touched:
                rep.touched = changes.touched()
        rep.seconds = time.perf_counter() - t0
        return rep

    async def _score_everything(
        self,
        model: TrainedModel,
        changes: LinkChanges,
    ) -> int:
        """Score every record against every other into `changes`, with every stored link;
        the number of records scored."""
        # The records as Arrow columns, a page at a time: a full graph's rows and their
        # frame held as Python objects took GBs.
        pages = [
            _arrow(self._scored(rows, model))
            async for rows in matching_repo.matching_record_pages(
                self.graph, extra_columns(model.spec), personal_columns(model.spec)
            )
        ]
        table = pa.concat_tables(pages) if pages else _arrow(self._scored([], model))
        del pages
        scored = int(table.num_rows)
        handed, table = [table], None
        with ExitStack() as scratch:
            # The index is built from the records and scores them inside it, in DuckDB's
            # own threads, while Neo4j reads the links there are.
            scoring = asyncio.ensure_future(
                asyncio.to_thread(self._score_all, model, handed, scratch)
            )
            try:
                async for rows in matching_repo.existing_match_pages(self.graph, None):
                    changes.add_existing(rows)
            finally:
                pairs = await scoring
            await asyncio.to_thread(self._accept, pairs.batches(), changes, model)
        return scored

    async def _score_these(
        self, model: TrainedModel, rids: Sequence[str], changes: LinkChanges
    ) -> int:
        """Score these records against every other (and add them to the index) into
        `changes`, with their stored links; the number of records scored. Records that name
        nobody are not scored: their old links still go."""
        frame = await self._records(model, rids)
        async for rows in matching_repo.existing_match_pages(self.graph, list(rids)):
            changes.add_existing(rows)
        if frame.empty:
            return 0
        index = await self._open_index(model, set(frame["unique_id"]))
        with index:
            pairs = index.match(
                frame, threshold_probability=min(self.threshold, name_postcode.FLOOR)
            )
            index.add(frame)
        self._accept([pairs], changes, model)
        return len(frame)


def _out_of_disk(exc: BaseException) -> bool:
    """Whether `exc`, or an error it was raised from, says the disk is full (DuckDB's own
    IO error comes wrapped in Splink's, with the SQL it ran)."""
    seen: BaseException | None = exc
    for _ in range(10):
        if seen is None:
            return False
        if (isinstance(seen, OSError) and seen.errno == errno.ENOSPC) or (
            "No space left on device" in str(seen)
        ):
            return True
        seen = seen.__cause__ or seen.__context__
    return False
