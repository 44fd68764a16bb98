"""Probabilistic record matching with Splink on DuckDB.

Pure Python over DataFrames and DuckDB: records come in as a pandas DataFrame (or a
DuckDB relation) with `unique_id` and the columns a `MatchingSpec` reads; scored pairs
go out as a DataFrame. Reading records from, and writing accepted pairs to, the graph
is someone else's job.

* `train` estimates a Fellegi-Sunter model: the prior from strict deterministic rules,
  u by random sampling, m by expectation maximisation over a few blocking rules.
* `predict` scores new records against themselves and against all existing records.
* `MatchIndex` keeps the existing records in a DuckDB table (in memory or a file) so an
  incremental batch is matched without reloading them; `MatchIndex.score_all` is the full
  dedupe of the indexed records, scored inside the index and read out in slices.

New-vs-existing matching is the `link_and_dedupe` of the two tables minus the
existing-existing part, which was scored when those records were new. Splink 5 has a
primitive for each remaining part: `predict_between(new, existing)` blocks only new x
existing, and `predict_within(new)` dedupes the new batch. Both reuse the trained
blocking rules, and neither touches existing-existing pairs, so an incremental batch
costs O(batch) joins rather than O(existing^2).

Records from the same `source` are compared like any others: duplicates inside one
source system are real.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import re
import time
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, Final, Literal

import duckdb
import pandas as pd
import pyarrow as pa
from pydantic import BaseModel, ConfigDict, Field
from splink import DuckDBAPI, Linker, SettingsCreator
from splink.blocking_analysis import count_comparisons_from_blocking_rules
from splink.internals.exceptions import EMTrainingException
from splink.internals.settings import Settings

from core.clock import utc_now
from matching import family_rule
from matching import term_frequencies as tf_store
from matching.errors import MatchingError
from matching.names import nickname_roots
from matching.scored_pairs import ScoredPairs
from matching.splink_settings import (
    NICKNAME_TABLE,
    UNIQUE_ID,
    MatchingSpec,
    blocking_key_columns,
    blocking_keys_select_sql,
    blocking_rule_sqls,
    build_settings,
    default_spec,
    deterministic_blocking_rules,
    em_blocking_rules,
    hub_values_sql,
    required_input_columns,
    term_frequency_holders,
)

__all__ = [
    "OUTPUT_COLUMNS",
    "DuplicateRecordIds",
    "IndexModelMismatch",
    "MatchIndex",
    "MissingColumns",
    "NotEnoughRecords",
    "ProbabilisticMatchingError",
    "TrainedModel",
    "blocking_report",
    "evidence_sql",
    "fill_untrained_m",
    "predict",
    "refit_prior",
    "term_frequencies",
    "train",
]

logger = logging.getLogger(__name__)

OUTPUT_COLUMNS: Final = ("rid_l", "rid_r", "match_weight", "match_probability", "evidence")
_NAME_COLUMNS: Final = ("given_name_l", "given_name_r", "family_name_l", "family_name_r")
"""Kept beside the output long enough to hold back pairs of one family's members."""
_PERSONAL: Final = re.compile(r"^[a-z][a-z0-9_]{0,62}_[lr]$")
"""The shape of a personal attribute's value column in the predictions (kept likewise)."""


def _personal_columns(spec: MatchingSpec) -> list[str]:
    """The prediction columns holding the values of the spec's `personal` comparisons."""
    return [f"{name}_{side}" for name in spec.personal_comparisons for side in ("l", "r")]


_RECORDS: Final = "cdp_records"
_BATCH: Final = "cdp_batch"
_INPUT: Final = "cdp_input"
_META: Final = "cdp_meta"
_DIALECT: Final = "duckdb"
_INDEX_FORMAT: Final = 3
"""Bumped when the index tables change shape, so an old index file is refused."""


class ProbabilisticMatchingError(MatchingError):
    """Root of the errors raised by probabilistic matching."""


class MissingColumns(ProbabilisticMatchingError):
    def __init__(self, columns: list[str]) -> None:
        super().__init__(f"records lack columns the matching spec needs: {columns}")
        self.columns = columns


class DuplicateRecordIds(ProbabilisticMatchingError):
    def __init__(self, count: int) -> None:
        super().__init__(f"{count} unique_id values occur more than once")
        self.count = count


class NotEnoughRecords(ProbabilisticMatchingError):
    """Training compares pairs of records; the graph holds fewer than two."""

    def __init__(self, count: int) -> None:
        super().__init__(
            f"cannot train the matching model on {count} record(s): at least two are "
            "needed; load data first (`cdp ingest`)"
        )
        self.count = count


class IndexModelMismatch(ProbabilisticMatchingError):
    def __init__(self, index_version: str, model_version: str) -> None:
        super().__init__(
            f"the index file was built for model {index_version}, not {model_version}; "
            "rebuild it from the records"
        )
        self.index_version = index_version
        self.model_version = model_version


