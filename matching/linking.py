"""Probabilistic linking against the graph: train the Splink model on the records, and turn
accepted pairs into `MATCHES` links that resolution then uses.

New records are matched against all existing records through a persistent `MatchIndex`
(a DuckDB file beside the model), so an incremental batch does not reload the graph.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from graph import matching_repo
from graph.client import GraphClient
from ingest.normalise import canonical_email, fold_name
from matching.config import IdentityConfig, default_config
from matching.errors import ConflictingComparisons
from matching.model_store import ModelStore, NoCurrentModel
from matching.probabilistic import IndexModelMismatch, MatchIndex, TrainedModel, predict, train
from matching.protection import Protection
from matching.splink_settings import (
    ComparisonSpec,
    MatchingSpec,
    default_spec,
    required_input_columns,
)

log = logging.getLogger(__name__)
DEFAULT_THRESHOLD = 0.95


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
    """
    out = []
    for row in rows:
        rid, source, given, family, dob, postcode, address, city, email, phone = row[:10]
        canon = canonical_email(email) if email else None
        given = fold_name(given) or None if given else None
        family = fold_name(family) or None if family else None
        if protection is not None:
            if canon and protection.is_blocked("email", canon):
                canon = None
            if phone and protection.is_blocked("phone", phone):
                phone = None
            # Placeholder names ("Test", "Unknown", "Customer"): the rules for all types.
            if given and protection.is_blocked("name", given):
                given = None
            if family and protection.is_blocked("name", family):
                family = None
        values = {
            "unique_id": rid,
            "source": source,
            "given_name": given,
            "family_name": family,
            "dob": dob,
            "postcode": postcode,
            "address": address.lower() if address else None,
            "city": city.lower() if city else None,
            "email": canon,
            "email_local": canon.split("@", 1)[0] if canon else None,
            "phone": phone,
        }
        for name, value in zip(extra, row[10:], strict=True):
            values[name] = _text(value)
        out.append(values)
    cols = [*FRAME_COLUMNS, *extra]
    return pd.DataFrame(out, columns=cols).astype(object).where(lambda d: d.notna(), None)


def _text(value: Any) -> str | None:
    if value is None:
        return None
    return str(value).strip().lower() or None


def extra_columns(spec: MatchingSpec) -> tuple[str, ...]:
    """The user-defined attributes a spec reads beyond `FRAME_COLUMNS`."""
    return tuple(c for c in required_input_columns(spec) if c not in FRAME_COLUMNS)


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
        )
        seen = by_name.setdefault(spec.column, (r["source"], spec))
        if seen[1] != spec:
            raise ConflictingComparisons(spec.column, (seen[0], r["source"]))
    return tuple(spec for _, spec in by_name.values())


@dataclass
class LinkReport:
    scored: int = 0
    pairs: int = 0
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
    ) -> None:
        """Args:
        graph: The graph client.
        model_dir: Where models and the match index live.
        threshold: Match probability from which a pair is written as a `MATCHES` link.
        config: Identity rules; their blocked email and phone values are not compared.
        """
        self.graph = graph
        self.protection = Protection.from_config(config or default_config())
        self.store = ModelStore(model_dir)
        self.index_path = model_dir / "match-index.duckdb"
        self.threshold = threshold

    def _scored(self, rows: Sequence[Sequence[Any]], model: TrainedModel) -> pd.DataFrame:
        """Records as they are scored and indexed: without placeholder contacts."""
        return to_frame(rows, self.protection, extra_columns(model.spec))

    def current_model(self) -> TrainedModel | None:
        try:
            return self.store.load()
        except NoCurrentModel:
            return None

    async def train(self) -> TrainedModel:
        """Train on every record, save as the current version, rebuild the index.

        The spec is the default one plus the comparisons the sources' mappings declare
        for their own attributes.
        """
        declared = declared_comparisons(await matching_repo.compared_attributes(self.graph))
        spec = default_spec(*declared)
        extra = extra_columns(spec)
        rows = await matching_repo.matching_records(self.graph, None, extra)
        model = train(to_frame(rows, extra=extra), spec)
        self.store.save(model)
        self.index_path.unlink(missing_ok=True)
        with MatchIndex(model, self._scored(rows, model), database=self.index_path):
            pass
        return model

    async def _records(self, model: TrainedModel, rids: Sequence[str] | None) -> pd.DataFrame:
        """Records as `model` scores them: its extra attributes too, no placeholders."""
        extra = extra_columns(model.spec)
        return self._scored(await matching_repo.matching_records(self.graph, rids, extra), model)

    async def _open_index(self, model: TrainedModel, batch: set[str]) -> MatchIndex:
        """The persistent index of existing records, (re)built from the graph when it is
        missing or was built for another model."""
        if self.index_path.exists():
            try:
                return MatchIndex(model, None, database=self.index_path)
            except IndexModelMismatch:
                log.info("match index built for another model: rebuilding it")
                self.index_path.unlink(missing_ok=True)
        existing = await self._records(model, None)
        existing = existing[~existing["unique_id"].isin(batch)]
        return MatchIndex(model, existing, database=self.index_path)

    async def link(self, rids: Sequence[str] | None) -> LinkReport:
        """Score these (new or changed) records against all others, or all records against
        each other when `rids` is None; write the accepted pairs. No model: nothing to do."""
        t0 = time.perf_counter()
        model = self.current_model()
        rep = LinkReport(model_version=model.version if model else None)
        if model is None:
            return rep
        if rids is None:
            frame = await self._records(model, None)
            pairs = predict(model, frame, None, threshold_probability=self.threshold)
            self.index_path.unlink(missing_ok=True)
            with MatchIndex(model, frame, database=self.index_path):
                pass
        else:
            frame = await self._records(model, rids)
            if frame.empty:
                # Nothing to score (no record names anyone): their old links still go.
                await matching_repo.prune_matches(self.graph, list(rids), uuid.uuid4().hex)
                rep.seconds = time.perf_counter() - t0
                return rep
            index = await self._open_index(model, set(frame["unique_id"]))
            with index:
                pairs = index.match(frame, threshold_probability=self.threshold)
                index.add(frame)
        rows = [
            {
                "a": r.rid_l,
                "b": r.rid_r,
                "weight": float(r.match_weight),
                "probability": float(r.match_probability),
                "evidence": r.evidence,
            }
            for r in pairs.itertuples(index=False)
            if r.rid_l != r.rid_r
        ]
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        run = uuid.uuid4().hex
        await matching_repo.write_matches(self.graph, rows, model.version, now, run)
        # Links the model no longer accepts (it was retrained, or a record changed) go.
        await matching_repo.prune_matches(self.graph, None if rids is None else list(rids), run)
        rep.scored, rep.pairs = len(frame), len(rows)
        rep.seconds = time.perf_counter() - t0
        return rep
