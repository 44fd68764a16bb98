"""The segment definition language: validation, limits, JSON form."""

from __future__ import annotations

import json
from typing import Any, get_args

import pytest

from activate.errors import InvalidSegmentDefinition
from activate.segments.definition import MAX_DEPTH, MAX_NODES, parse_filter
from activate.segments.fields import FIELDS, OPS_BY_KIND, FieldName

pytestmark = pytest.mark.unit


def test_field_literal_matches_the_allow_list() -> None:
    assert set(get_args(FieldName)) == set(FIELDS)
    assert all(spec.kind in OPS_BY_KIND for spec in FIELDS.values())


def test_json_text_and_dict_give_the_same_tree() -> None:
    raw = {
        "and": [
            {"attribute": {"field": "clv_percentile", "op": "gte", "value": 0.8}},
            {"not": {"in_source": "esp"}},
            {"or": [{"has_identifier": "email"}, {"consent": "sms"}]},
            {"purchased": {"channel": "store", "within_days": 30}},
            {"event": {"types": ["open"], "within_days": 90}},
        ]
    }
    f = parse_filter(raw)
    assert parse_filter(json.dumps(raw)) == f
    assert parse_filter(f.to_json()) == f
    assert f.to_json()["and"][1] == {"not": {"in_source": "esp"}}


@pytest.mark.parametrize(
    ("definition", "problem"),
    [
        ({}, "exactly one key"),
        ({"and": []}, "at least 1"),
        ({"attribute": {"field": "clv_percentile", "op": "contains", "value": 1}}, "operators"),
        ({"attribute": {"field": "clv_percentile", "op": "gte", "value": "high"}}, "a number"),
        ({"attribute": {"field": "clv_percentile", "op": "gte", "value": True}}, "a number"),
        ({"attribute": {"field": "loyalty_tier", "op": "eq"}}, "a string"),
        ({"attribute": {"field": "loyalty_tier", "op": "missing", "value": "x"}}, "no value"),
        ({"attribute": {"field": "total_spend", "op": "between", "value": [1]}}, "[low, high]"),
        ({"attribute": {"field": "loyalty_tier", "op": "in", "value": []}}, "a list"),
        ({"attribute": {"field": "days_since_last_purchase", "op": "gte", "value": -1}}, "days"),
        ({"attribute": {"field": "consent_email", "op": "eq", "value": "yes"}}, "true or false"),
        ({"purchased": {"within_days": 0}}, "greater than or equal to 1"),
        ({"event": {"types": []}}, "at least 1"),
    ],
)
def test_invalid_definitions(definition: dict[str, Any], problem: str) -> None:
    with pytest.raises(InvalidSegmentDefinition) as err:
        parse_filter(definition)
    assert problem in str(err.value)


def test_errors_do_not_echo_values() -> None:
    with pytest.raises(InvalidSegmentDefinition) as err:
        parse_filter({"attribute": {"field": "city", "op": "eq", "value": 12345678}})
    assert "12345678" not in str(err.value)


def test_limits() -> None:
    node: dict[str, Any] = {"in_source": "esp"}
    for _ in range(MAX_DEPTH):
        node = {"not": node}
    with pytest.raises(InvalidSegmentDefinition, match="deeper"):
        parse_filter(node)
    wide = {"or": [{"and": [{"in_source": "esp"}] * 50}] * 5}
    with pytest.raises(InvalidSegmentDefinition, match=f"more than {MAX_NODES}"):
        parse_filter(wide)
    with pytest.raises(InvalidSegmentDefinition, match="deeper"):
        parse_filter('{"not":' * 500 + "{}" + "}" * 500)  # refused before pydantic walks it
    # Deeper than the JSON parser goes, or (with a raised recursion limit) than we allow.
    with pytest.raises(InvalidSegmentDefinition, match="not JSON|deeper"):
        parse_filter('{"not":' * 5000 + "{}" + "}" * 5000)
    with pytest.raises(InvalidSegmentDefinition, match="not JSON"):
        parse_filter("{nope")
    with pytest.raises(InvalidSegmentDefinition, match="root"):
        parse_filter("[]")
