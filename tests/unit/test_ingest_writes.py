"""The pieces of an ingest chunk's write that need no database: which records take the lean
write for new records, which are rewritten, which are left alone; the blank test's fast path
and the shared JSON encoders."""

from __future__ import annotations

import hashlib
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.hashing import content_hash
from core.normalise.text import _BLANK_TOKENS, is_blank
from graph.ingest_repo import split_records
from ingest.pipeline import _dumps

pytestmark = pytest.mark.unit

ROWS = [
    {"rid": "s:new", "hash": "h1"},
    {"rid": "s:same", "hash": "h2"},
    {"rid": "s:changed", "hash": "h3"},
    {"rid": "s:stub", "hash": "h4"},
]
HELD = {"s:same": "h2", "s:changed": "old", "s:stub": None}


def test_new_records_are_split_from_those_the_graph_holds() -> None:
    new, known = split_records(ROWS, HELD, accumulate=False)
    assert [r["rid"] for r in new] == ["s:new"]
    # An unchanged record is not sent: the full write would change nothing on it.
    assert [r["rid"] for r in known] == ["s:changed", "s:stub"]


def test_accumulating_records_are_all_sent_when_held() -> None:
    # Each row of an accumulating source moves its links' last_seen and may fill in values,
    # whatever the hash (which keeps the first row's).
    new, known = split_records(ROWS, HELD, accumulate=True)
    assert [r["rid"] for r in new] == ["s:new"]
    assert [r["rid"] for r in known] == ["s:same", "s:changed", "s:stub"]


@given(st.one_of(st.text(), st.sampled_from(sorted(_BLANK_TOKENS))))
def test_is_blank_fast_path_agrees_with_the_definition(text: str) -> None:
    for value in (text, f" {text} ", text.upper()):
        assert is_blank(value) == (value.strip().lower() in _BLANK_TOKENS)


def test_shared_encoders_write_what_json_dumps_writes() -> None:
    row = {"b": "é", "a": [1, 2.5, None], "c": {"z": True}, "d": object}
    assert _dumps(row) == json.dumps(row, default=str, ensure_ascii=False, separators=(",", ":"))
    stable = json.dumps(
        (row,), sort_keys=True, default=str, ensure_ascii=False, separators=(",", ":")
    )

    assert content_hash(row) == hashlib.sha1(stable.encode()).hexdigest()[:20]
