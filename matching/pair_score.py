"""How the probabilistic model sees one pair of records, merged or not: which blocking
rules propose it, its probability and the match weight of each comparison (a waterfall),
and which rule, if any, held the link back."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from matching import family_rule
from matching.probabilistic import MatchIndex, TrainedModel


@dataclass(frozen=True, slots=True)
class PairScore:
    """The model's view of one pair."""

    record_a: str
    record_b: str
    model_version: str
    threshold: float
    rules: list[tuple[str, bool]] = field(default_factory=list)
    """Blocking rules under which the records agree, each with whether the shared key is a
    hub value (too common to block on, so that rule proposes nothing)."""
    scored: bool = False
    """Whether scoring ever sees the pair: some rule proposes it."""
    prior_weight: float = 0.0
    """log2 of the prior odds that two random records match."""
    weights: list[tuple[str, str, float]] = field(default_factory=list)
    """(comparison, level, match weight in bits) in the model's order."""
    match_weight: float | None = None
    probability: float | None = None
    held_back: str | None = None
    """The rule that keeps the pair from linking whatever its score, if any."""

    @property
    def above_threshold(self) -> bool:
        return self.probability is not None and self.probability >= self.threshold

    def waterfall(self) -> str:
        """The score as text: the prior, each comparison's weight, the total."""
        lines = [f"{'prior (two random records match)':<48} {self.prior_weight:+8.2f}"]
        total = self.prior_weight
        for name, level, weight in self.weights:
            total += weight
            lines.append(f"{name + ': ' + level:<48} {weight:+8.2f}   = {total:+8.2f}")
        if self.match_weight is not None and self.probability is not None:
            lines.append(
                f"{'match weight':<48} {self.match_weight:+8.2f}   "
                f"probability {self.probability:.4f} (threshold {self.threshold})"
            )
        return "\n".join(lines)


def score_pair(
    index: MatchIndex, model: TrainedModel, pair: pd.DataFrame, threshold: float
) -> PairScore:
    """Score the two records of `pair` (rows as `matching.linking.to_frame` builds them)
    the way resolution does: against the match index, with its term frequencies. The
    second record must be in the index; the first is scored against it."""
    a, b = (str(x) for x in pair["unique_id"])
    rules = index.proposing_rules(pair)
    prior = model.probability_two_random_records_match
    base = PairScore(
        a,
        b,
        model.version,
        threshold,
        rules=rules,
        prior_weight=math.log2(prior / (1 - prior)),
    )
    scored = index.match(pair.iloc[[0]], threshold_probability=0.0, family_rule=False)
    row = scored[scored["rid_r"] == b]
    if row.empty:
        return base
    first = row.iloc[0]
    evidence: dict[str, Any] = json.loads(first["evidence"])
    weights = [
        (name, str(e.get("level")), math.log2(float(e["bf"])) if e.get("bf") else 0.0)
        for name, e in evidence.items()
    ]
    names = [
        (
            family_rule.fold(pair.iloc[i]["given_name"]),
            family_rule.fold(pair.iloc[i]["family_name"]),
        )
        for i in (0, 1)
    ]
    personal = model.spec.personal_comparisons
    values = (
        [(pair.iloc[0][p], pair.iloc[1][p]) for p in personal]
        if all(p in pair.columns for p in personal)
        else None
    )
    held = (
        family_rule.REASON
        if family_rule.held_back(names[0], names[1], evidence, personal, values)
        else None
    )
    return PairScore(
        a,
        b,
        model.version,
        threshold,
        rules=rules,
        scored=True,
        prior_weight=base.prior_weight,
        weights=weights,
        match_weight=float(first["match_weight"]),
        probability=float(first["match_probability"]),
        held_back=held,
    )