class TrainedModel(BaseModel):
    """A trained model: Splink settings with m/u/prior, and the spec that derives its
    blocking keys.

    Attributes:
        settings_json: Splink's model JSON (`Linker(..., settings=json.loads(...))` loads it).
        spec: The matching spec; prediction needs it to derive the same blocking keys.
        version: A hash of the settings and the spec; same data, spec and seed give the
            same version.
        trained_at: When training finished (UTC).
        record_count: How many records the model was trained on.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    settings_json: str
    spec: MatchingSpec
    version: str
    trained_at: datetime
    record_count: int = Field(ge=0)

    @classmethod
    def create(
        cls, settings: dict[str, Any], spec: MatchingSpec, record_count: int
    ) -> TrainedModel:
        # The linker uid is random and parallel sums differ in the last bits from run to
        # run: without both, the same data, spec and seed give the same version.
        settings = _canonical({k: v for k, v in settings.items() if k != "linker_uid"})
        settings_json = json.dumps(settings, sort_keys=True)
        return cls(
            settings_json=settings_json,
            spec=spec,
            version=model_version(settings_json, spec),
            trained_at=utc_now(),
            record_count=record_count,
        )

    @property
    def settings(self) -> dict[str, Any]:
        loaded: dict[str, Any] = json.loads(self.settings_json)
        return loaded

    @property
    def probability_two_random_records_match(self) -> float:
        return float(self.settings["probability_two_random_records_match"])


def _canonical(value: Any) -> Any:
    """`value` with every float rounded to 12 significant digits."""
    if isinstance(value, float):
        return float(f"{value:.12g}")
    if isinstance(value, dict):
        return {k: _canonical(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_canonical(v) for v in value]
    return value


def model_version(settings_json: str, spec: MatchingSpec) -> str:
    digest = hashlib.sha256()
    digest.update(settings_json.encode())
    digest.update(spec.model_dump_json().encode())
    return digest.hexdigest()[:16]


# --- DuckDB workspace ----------------------------------------------------------------------


def _hub_table(key_column: str) -> str:
    return f"cdp_hub_{key_column}"


def _as_relation(con: duckdb.DuckDBPyConnection, records: Any, name: str) -> None:
    """Expose `records` (pandas DataFrame, Arrow table or DuckDB relation) to SQL as view
    `name`."""
    if isinstance(records, duckdb.DuckDBPyRelation):
        # A relation from another connection cannot be queried here; materialise it.
        records = records.df()
    if not isinstance(records, pd.DataFrame | pa.Table):
        raise TypeError(
            f"records must be a pandas DataFrame, Arrow table or DuckDB relation: {type(records)}"
        )
    con.register(name, records)


def _check_columns(con: duckdb.DuckDBPyConnection, view: str, spec: MatchingSpec) -> None:
    present = {row[0] for row in con.execute(f"describe {view}").fetchall()}
    missing = [c for c in (UNIQUE_ID, *required_input_columns(spec)) if c not in present]
    if missing:
        raise MissingColumns(missing)


def _prepare(
    con: duckdb.DuckDBPyConnection,
    records: Any,
    target: str,
    spec: MatchingSpec,
    *,
    hubs: Literal["learn", "batch", "known"],
) -> int:
    """Load `records` into table `target` with derived columns and hub-capped keys.

    Key values in a hub table are always dropped. `hubs` says what else is:
    "learn" adds the values too frequent among these records to the hub tables (a
    fresh index); "batch" drops them for this batch only (a batch to match); "known"
    drops nothing more (a batch to index: `MatchIndex.add` finds the new hubs once
    the batch is in).

    Returns:
        The number of records loaded.
    """
    _as_relation(con, records, _INPUT)
    try:
        _check_columns(con, _INPUT, spec)
        con.execute(
            f"create or replace temp table {target}_raw as {blocking_keys_select_sql(spec, _INPUT)}"
        )
    finally:
        con.unregister(_INPUT)
    dupes = _scalar(
        con,
        f"select count(*) from (select {UNIQUE_ID} from {target}_raw "
        f"group by {UNIQUE_ID} having count(*) > 1)",
    )
    if dupes:
        con.execute(f"drop table {target}_raw")
        raise DuplicateRecordIds(int(dupes))
    selects = []
    for col in _columns_of(con, f"{target}_raw"):
        if col not in blocking_key_columns(spec):
            selects.append(col)
            continue
        hub = _hub_table(col)
        con.execute(f"create table if not exists {hub} (value varchar)")
        found = hub_values_sql(col, f"{target}_raw", spec.max_block_size)
        condition = f"{col} in (select value from {hub})"
        if hubs == "learn":
            con.execute(
                f"insert into {hub} select value from ({found}) "
                f"where value not in (select value from {hub})"
            )
        elif hubs == "batch":
            con.execute(f"create or replace temp table {hub}_batch as {found}")
            condition += f" or {col} in (select value from {hub}_batch)"
        selects.append(f"case when {condition} then null else {col} end as {col}")
    con.execute(
        f"create or replace table {target} as select {', '.join(selects)} from {target}_raw"
    )
    con.execute(f"drop table {target}_raw")
    return int(_scalar(con, f"select count(*) from {target}"))


def _connect(database: str | Path = ":memory:") -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(database))
    # DuckDB draws a progress bar on stdout for long queries; a library must not.
    con.execute("set enable_progress_bar = false")
    # The nickname lookup the name comparison reads, on every connection (a view of a
    # frame, so it is never stored in an index file).
    con.register(NICKNAME_TABLE, _nickname_frame())
    if str(database) != ":memory:":
        # Every match scans the indexed records; decompressing them each time tripled
        # its cost at 1M records. Uncompressed, the file is ~2.5x larger (~400 MB).
        con.execute("set force_compression = 'uncompressed'")
    return con


@lru_cache(maxsize=1)
def _nickname_frame() -> pd.DataFrame:
    return pd.DataFrame(nickname_roots(), columns=["name", "roots"])


def _scalar(con: duckdb.DuckDBPyConnection, sql: str) -> Any:
    # fetchall, not fetchone: DuckDB refuses new work while a result is partly fetched.
    rows = con.execute(sql).fetchall()
    return rows[0][0] if rows else None


def _columns_of(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    return [str(row[0]) for row in con.execute(f"describe {table}").fetchall()]


def _linker(
    db_api: DuckDBAPI,
    table: str,
    settings: dict[str, Any] | SettingsCreator,
    *,
    validate: bool = True,
) -> Linker:
    """A Splink linker over `table`. `validate=False` skips Splink's check of the settings'
    columns against the table (about 0.2 s): for a trained model's settings, checked when
    it was trained, over the index built for them."""
    # log_level=None: Splink's loggers propagate to ours rather than configuring handlers.
    return Linker(db_api.register(table), settings, log_level=None, validate_settings=validate)


class _ScoringSettings(Settings):
    """Splink's settings, but the predictions keep no column only a blocking rule reads."""

    @property
    def _additional_column_names_to_retain(self) -> list[str]:
        return list(self._additional_col_names_to_retain)


def _retain_no_blocking_keys(linker: Linker) -> None:
    """Leave the blocking keys (`bk_*`) out of `linker`'s predictions.

    With `retain_matching_columns` (the levels the evidence names need it), Splink carries
    every column a blocking rule reads, for both records, from the join of the blocked
    pairs with the records to the predictions, although nothing reads them after blocking.
    At 1M records that join is the scoring's memory: twice the payload, which under a 1 GB
    cap spilled and took 2.5x as long. Levels, weights and the columns read afterwards
    (names, `personal` values) are unchanged. Splink copies the settings object for each
    prediction (`deepcopy`), which keeps its class.
    """
    linker._settings_obj.__class__ = _ScoringSettings


@contextmanager
def _timed(step: str) -> Iterator[None]:
    start = time.perf_counter()
    yield
    logger.info("matching step %s took %.2fs", step, time.perf_counter() - start)


def blocking_report(
    records: pd.DataFrame | duckdb.DuckDBPyRelation,
    spec: MatchingSpec | None = None,
    *,
    sample_proportion: float = 1.0,
) -> pd.DataFrame:
    """How many candidate pairs each blocking rule adds for a full dedupe of `records`.

    Returns:
        One row per rule: `rule`, `pairs` (new pairs, not found by an earlier rule) and
        `cumulative_pairs`.
    """
    spec = spec or default_spec()
    con = _connect()
    try:
        _prepare(con, records, _RECORDS, spec, hubs="learn")
        db_api = _MatchingDuckDBAPI(con)
        counts = count_comparisons_from_blocking_rules(
            db_api.register(_RECORDS),
            blocking_rules=blocking_rule_sqls(spec),
            link_type="dedupe_only",
            record_sample_proportion=sample_proportion,
        )
    finally:
        con.close()
    return pd.DataFrame(
        {
            "rule": [r.name for r in spec.all_blocking_rules],
            "pairs": [int(c["marginal_comparison_count"]) for c in counts],
            "cumulative_pairs": [int(c["cumulative_comparison_count"]) for c in counts],
        }
    )


# --- training ------------------------------------------------------------------------------


