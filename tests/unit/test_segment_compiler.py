"""The segment compiler, tested as text: allow-listed names, every value a parameter."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from activate.segments.compiler import (
    compile_filter,
    count_query,
    date_of,
    refresh_query,
    sample_query,
)
from activate.segments.definition import (
    Filter,
    all_of,
    any_of,
    attr,
    consent,
    event,
    has_identifier,
    in_source,
    not_,
    parse_filter,
    purchased,
)
from activate.segments.examples import high_value_lapsed, in_store_never_emailed
from activate.segments.fields import FIELDS

pytestmark = pytest.mark.unit


def test_attribute_comparisons() -> None:
    p = compile_filter(attr("clv_percentile", "gte", 0.8))
    assert p.text == "coalesce(p.clv_percentile >= $f0, false)"
    assert p.params == {"f0": 0.8} and not p.time_relative

    p = compile_filter(attr("loyalty_tier", "in", ["gold", "silver"]))
    assert p.text == "coalesce(p.loyalty_tier IN $f0, false)"
    assert p.params == {"f0": ["gold", "silver"]}

    p = compile_filter(attr("total_spend", "between", [10, 20]))
    assert p.text == "coalesce((p.total_spend >= $f0 AND p.total_spend <= $f1), false)"

    assert compile_filter(attr("channels", "contains", "store")).text == (
        "coalesce($f0 IN p.channels, false)"
    )
    assert compile_filter(attr("rfm_segment", "missing")).text == (
        "coalesce(p.rfm_segment IS NULL, false)"
    )
    assert compile_filter(attr("sources", "exists")).text == (
        "coalesce(size(coalesce(p.sources, [])) > 0, false)"
    )


def test_days_since_is_relative_to_today() -> None:
    p = compile_filter(attr("days_since_last_purchase", "gte", 90))
    assert p.text == (
        f"coalesce(duration.inDays({date_of('p.last_purchase_at')}, date($today)).days"
        " >= $f0, false)"
    )
    assert p.params == {"f0": 90} and p.time_relative


def test_identifiers_sources_consent() -> None:
    p = compile_filter(has_identifier("loyalty_id"))
    assert p.text == (
        "EXISTS { MATCH (p)<-[:IN_PROFILE]-()-[:HAS_IDENTIFIER]->(i) "
        "WHERE i.type = $f0 AND coalesce(i.blocked, false) = false }"
    )
    assert p.params == {"f0": "loyalty_id"}
    assert compile_filter(not_(in_source("esp"))).text == ("(NOT ($f0 IN coalesce(p.sources, [])))")
    assert compile_filter(consent("email")).text == (
        "(coalesce(p.consent_email, false) = true AND coalesce(p.unsubscribed, false) = false)"
    )
    assert compile_filter(consent("sms")).text == "(coalesce(p.consent_sms, false) = true)"


def test_activity() -> None:
    p = compile_filter(purchased(channel="store", category="shoes", within_days=30))
    assert p.text == (
        "EXISTS { MATCH (p)<-[:IN_PROFILE]-()<-[:PLACED_BY]-(o) WHERE "
        "o.channel = $f0 AND $f1 IN coalesce(o.categories, []) AND "
        f"{date_of('o.placed_at')} > date($today) - duration({{days: $f2}}) }}"
    )
    assert p.params == {"f0": "store", "f1": "shoes", "f2": 30} and p.time_relative

    p = compile_filter(purchased(min_orders=3))
    assert p.text == ("(COUNT { MATCH (p)<-[:IN_PROFILE]-()<-[:PLACED_BY]-(o) } >= $f0)")
    assert not p.time_relative

    p = compile_filter(not_(event(["open", "click"], within_days=90)))
    assert p.text.startswith(
        "(NOT EXISTS { MATCH (p)<-[:IN_PROFILE]-()<-[:BY]-(e) WHERE e.type IN $f0"
    )
    assert p.params == {"f0": ["open", "click"], "f1": 90}


def test_boolean_tree_numbers_parameters_in_order() -> None:
    f = all_of(
        attr("clv_percentile", "gte", 0.8),
        any_of(attr("loyalty_tier", "eq", "gold"), not_(attr("top_category", "eq", "shoes"))),
    )
    p = compile_filter(f)
    assert p.text == (
        "(coalesce(p.clv_percentile >= $f0, false) AND (coalesce(p.loyalty_tier = $f1, false) "
        "OR (NOT coalesce(p.top_category = $f2, false))))"
    )
    assert p.params == {"f0": 0.8, "f1": "gold", "f2": "shoes"}


def test_query_builders() -> None:
    f = attr("loyalty_tier", "eq", "gold")
    query, params = count_query(f, "2024-06-01")
    assert query == (
        "MATCH (p:Profile)\nWHERE coalesce(p.retired, false) = false"
        " AND COUNT { (p)<-[:IN_PROFILE]-() } > 0\n"
        "  AND coalesce(p.loyalty_tier = $f0, false)\nRETURN count(p) AS n"
    )
    assert params == {"f0": "gold", "today": "2024-06-01"}

    query, params = sample_query(f, "2024-06-01", 5)
    assert "ORDER BY p.pid LIMIT $limit" in query and params["limit"] == 5

    query, params = refresh_query(f, "2024-06-01", segment_id="s", now="t", pids=["a", "b"])
    assert query.startswith(
        "MATCH (s:Segment {id: $segment_id})\nUNWIND $pids AS pid\nMATCH (p:Profile {pid: pid})"
    )
    assert (
        "(coalesce(p.retired, false) = false AND COUNT { (p)<-[:IN_PROFILE]-() } > 0"
        " AND coalesce(p.loyalty_tier = $f0, false))" in query
    )
    assert params == {
        "f0": "gold",
        "today": "2024-06-01",
        "segment_id": "s",
        "now": "t",
        "pids": ["a", "b"],
    }
    full, params = refresh_query(f, "2024-06-01", segment_id="s", now="t", pids=None)
    assert "MATCH (p:Profile)\nWITH" in full and "pids" not in params


def test_examples_compile() -> None:
    p = compile_filter(in_store_never_emailed().definition)
    assert "o.channel = $f0" in p.text and "(NOT EXISTS" in p.text
    assert p.params["f0"] == "store"
    p = compile_filter(high_value_lapsed().definition)
    assert p.params == {"f0": 0.8, "f1": 90} and p.time_relative


INJECTIONS = [
    "x' OR 1=1 //",
    'x"}) MATCH (n) DETACH DELETE n //',
    "x` DETACH DELETE p //",
    "$today",
    "}) RETURN 1 //",
    "\u0000",
]


@pytest.mark.parametrize("value", INJECTIONS)
def test_values_never_enter_the_text(value: str) -> None:
    f = all_of(
        attr("loyalty_tier", "eq", value),
        attr("city", "in", [value, "a"]),
        attr("postcode", "starts_with", value),
        attr("channels", "contains", value),
        purchased(category=value),
    )
    p = compile_filter(f)
    assert value not in p.text
    assert value in p.params.values()


@pytest.mark.parametrize(
    "definition",
    [
        {"attribute": {"field": "loyalty_tier) DETACH DELETE p //", "op": "eq", "value": 1}},
        {"attribute": {"field": "given_name", "op": "eq", "value": "Ann"}},  # not on the list
        {"attribute": {"field": "loyalty_tier", "op": "eq} OR true //", "value": "x"}},
        {"attribute": {"field": "loyalty_tier", "op": "eq", "value": "x", "extra": "y"}},
        {"in_source": "esp' OR 1=1"},
        {"in_source": "ESP"},
        {"event": {"types": ["open'])--"]}},
        {"has_identifier": "email`"},
        {"purchased": {"channel": "store' OR 1=1"}},
        {"consent": "email OR true"},
        {"and": [{"in_source": "esp"}], "or": [{"in_source": "pos"}]},
        {"match": "(n) DETACH DELETE n"},
    ],
)
def test_injected_names_are_refused(definition: dict[str, Any]) -> None:
    from activate.errors import InvalidSegmentDefinition

    with pytest.raises(InvalidSegmentDefinition):
        parse_filter(definition)


_PARAM = re.compile(r"\$f\d+|\$today")
_NAMES = re.compile(r"\b(?:p|o|e|i)\.([a-z_]+)")
_ALLOWED = {spec.prop for spec in FIELDS.values()} | {
    "retired",
    "sources",
    "consent_email",
    "consent_sms",
    "unsubscribed",
    "channel",
    "categories",
    "placed_at",
    "type",
    "ts",
    "blocked",
}

_text = st.text(max_size=20)
_leaf = st.one_of(
    st.builds(lambda v: attr("loyalty_tier", "eq", v), _text),
    st.builds(lambda v: attr("city", "in", [v]), _text),
    st.builds(
        lambda v: attr("clv_percentile", "lt", v), st.floats(allow_nan=False, allow_infinity=False)
    ),
    st.builds(lambda v: attr("days_since_last_purchase", "gte", v), st.integers(0, 5000)),
    st.builds(lambda v: purchased(category=v or "x"), _text),
    st.sampled_from([consent("email"), has_identifier("phone"), in_source("esp")]),
)
_tree = st.recursive(
    _leaf,
    lambda kids: st.one_of(
        st.lists(kids, min_size=1, max_size=3).map(lambda xs: all_of(*xs)),
        st.lists(kids, min_size=1, max_size=3).map(lambda xs: any_of(*xs)),
        kids.map(not_),
    ),
    max_leaves=12,
)


@settings(max_examples=200, deadline=None)
@given(_tree)
def test_any_tree_compiles_to_allow_listed_names_and_parameters(f: Filter) -> None:
    p = compile_filter(parse_filter(f.to_json()))
    assert set(_NAMES.findall(p.text)) <= _ALLOWED
    used = set(_PARAM.findall(p.text)) - {"$today"}
    assert used == {f"${name}" for name in p.params}
    assert p.text.count("(") == p.text.count(")")
    # the JSON form round-trips to the same tree
    assert parse_filter(f.to_json()) == f
