"""Ingestion batches name their mapping, so that the audit can refuse to describe a source
that borrowed a built-in name with the built-in mapping."""

from __future__ import annotations

import pytest

from ingest.mapping import builtin_mapping, mapping_ref, parse_mapping

pytestmark = pytest.mark.unit


def test_builtin_and_custom_mappings_are_told_apart() -> None:
    assert mapping_ref(builtin_mapping("pos")) == "builtin:pos"
    custom = parse_mapping(
        """
source: pos
customers:
  file: till.csv
  key: card
  identifiers:
    - {field: card, type: till_card}
""",
        "test",
    )
    assert mapping_ref(custom) == "custom:pos"
    assert mapping_ref(custom.model_copy(update={"source": "till"})) == "custom:till"