def train(
    records: pd.DataFrame | duckdb.DuckDBPyRelation,
    spec: MatchingSpec | None = None,
    *,
    seed: int = 42,
    u_max_pairs: float = 3e6,
    em_max_pairs: float = 1e6,
    prior_max_records: int = 200_000,
) -> TrainedModel:
    """Train a matching model on `records` (no labels needed).

    1. A first prior (probability two random records match): pairs found by the spec's
       strict deterministic rules, divided by their assumed recall and by all possible
       pairs. It is only a starting point: the recall of strict rules is unknown and
       depends on how complete the data is (a rule on date of birth finds nothing where
       one source alone holds it).
    2. u (how often non-matches agree at each level): random pairs, seeded, capped at
       `u_max_pairs`. Random pairs are almost all non-matches.
    3. m (how often matches agree at each level): EM over each of the spec's `em_blocks`,
       sampled down to about `em_max_pairs` pairs each. Each session estimates m for the
       comparisons it does not block on; u and the prior stay fixed.
    4. The prior, refitted with m and u fixed (`refit_prior`): the maximum-likelihood
       share of matches among the pairs the prediction blocking rules propose, over
       all possible pairs, on a seeded sample of at most `prior_max_records` records.
       Before that, levels EM never saw take a value from the level below
       (`fill_untrained_m`).

    Args:
        records: The records to learn from; see the module docstring for the columns.
        spec: What to compare and block on; `default_spec()` when None.
        seed: Seed for u sampling; with the same data and spec training is reproducible.
        u_max_pairs: Random pairs for u estimation.
        em_max_pairs: Blocked pairs per EM session.
        prior_max_records: Records sampled to refit the prior (a sample of records keeps
            the share of matching pairs: both counts scale with the square of its size).

    Returns:
        The trained model.
    """
    spec = spec or default_spec()
    if len(records) < 2:
        raise NotEnoughRecords(len(records))
    con = _connect()
    unobserved = _UnobservedLevels()
    try:
        unobserved.attach()
        with _timed("train.load"):
            count = _prepare(con, records, _RECORDS, spec, hubs="learn")
        db_api = _MatchingDuckDBAPI(con)
        linker = _linker(db_api, _RECORDS, build_settings(spec))
        with _timed("train.prior"):
            linker.training.estimate_probability_two_random_records_match(
                deterministic_blocking_rules(spec), recall=spec.deterministic_recall
            )
            if linker._settings_obj._probability_two_random_records_match <= 0 and count > 1:
                # No pair passes the strict rules (one source with no duplicates): start
                # from one match among all pairs instead of a prior of 0, which has no
                # match weight; the refit below then finds what the data says.
                linker._settings_obj._probability_two_random_records_match = 2 / (
                    count * (count - 1)
                )
        with _timed("train.u"):
            # One chunk: Splink's chunks let u estimation stop early once every level
            # has been seen 100 times, but levels as rare among random pairs as an
            # exact date of birth never get there, so chunks only multiply queries.
            linker.training.estimate_u_using_random_sampling(
                max_pairs=u_max_pairs, seed=seed, num_chunks=1
            )
        for rule in em_blocking_rules(spec):
            with _timed("train.em"):
                try:
                    # Without TF, EM iterates over counts of agreement patterns instead of
                    # every pair: minutes become seconds; TF still applies when predicting.
                    linker.training.estimate_parameters_using_expectation_maximisation(
                        rule, estimate_without_term_frequencies=True, max_pairs=em_max_pairs
                    )
                except EMTrainingException:
                    # Data with no pair agreeing on this block (records of one source with
                    # no duplicates, or without dates of birth): the other sessions and
                    # `fill_untrained_m` provide these m values.
                    logger.warning("EM session found no pairs to learn from; skipped")
        settings = linker.misc.save_model_to_json()
        filled = fill_untrained_m(settings)
        with _timed("train.prior_refit"):
            settings["probability_two_random_records_match"] = _refit_prior_on_sample(
                con, db_api, settings, count, max_records=prior_max_records, seed=seed
            )
    finally:
        unobserved.detach()
        con.close()
    summary = unobserved.summary(filled)
    if summary:
        logger.warning(summary)
    model = TrainedModel.create(settings, spec, count)
    logger.info("trained matching model %s on %d records", model.version, count)
    return model


_SPLINK_TRAINING_LOGGERS: Final = (
    "splink.internals.expectation_maximisation",
    "splink.internals.em_training_session",
    "splink.internals.em_sampling",
    "splink.internals.m_u_records_to_parameters",
    "splink.internals.estimate_u",
    "splink.internals.linker",
)
_NOT_OBSERVED: Final = (
    re.compile(r"Level (?P<level>.+) on comparison (?P<comparison>\S+) not observed in dataset"),
    re.compile(r"[mu] probability not trained for (?P<comparison>\S+) - (?P<level>.+) \(comp"),
    re.compile(r"not trained for (?P<comparison>\S+) - (?P<level>.+) \(comparison vector"),
)
_SAID_BY_THE_SUMMARY: Final = (
    # An EM block with no pairs to sample from: that session learns nothing, which the
    # summary's levels say.
    re.compile(r"\[EM sampling\] Probe returned zero blocked pairs"),
    # The prior's refit predicts before the model is saved: the untrained levels it lists
    # are the summary's (filled from the level below, or Splink's default).
    re.compile(r"You have called predict\(\), but there are some parameter estimates"),
)


class _UnobservedLevels(logging.Filter):
    """Collects Splink's "level not observed" messages during training instead of letting
    through one raw warning per level and session (about 30 on a typical run), so that
    training can say once, in plain words, what the model could not learn."""

    def __init__(self) -> None:
        super().__init__()
        self.levels: dict[str, list[str]] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        for pattern in _NOT_OBSERVED:
            found = pattern.search(message)
            if found:
                levels = self.levels.setdefault(found["comparison"], [])
                if found["level"] not in levels:
                    levels.append(found["level"])
                return False
        return not any(pattern.search(message) for pattern in _SAID_BY_THE_SUMMARY)

    def attach(self) -> None:
        for name in _SPLINK_TRAINING_LOGGERS:
            logging.getLogger(name).addFilter(self)

    def detach(self) -> None:
        for name in _SPLINK_TRAINING_LOGGERS:
            logging.getLogger(name).removeFilter(self)

    def summary(self, filled: Sequence[tuple[str, str]]) -> str | None:
        """One message: which levels training never saw, and what the model does there."""
        if not self.levels:
            return None
        parts = "; ".join(f"{c} ({', '.join(levels)})" for c, levels in self.levels.items())
        count = sum(map(len, self.levels.values()))
        borrowed = ", ".join(f"{c}: {lvl}" for c, lvl in filled) or "none"
        return (
            f"Training found no example of {count} comparison levels in at least one of its "
            f"sessions: {parts}. Levels another session saw were learned there; levels that "
            f"no session saw among likely matches take the weight of the next less similar "
            f"level, a cautious value ({borrowed}). Pairs in these levels are scored on "
            "borrowed evidence: normal for rare cases (names swapped, day and month swapped) "
            "and for attributes one source alone holds; worth a look if a level you rely "
            "on is among them."
        )


