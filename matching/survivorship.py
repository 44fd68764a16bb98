"""Survivorship: the golden value of each attribute of a profile, chosen from its records by
per-field rules, each golden value keeping the source it came from.

Rules:
- ``source_priority``: the value from the most trusted source (the order of `sources`), ties
  going to the most recent record;
- ``most_recent``: the value of the record seen last;
- ``most_frequent``: the value most records agree on (ties: source priority, then recency);
- ``most_complete``: the longest value (an address with its unit beats one without).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal, NamedTuple

from pydantic import BaseModel, ConfigDict, Field

Rule = Literal["source_priority", "most_recent", "most_frequent", "most_complete"]
DEFAULT_SOURCES = ["loyalty", "ecommerce", "esp", "pos", "service", "segment", "web"]


class FieldRule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    rule: Rule
    sources: list[str] = Field(default_factory=lambda: list(DEFAULT_SOURCES))


class SurvivorshipConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    fields: dict[str, FieldRule] = Field(
        default_factory=lambda: {
            "given_name": FieldRule(rule="most_frequent"),
            "family_name": FieldRule(rule="most_frequent"),
            "email": FieldRule(
                rule="source_priority",
                sources=["ecommerce", "loyalty", "esp", "segment", "pos", "service", "web"],
            ),
            "phone": FieldRule(rule="most_recent"),
            "address": FieldRule(rule="most_recent"),
            "city": FieldRule(rule="most_recent"),
            "state": FieldRule(rule="most_recent"),
            "postcode": FieldRule(rule="most_recent"),
            "country": FieldRule(rule="most_frequent"),
            "dob": FieldRule(rule="source_priority"),
        }
    )


class Candidate(NamedTuple):
    """One record's value of a field (a tuple: millions are made in a full rebuild)."""

    value: Any
    source: str
    seen: str


def _rank(source: str, sources: Sequence[str]) -> int:
    return sources.index(source) if source in sources else len(sources)


def choose(candidates: Sequence[Candidate], rule: FieldRule) -> Candidate | None:
    """The surviving value among non-blank candidates, or None."""
    cands = [c for c in candidates if c.value not in (None, "")]
    if len(cands) <= 1:
        return cands[0] if cands else None
    src = rule.sources
    if rule.rule == "most_recent":
        # Latest; then the most trusted source; then the greatest value.
        cands = _keep_max(cands, lambda c: c.seen)
        cands = _keep_max(cands, lambda c: -_rank(c.source, src))
        return max(cands, key=lambda c: str(c.value))
    if rule.rule == "most_complete":
        cands = _keep_max(cands, lambda c: len(str(c.value)))
        cands = _keep_max(cands, lambda c: c.seen)
        return max(cands, key=lambda c: str(c.value))
    if rule.rule == "most_frequent":
        counts = Counter(str(c.value) for c in cands)
        cands = _keep_max(cands, lambda c: counts[str(c.value)])
    # source_priority (and the ties of most_frequent): the most trusted source; then the
    # latest; then the smallest value.
    cands = _keep_max(cands, lambda c: -_rank(c.source, src))
    cands = _keep_max(cands, lambda c: c.seen)
    return min(cands, key=lambda c: str(c.value))


def _keep_max(cands: list[Candidate], key: Callable[[Candidate], Any]) -> list[Candidate]:
    """The candidates with the greatest key (all that tie)."""
    if len(cands) == 1:
        return cands
    keys = [key(c) for c in cands]
    top = max(keys)
    return [c for c, k in zip(cands, keys, strict=True) if k == top]


def golden_attributes(
    records: Sequence[Mapping[str, Any]], config: SurvivorshipConfig
) -> dict[str, Any]:
    """Profile properties: each golden value and `<field>_source`; plus the sources."""
    props: dict[str, Any] = {}
    if len(records) == 1:
        # One record: each of its non-blank values survives (most profiles, and the fast
        # path matters when a full rebuild goes through millions of them).
        record = records[0]
        source = str(record["source"])
        for name in config.fields:
            value = record.get(name)
            blank = value is None or value == ""
            props[name] = None if blank else value
            props[f"{name}_source"] = None if blank else source
        props["sources"] = [source]
        props["record_count"] = 1
        return props
    for name, rule in config.fields.items():
        cands = [
            Candidate(value, str(r["source"]), str(r.get("seen") or ""))
            for r in records
            if (value := r.get(name)) not in (None, "")
        ]
        best = choose(cands, rule)
        props[name] = best.value if best else None
        props[f"{name}_source"] = best.source if best else None
    props["sources"] = sorted({str(r["source"]) for r in records})
    props["record_count"] = len(records)
    return props
