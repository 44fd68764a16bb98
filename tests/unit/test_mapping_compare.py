"""A mapping's `compare` key: user-defined attributes that probabilistic matching compares."""

from __future__ import annotations

import pytest

from bench.febrl import febrl_mapping
from graph.errors import InvalidName
from graph.matching_repo import checked_attributes
from ingest.convert import RowConverter
from ingest.errors import MappingError
from ingest.mapping import CompareSpec, SourceMapping, parse_mapping
from ingest.model import SourceRecord
from matching.errors import ConflictingComparisons
from matching.linking import declared_comparisons, extra_columns, to_frame
from matching.splink_settings import ComparisonSpec, default_spec

pytestmark = pytest.mark.unit


def _mapping(attributes: str, second: str = "") -> SourceMapping:
    text = f"""
source: crm
customers:
  - file: a.csv
    key: id
    attributes:
      {attributes}
"""
    if second:
        text += f"""  - file: b.csv
    key: id
    attributes:
      {second}
"""
    return parse_mapping(text, "test")


def test_a_kind_alone_is_shorthand() -> None:
    m = _mapping("ssn: {field: soc_sec_id, kind: text, compare: levenshtein}")
    assert m.compared_attributes() == {"ssn": CompareSpec(kind="levenshtein")}


def test_options() -> None:
    m = _mapping(
        "ssn: {field: s, compare: {kind: jaro_winkler, thresholds: [0.9, 0.8], "
        "term_frequency: true, blocking: true}}"
    )
    spec = m.compared_attributes()["ssn"]
    assert (spec.kind, spec.thresholds, spec.term_frequency, spec.blocking) == (
        "jaro_winkler",
        (0.9, 0.8),
        True,
        True,
    )


def test_a_personal_identifier_reaches_the_matching_spec() -> None:
    m = _mapping("ssn: {field: s, compare: {kind: exact, personal: true}}")
    assert m.compared_attributes()["ssn"].personal
    extras = declared_comparisons([_declared("a", "ssn", "exact", personal=True)])
    assert extras == (ComparisonSpec(column="ssn", kind="exact", personal=True),)
    assert default_spec(*extras).personal_comparisons == ("ssn",)
    assert default_spec().personal_comparisons == ()
    # The FEBRL mapping declares its social security number personal.
    assert febrl_mapping().compared_attributes()["soc_sec_id"].personal
    with pytest.raises(ConflictingComparisons):
        declared_comparisons(
            [_declared("a", "ssn", "exact", personal=True), _declared("b", "ssn", "exact")]
        )


def test_attributes_without_compare_are_not_compared() -> None:
    assert _mapping("ssn: {field: s}").compared_attributes() == {}


@pytest.mark.parametrize(
    ("attribute", "message"),
    [
        ("ssn: {field: s, compare: soundex}", "compare.kind"),
        ("ssn: {field: s, compare: {kind: exact, thresholds: [1]}}", "take no thresholds"),
        ("ssn: {field: s, compare: {kind: jaro_winkler, thresholds: [2]}}", "between 0 and 1"),
        ("ssn: {field: s, compare: {kind: levenshtein, thresholds: [0.5]}}", "positive integers"),
        ("ssn: {field: s, compare: {kind: date, thresholds: []}}", "must not be empty"),
        ("ssn: {field: s, compare: {kind: exact, weight: 3}}", "Extra inputs"),
        ("ssn: {field: s, compare: 7}", "compare"),
        ("dob: {field: s, kind: date, compare: date}", "default matching spec"),
        ("bk_ssn: {field: s, compare: exact}", "reserved"),
        ("born: {field: s, compare: {kind: date, personal: true}}", "not personal"),
    ],
)
def test_bad_comparisons_are_mapping_errors(attribute: str, message: str) -> None:
    with pytest.raises(MappingError, match=message):
        _mapping(attribute)


def test_one_attribute_has_one_comparison_across_files() -> None:
    with pytest.raises(MappingError, match="different comparisons"):
        _mapping("ssn: {field: s, compare: exact}", "ssn: {field: s, compare: levenshtein}")
    same = _mapping("ssn: {field: s, compare: exact}", "ssn: {field: t, compare: exact}")
    assert list(same.compared_attributes()) == ["ssn"]


def _declared(source: str, name: str, kind: str, **kw: object) -> dict[str, object]:
    return {
        "source": source,
        "name": name,
        "kind": kind,
        "thresholds": None,
        "term_frequency": False,
        "blocking": False,
        **kw,
    }


def test_declarations_become_extra_comparisons_and_columns() -> None:
    extras = declared_comparisons(
        [
            _declared("a", "ssn", "levenshtein", thresholds=[1.0, 2.0]),
            _declared("b", "ssn", "levenshtein", thresholds=[1.0, 2.0]),
            _declared("a", "state", "exact", blocking=True),
        ]
    )
    assert extras == (
        ComparisonSpec(column="ssn", kind="levenshtein", thresholds=(1, 2)),
        ComparisonSpec(column="state", kind="exact", blocking=True),
    )
    spec = default_spec(*extras)
    assert extra_columns(spec) == ("ssn", "state")
    assert extra_columns(default_spec()) == ()
    assert "state" in [r.name for r in spec.all_blocking_rules]


def test_two_sources_comparing_one_attribute_differently_is_an_error() -> None:
    with pytest.raises(ConflictingComparisons, match="'a' and 'b'"):
        declared_comparisons([_declared("a", "ssn", "exact"), _declared("b", "ssn", "levenshtein")])


def test_extra_columns_follow_the_standard_ones() -> None:
    row = ("x:1", "x", "Ann", "Lee", None, None, None, None, None, None, " 0123 ", 42, None)
    frame = to_frame([row], extra=("ssn", "level", "state"))
    assert frame.loc[0, ["ssn", "level", "state"]].tolist() == ["0123", "42", None]


@pytest.mark.parametrize(
    "name", ["ssn`}) DETACH DELETE (n", "a.b", "x y", "", "name]->(x", "n\u00e4me"]
)
def test_attribute_names_that_are_not_plain_keys_are_refused(name: str) -> None:
    with pytest.raises(InvalidName):
        checked_attributes(["ssn", name])


def test_febrl_rows_are_read_as_meant() -> None:
    # FEBRL's values follow ", ": the reader keeps the space, the normalisers drop it.
    m = febrl_mapping()
    row = {
        "rec_id": " rec-133-dup-0",
        "given_name": " ",
        "surname": " lavis",
        "street_number": " 12",
        "address_1": " ranken place",
        "address_2": " kooltuo",
        "suburb": " piggabeen",
        "postcode": " 0870",
        "state": " nsw",
        "date_of_birth": " 19640314",
        "soc_sec_id": " 4307152",
    }
    rec = RowConverter(m).customer(m.customers[0], row, "febrl.csv", 1)
    assert isinstance(rec, SourceRecord)
    assert rec.source_id == "rec-133-dup-0"
    attrs = rec.attributes
    assert attrs["given_name"] is None
    assert attrs["family_name"] == "Lavis"
    assert attrs["dob"] == "1964-03-14"
    assert attrs["postcode"] == "0870"
    assert attrs["address"] == "Ranken Pl"
    assert (attrs["city"], attrs["state"], attrs["soc_sec_id"]) == ("piggabeen", "nsw", "4307152")
    assert set(m.compared_attributes()) == {"soc_sec_id", "state", "street_number"}
