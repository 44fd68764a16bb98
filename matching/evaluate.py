"""Quality of a resolution against a ground truth: pairwise and cluster-level figures.

Besides the figures over all true pairs, recall can be given over *identifiable* pairs:
pairs of one person's records that the data joins at all. Some records carry nothing that
names their person (a web cookie that never logged in, on a device no logged-in cookie
used; a till receipt with only a placeholder email): no method can place them, and they
bound recall over all pairs well below 1. Two records of one person are *directly*
identifiable when they share an evidence key (`evidence_keys`): an identifier value that
may link (not blocked, of a type that links), or the same full name together with the same
date of birth, postcode, address, email or phone. A pair is identifiable when a chain of
such records joins them (a resolution is transitive). Matches made on weaker evidence (a
name alone, a typo in the phone) still count as true positives over all pairs; over
identifiable pairs only identifiable pairs count, so that recall can never pass 1.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from core.normalise import fold_name
from graph import resolve_repo
from graph.client import GraphClient
from matching.config import IdentityConfig, default_config
from matching.protection import Protection

NAME_EVIDENCE_FIELDS = ("dob", "postcode", "address", "email", "phone")
"""Attributes that, with the same full name, make two records directly identifiable."""


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
    identifiable_pairs: int | None = None
    """True pairs the data joins (see the module doc); None when not computed."""
    identifiable_true_positive_pairs: int | None = None
    identifiable_recall: float | None = None


def evidence_keys(
    identifier_keys: Iterable[str],
    given_name: str | None = None,
    family_name: str | None = None,
    **attributes: str | None,
) -> set[str]:
    """The evidence keys of one record: its linkable identifier keys, and "name+<field>"
    keys for its folded full name with each of `NAME_EVIDENCE_FIELDS` it has."""
    keys = set(identifier_keys)
    given, family = fold_name(given_name or ""), fold_name(family_name or "")
    if given and family:
        for field in NAME_EVIDENCE_FIELDS:
            value = attributes.get(field)
            if value:
                keys.add(f"name+{field}:{given} {family}|{str(value).strip().casefold()}")
    return keys


async def graph_evidence(
    graph: GraphClient, config: IdentityConfig | None = None
) -> dict[str, set[str]]:
    """rid -> `evidence_keys` of every record in the graph, under `config`'s types."""
    cfg = config or default_config()
    protection = Protection.from_config(cfg)
    nonlinking = sorted(t for t, spec in cfg.identifier_types.items() if not spec.link)
    out: dict[str, set[str]] = {}
    for r in await resolve_repo.record_evidence(graph, nonlinking):
        attributes = {f: r[f] for f in NAME_EVIDENCE_FIELDS}
        for field in ("email", "phone"):
            # A placeholder contact is no evidence, with a name or without.
            if attributes[field] and protection.is_blocked(field, attributes[field]):
                attributes[field] = None
        out[r["rid"]] = evidence_keys(r["keys"], r["given_name"], r["family_name"], **attributes)
    return out


def identifiable_groups(
    truth: Mapping[str, str], evidence: Mapping[str, Iterable[str]]
) -> dict[str, str]:
    """rid -> label of its identifiable group: the records of one true person joined by
    chains of shared evidence keys. Records absent from `evidence` stand alone."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        root = x
        while parent.get(root, root) != root:
            root = parent[root]
        while parent.get(x, x) != root:
            parent[x], x = root, parent[x]
        return root

    first: dict[tuple[str, str], str] = {}
    for rid, person in truth.items():
        for key in evidence.get(rid, ()):
            other = first.setdefault((person, key), rid)
            if other != rid:
                a, b = find(other), find(rid)
                if a != b:
                    parent[b] = a
    return {rid: find(rid) for rid in truth}


def _pairs(n: int) -> int:
    return n * (n - 1) // 2


def evaluate(
    predicted: Mapping[str, str],
    truth: Mapping[str, str],
    evidence: Mapping[str, Iterable[str]] | None = None,
) -> Quality:
    """Compare cluster ids (`predicted`: rid -> profile) with `truth` (rid -> person).

    Only records present in both are scored. Pair counts come from the contingency table,
    so this is linear in the number of records. With `evidence` (rid -> `evidence_keys`),
    recall over identifiable pairs is given too.
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
    ident_pairs = ident_tp = None
    ident_recall = None
    if evidence is not None:
        groups = identifiable_groups({r: truth[r] for r in rids}, evidence)
        ident_pairs = sum(_pairs(n) for n in Counter(groups.values()).values())
        ident_tp = sum(_pairs(n) for n in Counter((groups[r], predicted[r]) for r in rids).values())
        ident_recall = ident_tp / ident_pairs if ident_pairs else 1.0
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
        identifiable_pairs=ident_pairs,
        identifiable_true_positive_pairs=ident_tp,
        identifiable_recall=ident_recall,
    )
