"""The catalogue of profile attributes, and the lists a type checker needs spelled out,
checked against it."""

from __future__ import annotations

from typing import Any, get_args

import pytest
from strawberry.scalars import JSON
from strawberry.types.base import StrawberryList, StrawberryOptional

from activate.segments.compiler import SAMPLE_FIELDS
from activate.segments.fields import FIELDS, FieldName
from activate.sync.members import IDENTIFIER_FIELDS, SyncableAttribute
from api.graphql import values
from api.graphql.types import Demographics, Enrichment
from enrich import catalogue
from enrich.catalogue import BY_NAME, CATALOGUE
from enrich.enricher import ATTRIBUTES
from enrich.providers.base import DEMOGRAPHIC_ATTRIBUTES
from matching.survivorship import SurvivorshipConfig

pytestmark = pytest.mark.unit

_PYTHON_TYPE: dict[str, Any] = {
    "int": int,
    "float": float,
    "bool": bool,
    "text": str,
    "timestamp": str,
    "date": str,
    "texts": list,
    "json": JSON,
}


def _graphql_fields(cls: type) -> dict[str, Any]:
    """Python name -> the inner type of each (optional) field of a Strawberry type."""
    out: dict[str, Any] = {}
    for f in cls.__strawberry_definition__.fields:  # type: ignore[attr-defined]
        if f.python_name.startswith("_"):
            continue  # private: the props the type wraps
        kind = f.type
        assert isinstance(kind, StrawberryOptional), f.python_name
        inner = kind.of_type
        out[f.python_name] = list if isinstance(inner, StrawberryList) else inner
    return out


def _read(obj: object, field: str) -> Any:
    """A field's value, through its resolver."""
    return getattr(obj, field)()


def test_names_are_unique_and_safe() -> None:
    assert len(BY_NAME) == len(CATALOGUE)
    assert all(n.isidentifier() and n.islower() for n in BY_NAME)
    for a in CATALOGUE:
        assert all(r in BY_NAME and BY_NAME[r].written_by != "read" for r in a.reads)
        assert (a.written_by == "read") == bool(a.reads), a.name
        assert a.filter is None or not a.personal, a.name


def test_enrichment_writes_the_enriched_attributes() -> None:
    assert ATTRIBUTES == catalogue.ENRICHED
    assert ATTRIBUTES[-1] == "enriched_at"
    assert DEMOGRAPHIC_ATTRIBUTES == catalogue.DEMOGRAPHIC


def test_segment_fields_are_the_filterable_attributes() -> None:
    assert set(get_args(FieldName)) == set(FIELDS) == set(catalogue.FILTERABLE)
    for name, spec in FIELDS.items():
        assert spec.kind == BY_NAME[name].filter
        if spec.kind == "days":
            assert BY_NAME[spec.prop].type == "timestamp"
        else:
            assert spec.prop == name


def test_syncable_attributes_are_the_catalogues() -> None:
    assert set(get_args(SyncableAttribute)) == set(catalogue.SYNCABLE)
    assert not set(catalogue.SYNCABLE) & set(catalogue.PERSONAL)
    assert {prop for _, prop in IDENTIFIER_FIELDS} <= set(catalogue.GOLDEN)


def test_survivorship_writes_the_golden_attributes() -> None:
    golden = set(SurvivorshipConfig().fields) | {"sources", "record_count"}
    assert golden == set(catalogue.GOLDEN)


def test_segment_previews_read_catalogued_attributes() -> None:
    assert set(SAMPLE_FIELDS) - {"pid"} <= set(BY_NAME)


def test_graphql_enrichment_type_matches_the_catalogue() -> None:
    fields = _graphql_fields(Enrichment)
    shown = {
        a.name: a
        for a in CATALOGUE
        if a.written_by in ("enrichment", "read") and a.graphql and a.family != "demographics"
    }
    assert set(fields) == set(shown)
    for name, kind in fields.items():
        assert kind is _PYTHON_TYPE[shown[name].type], name


def test_graphql_demographics_type_matches_the_catalogue() -> None:
    fields = _graphql_fields(Demographics)
    assert {f"demo_{n}" for n in fields} == set(catalogue.DEMOGRAPHIC)
    assert all(kind is str for kind in fields.values())


def test_every_graphql_attribute_reads_as_its_catalogue_type() -> None:
    stored: dict[str, Any] = {
        "int": 3,
        "float": 0.25,
        "bool": True,
        "text": "Gold",
        "timestamp": "2024-01-01T10:00:00Z",
        "date": "2024-03-01",
        "texts": ["online", "store"],
        "json": '{"shoes": 0.75}',
    }
    props = {a.name: stored[a.type] for a in CATALOGUE if a.written_by != "read"}
    enrichment, demographics = Enrichment(_p=props), Demographics(_p=props)
    for name in _graphql_fields(Enrichment):
        value = _read(enrichment, name)
        assert value is not None or BY_NAME[name].written_by == "read", name
    assert _read(enrichment, "category_affinity") == {"shoes": 0.75}
    assert _read(enrichment, "channels") == ["online", "store"]
    assert _read(demographics, "income_band") == "Gold"
    empty = Enrichment(_p={})
    assert all(
        _read(empty, name) is None
        for name in _graphql_fields(Enrichment)
        if BY_NAME[name].written_by != "read"
    )


def test_attribute_readers_refuse_the_wrong_type() -> None:
    with pytest.raises(TypeError, match="orders_count is a int"):
        values.text_attribute({}, "orders_count")
    with pytest.raises(KeyError):
        values.int_attribute({}, "not_an_attribute")
    assert values.float_attribute({"clv_12m": float("nan")}, "clv_12m") is None