_PRIOR_SAMPLE: Final = "cdp_prior_sample"


def fill_untrained_m(settings: dict[str, Any]) -> list[tuple[str, str]]:
    """Give levels EM never trained the Bayes factor of the next trained level below.

    A level no EM pair fell in (dates of birth that only one source holds never show a
    typo) would otherwise keep Splink's default m, whatever its u: with a rare level
    (day and month swapped, u ~2e-5) that is a Bayes factor in the hundreds learned
    from nothing. Levels are ordered from most to least similar, so a level is at least
    as good evidence of a match as any level below it; the next trained level below
    gives a cautious value. A level with no trained level below it (the last) keeps the
    default, as does a level without u. Changes `settings` in place.

    Returns:
        (comparison, level label) of each level filled in.
    """
    filled: list[tuple[str, str]] = []
    for comparison in settings["comparisons"]:
        levels = [lvl for lvl in comparison["comparison_levels"] if not lvl.get("is_null_level")]
        for i, level in enumerate(levels):
            if _trained(level, "m_probability") or not _trained(level, "u_probability"):
                continue
            below = next(
                (
                    lvl
                    for lvl in levels[i + 1 :]
                    if _trained(lvl, "m_probability") and _trained(lvl, "u_probability")
                ),
                None,
            )
            if below is None:
                continue
            bayes_factor = below["m_probability"] / below["u_probability"]
            level["m_probability"] = min(1.0, level["u_probability"] * bayes_factor)
            filled.append((str(comparison["output_column_name"]), str(level["label_for_charts"])))
    return filled


def _trained(level: dict[str, Any], key: str) -> bool:
    value = level.get(key)
    return isinstance(value, int | float) and value > 0


def _refit_prior_on_sample(
    con: duckdb.DuckDBPyConnection,
    db_api: DuckDBAPI,
    settings: dict[str, Any],
    count: int,
    *,
    max_records: int,
    seed: int,
) -> float:
    """The prior refitted (`refit_prior`) on all blocked pairs of (a sample of) the records."""
    table = _RECORDS
    if count > max_records:
        table = _PRIOR_SAMPLE
        con.execute(
            f"create or replace temp table {table} as select * from {_RECORDS} "
            f"using sample reservoir({int(max_records)} rows) repeatable ({int(seed)})"
        )
        count = max_records
    if count < 2:
        return float(settings["probability_two_random_records_match"])
    # The prediction scores pairs at the current prior; the Bayes factors are what count.
    predictions = _linker(db_api, table, settings).inference.predict()
    try:
        rows = con.execute(
            f"select round(match_weight, 2) as w, count(*) from {predictions.physical_name} "
            "group by 1"
        ).fetchall()
    finally:
        predictions.drop_table_from_database_and_remove_from_cache()
    prior = float(settings["probability_two_random_records_match"])
    prior_weight = math.log2(prior / (1 - prior))
    log2_bayes_factors = [float(w) - prior_weight for w, _ in rows if w is not None]
    counts = [int(n) for w, n in rows if w is not None]
    return refit_prior(log2_bayes_factors, counts, count * (count - 1) / 2, start=prior)


def refit_prior(
    log2_bayes_factors: Sequence[float],
    counts: Sequence[int],
    total_pairs: float,
    *,
    start: float = 1e-4,
    tolerance: float = 1e-7,
    max_iterations: int = 1000,
) -> float:
    """The prior that maximises the likelihood of the blocked pairs, m and u fixed.

    EM on the mixing weight alone: the prior becomes the expected number of matches
    (the sum of the pairs' match probabilities under the current prior) over all
    possible pairs, until it settles. Pairs outside the blocking rules count as
    non-matches; the rules are there to catch nearly every match, and the expected
    number of matches among pairs they miss is the prior times the share of m outside
    them, which that share leaves small.

    Unlike deterministic rules with an assumed recall, this needs no guess about how
    complete the data is; it is as good as m and u are.

    Args:
        log2_bayes_factors: The total log2 Bayes factor of each group of pairs (the
            match weight without the prior).
        counts: How many pairs have each Bayes factor.
        total_pairs: All possible pairs (n(n-1)/2 for a dedupe of n records).
        start: The first prior.
        tolerance: Stop when the prior changes by less than this share.
        max_iterations: Stop after this many updates.

    Returns:
        The refitted prior, in (0, 1).
    """
    if total_pairs <= 0 or not counts:
        return start
    floor = 1 / (total_pairs * 1e3)
    prior = min(max(start, floor), 0.5)
    for _ in range(max_iterations):
        odds = math.log2(prior / (1 - prior))
        expected = sum(
            n / (1 + 2 ** min(-(odds + w), 1000.0))
            for w, n in zip(log2_bayes_factors, counts, strict=True)
        )
        updated = min(max(expected / total_pairs, floor), 0.5)
        if abs(updated - prior) <= tolerance * prior:
            return updated
        prior = updated
    return prior


# --- prediction ----------------------------------------------------------------------------


def evidence_sql(settings: dict[str, Any], columns: set[str]) -> str:
    """A SQL expression building the evidence JSON of one scored pair.

    Per comparison: the label of the level the pair fell in and its Bayes factor (the
    factor by which it multiplied the odds of a match, term-frequency adjustment
    included). A null level has Bayes factor 1.

    Args:
        settings: The trained Splink settings.
        columns: The columns of the predictions table (tells which comparisons have a
            term-frequency adjustment column).
    """
    parts = []
    for comparison in (
        SettingsCreator.from_path_or_dict(settings).get_settings(_DIALECT).comparisons
    ):
        name = comparison.output_column_name
        gamma = f"gamma_{name}"
        whens = " ".join(
            f"when {int(level.comparison_vector_value)} then {_sql_string(level.label_for_charts)}"
            for level in comparison.comparison_levels
        )
        weight = f"mw_{name}"
        if f"mw_tf_adj_{name}" in columns:
            weight = f"({weight} + coalesce(mw_tf_adj_{name}, 0))"
        parts.append(
            f"{_sql_string(name)}, json_object('level', case {gamma} {whens} end, "
            f"'bf', {_rounded_sql(f'pow(2, {weight})')})"
        )
    return f"cast(json_object({', '.join(parts)}) as varchar)"


def _rounded_sql(expr: str, digits: int = 4) -> str:
    """`expr` (positive) rounded to `digits` significant digits."""
    positive = f"greatest({expr}, 1e-300)"
    places = f"cast(least(300, greatest(0, {digits - 1} - floor(log10({positive})))) as integer)"
    return f"round({expr}, {places})"


def _sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


_PLAIN_CONCAT_CTE: Final = re.compile(r"\b(__splink__df_concat(?:_left|_right)?) as \(")


def inline_plain_concat_ctes(sql: str) -> str:
    """Mark Splink's plain input-concatenation CTEs `not materialized`.

    Blocking refers to the concatenated input once per rule, so DuckDB materialises it:
    a copy of every column of every record (a second or more at 1M records) just to
    read one key column per rule. Inlined, each rule scans its key column from the
    table. The CTEs are plain projections of the input tables, so the result is the
    same; CTEs that join term frequencies stay materialised.
    """
    return _PLAIN_CONCAT_CTE.sub(r"\1 as not materialized (", sql)


