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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

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


@dataclass(frozen=True, slots=True)
class Candidate:
    value: Any
    source: str
    seen: str


def _rank(source: str, sources: Sequence[str]) -> int:
    return sources.index(source) if source in sources else len(sources)


def choose(candidates: Sequence[Candidate], rule: FieldRule) -> Candidate | None:
    """The surviving value among non-blank candidates, or None."""
    cands = [c for c in candidates if c.value not in (None, "")]
    if not cands:
        return None
    src = rule.sources
    if rule.rule == "most_recent":
        return max(cands, key=lambda c: (c.seen or "", -_rank(c.source, src), str(c.value)))
    if rule.rule == "source_priority":
        return min(cands, key=lambda c: (_rank(c.source, src), _neg(c.seen), str(c.value)))
    if rule.rule == "most_complete":
        return max(cands, key=lambda c: (len(str(c.value)), c.seen or "", str(c.value)))
    counts = Counter(str(c.value) for c in cands)
    return min(
        cands,
        key=lambda c: (-counts[str(c.value)], _rank(c.source, src), _neg(c.seen), str(c.value)),
    )


def _neg(seen: str | None) -> tuple[int, ...]:
    # Sort key that puts later timestamps first when minimising.
    return tuple(-ord(ch) for ch in (seen or ""))


def golden_attributes(
    records: Sequence[Mapping[str, Any]], config: SurvivorshipConfig
) -> dict[str, Any]:
    """Profile properties: each golden value and `<field>_source`; plus the sources."""
    props: dict[str, Any] = {}
    for name, rule in config.fields.items():
        cands = [
            Candidate(r.get(name), str(r["source"]), str(r.get("seen") or "")) for r in records
        ]
        best = choose(cands, rule)
        props[name] = best.value if best else None
        props[f"{name}_source"] = best.source if best else None
    props["sources"] = sorted({str(r["source"]) for r in records})
    props["record_count"] = len(records)
    return props
