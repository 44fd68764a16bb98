"""Quality of a resolution against a ground truth: pairwise and cluster-level figures."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Quality:
    records: int
    predicted_pairs: int
    true_pairs: int
    true_positive_pairs: int
    precision: float
    recall: float
    f1: float
    clusters: int
    true_clusters: int
    exact_clusters: int
    """Predicted clusters whose records are exactly one true person's records."""
    cluster_precision: float
    """Share of predicted clusters that hold one person only."""
    cluster_recall: float
    """Share of true people found as exactly one cluster."""
    largest_cluster: int


def _pairs(n: int) -> int:
    return n * (n - 1) // 2


def evaluate(predicted: Mapping[str, str], truth: Mapping[str, str]) -> Quality:
    """Compare cluster ids (`predicted`: rid -> profile) with `truth` (rid -> person).

    Only records present in both are scored. Pair counts come from the contingency table,
    so this is linear in the number of records.
    """
    rids = [r for r in predicted if r in truth]
    cell = Counter((predicted[r], truth[r]) for r in rids)
    pred_sizes = Counter(predicted[r] for r in rids)
    true_sizes = Counter(truth[r] for r in rids)
    tp = sum(_pairs(n) for n in cell.values())
    pp = sum(_pairs(n) for n in pred_sizes.values())
    tpairs = sum(_pairs(n) for n in true_sizes.values())
    precision = tp / pp if pp else 1.0
    recall = tp / tpairs if tpairs else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    people_per_cluster = Counter(c for c, _ in cell)
    pure = sum(1 for c in pred_sizes if people_per_cluster[c] == 1)
    exact = sum(
        1
        for (c, p), n in cell.items()
        if people_per_cluster[c] == 1 and n == true_sizes[p] and n == pred_sizes[c]
    )
    return Quality(
        records=len(rids),
        predicted_pairs=pp,
        true_pairs=tpairs,
        true_positive_pairs=tp,
        precision=precision,
        recall=recall,
        f1=f1,
        clusters=len(pred_sizes),
        true_clusters=len(true_sizes),
        exact_clusters=exact,
        cluster_precision=pure / len(pred_sizes) if pred_sizes else 1.0,
        cluster_recall=exact / len(true_sizes) if true_sizes else 1.0,
        largest_cluster=max(pred_sizes.values(), default=0),
    )