class _MatchingDuckDBAPI(DuckDBAPI):
    """The `DuckDBAPI` Splink runs through here: inlines plain concat CTEs and can record
    the SQL it runs.

    Splink regenerates its SQL (through sqlglot) on every prediction call, about a
    second for this model whatever the batch size. For fixed table names, schema and
    threshold that SQL is identical every time, so `MatchIndex` records it once and
    replays it for later batches.
    """

    def __init__(self, connection: duckdb.DuckDBPyConnection) -> None:
        super().__init__(connection=connection)
        self._recorded: list[str] | None = None

    @contextmanager
    def recording(self) -> Iterator[list[str]]:
        self._recorded = []
        try:
            yield self._recorded
        finally:
            self._recorded = None

    def _execute_sql_against_backend(self, final_sql: str) -> duckdb.DuckDBPyRelation:
        final_sql = inline_plain_concat_ctes(final_sql)
        result = super()._execute_sql_against_backend(final_sql)
        if self._recorded is not None:
            self._recorded.append(final_sql)
        return result


@dataclass(frozen=True, slots=True)
class _ScoringPlan:
    """Splink's SQL for one kind of batch, recorded by `_MatchingDuckDBAPI`."""

    statements: tuple[str, ...]
    outputs: tuple[str, ...]
    result_sql: str


_PlanKey = tuple[str, bool, float, bool]
"""(the index's model version and format, frozen term frequencies or counted ones, the
threshold, whether records are indexed): what Splink's SQL for a batch depends on. The
model version is a hash of its settings and spec, and the table names are fixed."""

_SHARED_PLANS: OrderedDict[_PlanKey, _ScoringPlan] = OrderedDict()
"""Plans recorded by any index of this process, the most recently used last, so that an
index opened for each batch of a warm process (`cdp run --watch`) replays the SQL an
earlier one recorded instead of having Splink generate it again (about 0.3 s a batch at
1M records)."""

_SHARED_PLANS_KEPT: Final = 16


