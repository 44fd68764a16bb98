"""The compact view of a record's facts reads like the row it came from."""

from __future__ import annotations

import pytest

from graph.record_facts import FIELDS, RecordFacts, StringPool


def row(**values: object) -> dict[str, object]:
    base: dict[str, object] = {name: None for name in FIELDS}
    base.update(rid="pos:1", source="pos", weight=1, extra=[])
    base.update(values)
    return base


def test_reads_like_the_row() -> None:
    r = row(given_name="Sarah", family_name="Johnson", extra=["gold"], dirty=True)
    facts = RecordFacts(r, StringPool())
    assert facts["given_name"] == "Sarah"
    assert dict(facts) == {**r, "extra": ("gold",)}
    assert facts.get("loyalty_tier") is None
    assert facts.get("loyalty_tier", "x") == "x"
    with pytest.raises(KeyError):
        facts["loyalty_tier"]
    assert "Sarah" not in repr(facts)  # no personal data in logs


def test_only_dirty_can_be_set() -> None:
    facts = RecordFacts(row(), StringPool())
    facts["dirty"] = True
    assert facts["dirty"] is True
    with pytest.raises(KeyError):
        facts["given_name"] = "Eve"
    with pytest.raises(AttributeError):
        facts.rid = "pos:2"
    assert facts["rid"] == "pos:1"


def test_repeated_values_share_one_object_unique_ones_do_not_need_to() -> None:
    pool = StringPool()
    # Strings built at run time, as the driver decodes them: equal but distinct objects.
    a = RecordFacts(row(rid="pos:1", city="".join(["Perth"])), pool)
    b = RecordFacts(row(rid="pos:2", city="".join(["Per", "th"])), pool)
    assert a["city"] == b["city"] == "Perth"
    assert a["city"] is b["city"]
    assert RecordFacts(row(), pool)["extra"] == ()
