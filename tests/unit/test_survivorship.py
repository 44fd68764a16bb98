"""Survivorship: each rule, its tie-breaks, blanks, and the golden properties it yields."""

from __future__ import annotations

from typing import Any

import pytest

from matching.survivorship import (
    Candidate,
    FieldRule,
    SurvivorshipConfig,
    choose,
    golden_attributes,
)

pytestmark = pytest.mark.unit

SOURCES = ["loyalty", "ecommerce", "pos"]


def c(value: Any, source: str, seen: str) -> Candidate:
    return Candidate(value, source, seen)


def rule(name: str) -> FieldRule:
    return FieldRule.model_validate({"rule": name, "sources": SOURCES})


def value_of(cands: list[Candidate], name: str) -> Any:
    best = choose(cands, rule(name))
    assert best is not None
    return best.value


def test_blanks_never_survive() -> None:
    for name in ("most_recent", "source_priority", "most_frequent", "most_complete"):
        assert choose([c(None, "pos", "2024"), c("", "loyalty", "2025")], rule(name)) is None
        only = c("x", "pos", "2020")
        assert choose([c("", "loyalty", "2025"), only], rule(name)) == only


def test_most_recent_then_source_then_value() -> None:
    old, new = c("old", "loyalty", "2024-01-01T00:00:00Z"), c("new", "pos", "2025-01-01T00:00:00Z")
    assert choose([old, new], rule("most_recent")) == new
    tie_pos, tie_loyalty = c("a", "pos", "2025"), c("b", "loyalty", "2025")
    assert choose([tie_pos, tie_loyalty], rule("most_recent")) == tie_loyalty
    assert value_of([c("a", "pos", "2025"), c("b", "pos", "2025")], "most_recent") == "b"


def test_source_priority_then_recency_then_value() -> None:
    pos, eco = c("p", "pos", "2025-06-01"), c("e", "ecommerce", "2020-01-01")
    assert choose([pos, eco], rule("source_priority")) == eco
    older, newer = c("o", "ecommerce", "2020-01-01"), c("n", "ecommerce", "2021-01-01")
    assert choose([older, newer, pos], rule("source_priority")) == newer
    # An unknown source ranks after every listed one.
    assert choose([c("u", "crm", "2030"), pos], rule("source_priority")) == pos
    same = [c("b", "pos", "2025"), c("a", "pos", "2025")]
    assert value_of(same, "source_priority") == "a"


def test_most_frequent_then_source_priority() -> None:
    cands = [
        c("Sarah", "pos", "2020"),
        c("Sarah", "pos", "2021"),
        c("Sara", "loyalty", "2025"),
    ]
    assert value_of(cands, "most_frequent") == "Sarah"
    tie = [c("Sara", "pos", "2025"), c("Sarah", "loyalty", "2020")]
    assert choose(tie, rule("most_frequent")) == tie[1]
    # Same value, same count: the most trusted source's candidate, then the latest.
    assert choose(cands[:2], rule("most_frequent")) == cands[1]


def test_most_complete_prefers_the_longest_then_the_latest() -> None:
    short, full = c("12 George St", "loyalty", "2025"), c("Unit 4, 12 George St", "pos", "2020")
    assert choose([short, full], rule("most_complete")) == full
    a, b = c("abcd", "pos", "2020"), c("wxyz", "pos", "2021")
    assert choose([a, b], rule("most_complete")) == b


def test_golden_attributes_keep_sources_and_counts() -> None:
    records = [
        {"source": "pos", "seen": "2025-01-01", "given_name": "Sarah", "phone": "+61400000001"},
        {"source": "ecommerce", "seen": "2024-01-01", "given_name": "Sarah", "email": "s@x.com"},
        {"source": "loyalty", "seen": "2023-01-01", "given_name": "Sara", "phone": ""},
    ]
    props = golden_attributes(records, SurvivorshipConfig())
    assert (props["given_name"], props["given_name_source"]) == ("Sarah", "ecommerce")
    assert (props["email"], props["email_source"]) == ("s@x.com", "ecommerce")
    assert (props["phone"], props["phone_source"]) == ("+61400000001", "pos")
    assert props["dob"] is None and props["dob_source"] is None
    assert props["sources"] == ["ecommerce", "loyalty", "pos"]
    assert props["record_count"] == 3