class MatchIndex:
    """Existing records held in DuckDB, ready to match new batches against.

    The records are loaded once, with their blocking keys, hub lists and term-frequency
    counts; `match` then only joins the batch against them, replaying the SQL Splink
    generated for the first batch. `add` indexes a batch in time proportional to the
    batch, not the index.

    By default the index lives in memory. With a file `database` it survives the
    process: reopening the file with the same model skips the load (0.3 s instead of
    about 8 s at 1M records). The file is stored uncompressed so that matching is as
    fast as in memory once its pages are cached; Splink's scratch tables are written
    to it and dropped.

    Term frequencies are those frozen with the model when given
    (`matching.term_frequencies`: a pair then scores the same whatever was indexed when it
    was scored). Without them they count the indexed records; a batch's own values count
    too only with `match(..., batch_term_frequencies=True)`. One index is one DuckDB connection:
    use it from one thread at a time. `memory_limit` (DuckDB's size syntax, "1GB") caps the
    memory DuckDB takes for it; DuckDB's default is 80% of the machine's.
    """

    def __init__(
        self,
        model: TrainedModel,
        records: pd.DataFrame | pa.Table | duckdb.DuckDBPyRelation | None = None,
        *,
        database: str | Path = ":memory:",
        term_frequencies: tf_store.TermFrequencies | None = None,
        memory_limit: str | None = None,
    ) -> None:
        self._model = model
        self._spec = model.spec
        self._con = _connect(database)
        if memory_limit is not None:
            # Beyond it DuckDB spills joins, sorts and the tables it holds to its temporary
            # directory (`<database>.tmp` beside a file) instead of growing.
            self._con.execute("set memory_limit = ?", [memory_limit])
        self._db_api = _MatchingDuckDBAPI(self._con)
        self._tf_columns = _term_frequency_columns(model.settings)
        self._tf_holders = term_frequency_holders(model.spec)
        self._frozen_tf = term_frequencies
        if term_frequencies is not None:
            # Views of frames on this connection only: never stored in an index file.
            for col in self._tf_columns:
                self._con.register(_frozen_tf_table(col), term_frequencies.of(col))
        self._plans: dict[tuple[float, bool], _ScoringPlan] = {}
        try:
            reopened = self._reopen()
            if not reopened:
                self._create(records)
            self._linker = _linker(self._db_api, _RECORDS, model.settings, validate=False)
            _retain_no_blocking_keys(self._linker)
            if reopened and records is not None:
                self.add(records)
        except BaseException:
            self._con.close()
            raise

    def _reopen(self) -> bool:
        tables = {row[0] for row in self._con.execute("show tables").fetchall()}
        if _META not in tables:
            return False
        version = str(_scalar(self._con, f"select model_version from {_META}") or "")
        if version != self._index_version:
            raise IndexModelMismatch(version, self._index_version)
        return True

    @property
    def _index_version(self) -> str:
        return f"{self._model.version}/{_INDEX_FORMAT}"

    def _create(self, records: pd.DataFrame | pa.Table | duckdb.DuckDBPyRelation | None) -> None:
        if records is None:
            records = pd.DataFrame(
                {
                    c: pd.Series(dtype="object")
                    for c in (UNIQUE_ID, *required_input_columns(self._spec))
                }
            )
        with _timed("index.load"):
            for key in blocking_key_columns(self._spec):
                # Left over from a load that failed before it was recorded in the meta table.
                self._con.execute(f"drop table if exists {_hub_table(key)}")
            count = _prepare(self._con, records, _RECORDS, self._spec, hubs="learn")
            self._count_term_frequencies()
        self._con.execute(f"create or replace table {_META} (model_version varchar)")
        self._con.execute(f"insert into {_META} values (?)", [self._index_version])
        self._con.execute("checkpoint")
        logger.info("match index loaded %d records", count)

    def _tf_rows_sql(self, col: str, source: str) -> str:
        """Counts of `col`'s values in `source`: (value, n), or for a column counted per
        holder (`term_frequency_holders`) (value, holder, n), so that `add` can keep the
        number of distinct holders of each value."""
        holder = self._tf_holders.get(col)
        if holder is None:
            return (
                f"select {col}, count(*) as n from {source} where {col} is not null group by {col}"
            )
        h = tf_store.holder_sql(holder, UNIQUE_ID)
        return (
            f"select {col}, {h} as h, count(*) as n from {source} where {col} is not null "
            f"group by {col}, h"
        )

    def _tf_value_counts_sql(self, col: str, rows: str) -> str:
        """(value, n) of rows as `_tf_rows_sql` gives them (several tables' rows united):
        records, or distinct holders, per value."""
        if col in self._tf_holders:
            return (
                f"select {col}, count(*) as n from (select distinct {col}, h from {rows}) "
                f"group by {col}"
            )
        return f"select {col}, sum(n) as n from {rows} group by {col}"

    def _count_term_frequencies(self) -> None:
        # Counts, not frequencies: `add` then updates only the batch's values.
        for col in self._tf_columns:
            self._con.execute(
                f"create or replace table cdp_tfc_{col} as {self._tf_rows_sql(col, _RECORDS)}"
            )

    def _adjust_term_frequencies(self, source: str, sign: int) -> None:
        for col in self._tf_columns:
            counts = f"cdp_tfc_{col}"
            keys = [col, "h"] if col in self._tf_holders else [col]
            same = " and ".join(f"{counts}.{k} = d.{k}" for k in keys)
            self._con.execute(
                f"create or replace temp table cdp_tf_delta as {self._tf_rows_sql(col, source)}"
            )
            self._con.execute(
                f"update {counts} set n = {counts}.n + {int(sign)} * d.n "
                f"from cdp_tf_delta d where {same}"
            )
            self._con.execute(
                f"insert into {counts} select * from cdp_tf_delta d "
                f"where not exists (select 1 from {counts} where {same})"
            )
            self._con.execute(f"delete from {counts} where n <= 0")

    def _batch_term_frequencies(self, *, with_batch: bool) -> None:
        """Term frequencies of the batch's values, for Splink to join (`cdp_tfb_*`).

        A TF adjustment only applies at levels where both records hold the same value,
        and every pair has a record from the batch, so the batch's values are the only
        ones needed: joining a table that small to the indexed records costs nothing.
        Splink's definition: a value's share of the column's non-null values. With term
        frequencies frozen with the model, those (`matching.term_frequencies`), whatever
        is indexed; the batch then always counts among the records loaded now.
        """
        self._term_frequency_lookups(_BATCH, count_source=with_batch or self._frozen_tf is not None)

    def _term_frequency_lookups(self, source: str, *, count_source: bool) -> None:
        """`cdp_tfb_*`: the term frequencies of the values of table `source`, counted over
        the indexed records, and with `count_source` over `source`'s records too."""
        for col in self._tf_columns:
            rows = f"cdp_tfc_{col}"
            if count_source:
                rows = f"(select * from {rows} union all {self._tf_rows_sql(col, source)})"
            counts = f"({self._tf_value_counts_sql(col, rows)})"
            if self._frozen_tf is not None:
                lookup = tf_store.lookup_sql(
                    col, source, _frozen_tf_table(col), self._frozen_tf.total(col), counts
                )
            else:
                lookup = (
                    f"with c as (select * from {counts}) "
                    f"select {col}, cast(n as double) / (select sum(n) from c) as tf_{col} "
                    f"from c where {col} in (select {col} from {source})"
                )
            self._con.execute(f"create or replace temp table cdp_tfb_{col} as {lookup}")

    def __len__(self) -> int:
        return int(_scalar(self._con, f"select count(*) from {_RECORDS}"))

    def __enter__(self) -> MatchIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._con.close()

    @property
    def model(self) -> TrainedModel:
        return self._model

    def add(self, records: pd.DataFrame | pa.Table | duckdb.DuckDBPyRelation) -> int:
        """Index more records; a record whose id is already indexed is replaced.

        Costs time in proportion to the batch: term-frequency counts and hub lists are
        updated for the batch's values only.

        Returns:
            The number of records added or replaced.
        """
        with _timed("index.add"):
            count = _prepare(self._con, records, _BATCH, self._spec, hubs="known")
            is_replaced = f"{UNIQUE_ID} in (select {UNIQUE_ID} from {_BATCH})"
            self._adjust_term_frequencies(f"(select * from {_RECORDS} where {is_replaced})", -1)
            self._con.execute(f"delete from {_RECORDS} where {is_replaced}")
            self._con.execute(f"insert into {_RECORDS} by name select * from {_BATCH}")
            self._adjust_term_frequencies(_BATCH, +1)
            for key in blocking_key_columns(self._spec):
                self._cap_new_hubs(key)
            self._con.execute(f"drop table {_BATCH}")
            # Written out in the file's (uncompressed) layout now, not at some later match.
            self._con.execute("checkpoint")
        return count

    def _cap_new_hubs(self, key: str) -> None:
        # A value is either a hub (all its rows nulled) or not (none nulled), so the
        # non-null count of a non-hub value is exact, and only values the batch brought
        # can have crossed the limit.
        hub = _hub_table(key)
        self._con.execute(
            f"create or replace temp table cdp_new_hubs as select {key} as value "
            f"from {_RECORDS} where {key} in (select {key} from {_BATCH}) "
            f"group by {key} having count(*) > {int(self._spec.max_block_size)}"
        )
        # Nearly always none: then no scan of the whole index to null nothing.
        if not self._con.execute("select count(*) from cdp_new_hubs").fetchall()[0][0]:
            return
        self._con.execute(f"insert into {hub} select value from cdp_new_hubs")
        self._con.execute(
            f"update {_RECORDS} set {key} = null where {key} in (select value from cdp_new_hubs)"
        )

    def match(
        self,
        new_records: pd.DataFrame | duckdb.DuckDBPyRelation,
        *,
        threshold_probability: float = 0.95,
        batch_term_frequencies: bool = False,
        family_rule: bool = True,
    ) -> pd.DataFrame:
        """Score `new_records` against each other and against every indexed record.

        The index is unchanged: call `add` to index the batch afterwards. A new record
        whose id is already indexed supersedes the indexed version.

        Args:
            new_records: The batch.
            threshold_probability: Keep pairs with at least this match probability.
            batch_term_frequencies: Count the batch's values in the term frequencies
                too: right for a batch as large as the index, pointless for a small one.
            family_rule: Leave out pairs naming two members of one family
                (`hold_back_family_members`); False shows every scored pair.

        Returns:
            Pairs `rid_l` (always a new record), `rid_r`, `match_weight`,
            `match_probability` and `evidence` (JSON), sorted by `rid_l`, `rid_r`.
        """
        with _timed("index.match.load"):
            _prepare(self._con, new_records, _BATCH, self._spec, hubs="batch")
        try:
            self._batch_term_frequencies(with_batch=batch_term_frequencies)
            with _timed("index.match.score"):
                scored = self._score(threshold_probability)
                scored = (
                    hold_back_family_members(scored, self._spec.personal_comparisons)
                    if family_rule
                    else scored.reindex(columns=list(OUTPUT_COLUMNS))
                )
        finally:
            self._con.execute(f"drop table if exists {_BATCH}")
        logger.info("matched a batch: %d pairs above threshold", len(scored))
        return scored

    def score_all(
        self, *, threshold_probability: float = 0.95, family_rule: bool = True
    ) -> ScoredPairs:
        """Score every indexed record against every other, inside the index.

        The full dedupe `predict(model, records)` gives, without loading the records a
        second time: the term frequencies are those of the indexed records (and frozen
        ones, when given) as `predict` counts them over its batch, and the pairs, their
        columns and their order are those `match` gives. They stay in DuckDB until read
        (`ScoredPairs.batches`); close the result to drop them before using the index
        again.

        Args:
            threshold_probability: Keep pairs with at least this match probability.
            family_rule: Leave out pairs naming two members of one family.
        """
        with _timed("index.score_all"):
            self._term_frequency_lookups(_RECORDS, count_source=False)
            for col in self._tf_columns:
                self._linker.table_management.register_term_frequency_lookup(
                    self._db_api.register(f"cdp_tfb_{col}"), col
                )
            output = self._linker.inference.predict_within(
                self._db_api.register(_RECORDS),
                link_type="dedupe_only",
                threshold_match_probability=_splink_threshold(threshold_probability),
                warning_mode="never",
            )
        try:
            columns = set(_columns_of(self._con, output.physical_name))
            result_sql = _result_sql(
                (output.physical_name,),
                evidence_sql(self._model.settings, columns),
                [c for c in (*_NAME_COLUMNS, *_personal_columns(self._spec)) if c in columns],
                min_weight=_threshold_weight(threshold_probability),
            )
        except BaseException:
            output.drop_table_from_database_and_remove_from_cache()
            raise
        personal = self._spec.personal_comparisons

        def finish(scored: pd.DataFrame) -> pd.DataFrame:
            if family_rule:
                return hold_back_family_members(scored, personal)
            return scored.reindex(columns=list(OUTPUT_COLUMNS))

        return ScoredPairs(
            self._con, result_sql, finish, output.drop_table_from_database_and_remove_from_cache
        )

    def proposing_rules(self, pair: pd.DataFrame) -> list[tuple[str, bool]]:
        """The blocking rules under which the two records of `pair` agree, each with
        whether the key they share is a hub value (shared by too many records to block
        on, so that rule does not propose the pair)."""
        if len(pair) != 2:
            raise ValueError("a pair is two records")
        _as_relation(self._con, pair, "cdp_pair_input")
        try:
            rows = self._con.execute(blocking_keys_select_sql(self._spec, "cdp_pair_input")).df()
        finally:
            self._con.unregister("cdp_pair_input")
        left, right = rows.iloc[0], rows.iloc[1]
        out: list[tuple[str, bool]] = []
        for rule in self._spec.all_blocking_rules:
            cross = rule.cross_key_column or rule.key_column
            for x, y in ((left, right), (right, left)):
                value = x[rule.key_column]
                if value is not None and not pd.isna(value) and value == y[cross]:
                    hub = _hub_table(rule.key_column)
                    known = (
                        self._con.execute(
                            f"select count(*) from {hub} where value = ?", [value]
                        ).fetchall()[0][0]
                        if self._has_table(hub)
                        else 0
                    )
                    out.append((rule.name, bool(known)))
                    break
        return out

    def _has_table(self, name: str) -> bool:
        return bool(
            self._con.execute(
                "select count(*) from information_schema.tables where table_name = ?", [name]
            ).fetchall()[0][0]
        )

    def _score(self, threshold_probability: float) -> pd.DataFrame:
        key = (threshold_probability, len(self) > 0)
        shared_key = (self._index_version, self._frozen_tf is not None, *key)
        plan = self._plans.get(key) or _SHARED_PLANS.get(shared_key)
        if plan is None:
            scored, plan = self._score_with_splink(threshold_probability, with_existing=key[1])
            self._plans[key] = plan
            _SHARED_PLANS[shared_key] = plan
            while len(_SHARED_PLANS) > _SHARED_PLANS_KEPT:
                _SHARED_PLANS.popitem(last=False)
            return scored
        self._plans[key] = plan
        _SHARED_PLANS[shared_key] = plan
        _SHARED_PLANS.move_to_end(shared_key)
        try:
            for statement in plan.statements:
                if _changes_database(statement):
                    self._con.execute(statement).fetchall()
            return self._con.execute(plan.result_sql).df()
        finally:
            for table in plan.outputs:
                self._con.execute(f"drop table if exists {table}")

    def _score_with_splink(
        self, threshold_probability: float, *, with_existing: bool
    ) -> tuple[pd.DataFrame, _ScoringPlan]:
        inference = self._linker.inference
        for col in self._tf_columns:
            self._linker.table_management.register_term_frequency_lookup(
                self._db_api.register(f"cdp_tfb_{col}"), col
            )
        outputs = []
        with self._db_api.recording() as statements:
            batch = self._db_api.register(_BATCH)
            outputs.append(
                inference.predict_within(
                    batch,
                    link_type="dedupe_only",
                    threshold_match_probability=_splink_threshold(threshold_probability),
                    warning_mode="never",
                )
            )
            if with_existing:
                outputs.append(
                    inference.predict_between(
                        batch,
                        self._db_api.register(_RECORDS),
                        threshold_match_probability=_splink_threshold(threshold_probability),
                        warning_mode="never",
                    )
                )
        names = tuple(o.physical_name for o in outputs)
        try:
            columns = set(_columns_of(self._con, names[0]))
            result_sql = _result_sql(
                names,
                evidence_sql(self._model.settings, columns),
                [c for c in (*_NAME_COLUMNS, *_personal_columns(self._spec)) if c in columns],
                min_weight=_threshold_weight(threshold_probability),
            )
            scored = self._con.execute(result_sql).df()
        finally:
            for output in outputs:
                output.drop_table_from_database_and_remove_from_cache()
        return scored, _ScoringPlan(tuple(statements), names, result_sql)


