"""The golden-profile write query built from survivorship's property names."""

from __future__ import annotations

import pytest

from graph.errors import InvalidName
from graph.resolve_repo import write_profiles_query

pytestmark = pytest.mark.unit


def test_each_name_is_set_from_its_position() -> None:
    q = write_profiles_query(["email", "email_source", "golden_hash"])
    assert "MERGE (p:Profile {pid: row[0]})" in q
    assert "p.email = row[1]," in q
    assert "p.email_source = row[2]," in q
    assert "p.golden_hash = row[3]," in q
    assert "p.enrich_dirty = true" in q


@pytest.mark.parametrize("bad", ["email = 1 DETACH DELETE p //", "a-b", "", "`x`"])
def test_names_that_are_not_plain_keys_are_refused(bad: str) -> None:
    with pytest.raises(InvalidName):
        write_profiles_query(["email", bad])