_TIE_DIGITS: Final = 6
"""A pair is accepted on its match weight rounded to this many decimals: repeated scoring
of one pair differs in the last bits (parallel sums), and a pair on the threshold must not
decide one way in a full run and the other in an incremental one."""


def _threshold_weight(threshold_probability: float) -> float | None:
    """The match weight of `threshold_probability`, rounded (`_TIE_DIGITS`); None for 0 or 1."""
    if not 0 < threshold_probability < 1:
        return None
    weight = math.log2(threshold_probability / (1 - threshold_probability))
    return round(weight, _TIE_DIGITS)


def _splink_threshold(threshold_probability: float) -> float:
    """A threshold a little below `threshold_probability` for Splink's own filter, so that
    pairs whose rounded weight reaches the threshold are all kept for `_result_sql`'s."""
    weight = _threshold_weight(threshold_probability)
    if weight is None:
        return threshold_probability
    return float(1 / (1 + 2 ** -(weight - 1e-3)))


def _result_sql(
    outputs: tuple[str, ...],
    evidence: str,
    names: Sequence[str] = (),
    *,
    min_weight: float | None = None,
) -> str:
    """The final pairs from the within-batch and (optionally) batch-vs-index predictions,
    with the `names` columns (of `_NAME_COLUMNS`, or personal values `<column>_l`/`_r`) the
    predictions hold; with `min_weight`,
    those whose match weight, rounded to `_TIE_DIGITS` decimals, reaches it."""
    extra = "".join(f", {c}" for c in names if c in _NAME_COLUMNS or _PERSONAL.fullmatch(c))
    select = (
        "select unique_id_l as rid_l, unique_id_r as rid_r, match_weight, match_probability, "
        f"{evidence} as evidence{extra} from "
    )
    parts = [select + outputs[0]]
    if len(outputs) > 1:
        # The indexed version of a record that is also in the batch is superseded.
        parts.append(
            f"{select}{outputs[1]} where unique_id_r not in (select {UNIQUE_ID} from {_BATCH})"
        )
    union = " union all ".join(parts)
    if min_weight is not None:
        union = (
            f"select * from ({union}) where round(match_weight, {_TIE_DIGITS}) >= {min_weight!r}"
        )
    return union + " order by rid_l, rid_r"


def hold_back_family_members(scored: pd.DataFrame, personal: Sequence[str] = ()) -> pd.DataFrame:
    """`scored` without the pairs the family rule holds back (`matching.family_rule`:
    two members of one family, and no exact agreement on one of the `personal`
    comparisons), as `OUTPUT_COLUMNS`."""
    if not set(_NAME_COLUMNS) <= set(scored.columns) or scored.empty:
        return scored.reindex(columns=list(OUTPUT_COLUMNS))
    personal = tuple(personal)
    # With the personal values at hand a near miss yields too (`family_rule.near_miss`).
    sides = [(f"{p}_l", f"{p}_r") for p in personal]
    with_values = all(left in scored.columns and right in scored.columns for left, right in sides)
    values: list[list[tuple[Any, Any]] | None] = (
        [
            list(zip(row[0::2], row[1::2], strict=True))
            for row in scored[[c for pair in sides for c in pair]].itertuples(index=False)
        ]
        if with_values and sides
        else [None] * len(scored)
    )
    held = [
        family_rule.held_back(
            (family_rule.fold(gl), family_rule.fold(fl)),
            (family_rule.fold(gr), family_rule.fold(fr)),
            evidence,
            personal,
            pair_values,
        )
        for gl, gr, fl, fr, evidence, pair_values in zip(
            scored["given_name_l"],
            scored["given_name_r"],
            scored["family_name_l"],
            scored["family_name_r"],
            scored["evidence"],
            values,
            strict=True,
        )
    ]
    if any(held):
        logger.info("held back %d pairs naming two members of one family", sum(held))
    kept = scored.loc[[not h for h in held], list(OUTPUT_COLUMNS)]
    return kept.reset_index(drop=True)


def _changes_database(sql: str) -> bool:
    # Splink's reads (column lookups) informed its Python; only its writes need replaying.
    return sql.lstrip().upper().startswith(("CREATE", "DROP", "INSERT", "DELETE", "UPDATE"))


def _frozen_tf_table(col: str) -> str:
    return f"cdp_tfm_{col}"


def term_frequencies(
    model: TrainedModel, records: pd.DataFrame | duckdb.DuckDBPyRelation
) -> tf_store.TermFrequencies:
    """The term frequencies of `records` in the columns `model` adjusts, to freeze with it."""
    con = _connect()
    try:
        _prepare(con, records, _RECORDS, model.spec, hubs="learn")
        return tf_store.count(
            con,
            _RECORDS,
            _term_frequency_columns(model.settings),
            term_frequency_holders(model.spec),
            UNIQUE_ID,
        )
    finally:
        con.close()


def _term_frequency_columns(settings: dict[str, Any]) -> list[str]:
    columns = [
        str(level["tf_adjustment_column"])
        for comparison in settings["comparisons"]
        for level in comparison["comparison_levels"]
        if level.get("tf_adjustment_column")
    ]
    return list(dict.fromkeys(columns))


def predict(
    model: TrainedModel,
    new_records: pd.DataFrame | duckdb.DuckDBPyRelation,
    existing_records: pd.DataFrame | duckdb.DuckDBPyRelation | None = None,
    *,
    threshold_probability: float = 0.95,
    family_rule: bool = True,
    term_frequencies: tf_store.TermFrequencies | None = None,
) -> pd.DataFrame:
    """Score new records against each other and against all existing records.

    Pairs (new, new) and (new, existing) are scored; (existing, existing) pairs are not.
    With `existing_records=None` this is a full dedupe of `new_records`. Term
    frequencies are `term_frequencies` (frozen with the model) when given, else they
    count both sets.

    Args:
        model: A trained model.
        new_records: Records to match.
        existing_records: Records already matched earlier, or None.
        threshold_probability: Keep pairs with at least this match probability.

    Returns:
        Columns `OUTPUT_COLUMNS`: `rid_l` is always a new record; `evidence` is a JSON
        object mapping each comparison to its level label and Bayes factor.
    """
    with MatchIndex(model, existing_records, term_frequencies=term_frequencies) as index:
        return index.match(
            new_records,
            threshold_probability=threshold_probability,
            batch_term_frequencies=True,
            family_rule=family_rule,
        )


def remove_from_index(database: Path, rids: Sequence[str]) -> int:
    """Erase records from a match index file, so that no byte of them stays in it.

    Their rows go, with their share of the term-frequency counts (a value only they held
    goes with them); then the live tables are copied into a fresh file that replaces the
    old one, since DuckDB leaves deleted rows and dropped scratch tables in free blocks of
    the file until they are overwritten. Without a model: the index is reopened by name.

    Returns:
        The number of rows removed (0 when there is no index file).
    """
    if not database.exists():
        return 0
    fresh = database.with_name(database.name + ".compact")
    for stale in (fresh, fresh.with_name(fresh.name + ".wal")):
        stale.unlink(missing_ok=True)
    try:
        con = _connect(database)
    except duckdb.IOException:
        # Another process holds it: drop the file, that process's copy goes when it closes
        # and the next match rebuilds the index from the graph.
        logger.warning("match index in use elsewhere: removed, to be rebuilt from the graph")
        database.unlink(missing_ok=True)
        return 0
    try:
        tables = {str(row[0]) for row in con.execute("show tables").fetchall()}
        if _RECORDS not in tables:
            return 0
        con.execute("create or replace temp table cdp_forget (rid varchar)")
        con.executemany("insert into cdp_forget values (?)", [[r] for r in rids])
        gone = f"{UNIQUE_ID} in (select rid from cdp_forget)"
        removed = int(_scalar(con, f"select count(*) from {_RECORDS} where {gone}"))
        for counts in sorted(t for t in tables if t.startswith("cdp_tfc_")):
            col = counts.removeprefix("cdp_tfc_")
            con.execute(
                f"update {counts} set n = {counts}.n - d.n from (select {col}, count(*) as n "
                f"from {_RECORDS} where {gone} and {col} is not null group by {col}) d "
                f"where {counts}.{col} = d.{col}"
            )
            con.execute(f"delete from {counts} where n <= 0")
        con.execute(f"delete from {_RECORDS} where {gone}")
        con.execute("drop table cdp_forget")
        main = str(_scalar(con, "select current_database()"))
        con.execute("attach ? as cdp_fresh", [str(fresh)])
        con.execute(f'copy from database "{main}" to cdp_fresh')
        con.execute("detach cdp_fresh")
    finally:
        con.close()
    os.replace(fresh, database)
    database.with_name(database.name + ".wal").unlink(missing_ok=True)
    logger.info("match index: %d erased records removed, file rewritten", removed)
    return removed
