"""`matching.linking.to_frame`: graph rows into the columns the matching spec reads."""

from __future__ import annotations

import pytest

from graph import matching_repo
from graph.record_facts import FIELDS, RecordFacts, StringPool
from matching.config import default_config
from matching.linking import scoring_rows, to_frame
from matching.protection import Protection

pytestmark = pytest.mark.unit

ROWS = [
    ("pos:1", "pos", "Ann", "Lee", None, None, None, None, "noemail@store.example.com", None),
    ("pos:2", "pos", "Ann", "Lee", None, None, None, None, "ann.lee@gmail.com", "+61412345678"),
    ("pos:3", "pos", "Bo", "Wu", None, None, None, None, None, "+61491570156"),
]


def test_placeholders_are_kept_without_protection() -> None:
    frame = to_frame(ROWS)
    assert frame["email"].tolist() == ["noemail@store.example.com", "annlee@gmail.com", None]
    assert frame["phone"].tolist() == [None, "+61412345678", "+61491570156"]


def test_blocked_emails_and_phones_are_left_out_with_protection() -> None:
    frame = to_frame(ROWS, Protection.from_config(default_config()))
    assert frame["email"].tolist() == [None, "annlee@gmail.com", None]
    assert frame["email_local"].tolist() == [None, "annlee", None]
    # +61412345678 is the placeholder mobile everyone types.
    assert frame["phone"].tolist() == [None, None, "+61491570156"]
    assert frame["given_name"].tolist() == ["ann", "ann", "bo"]


def test_placeholder_names_are_left_out_with_protection() -> None:
    rows = [
        ("loyalty:1", "loyalty", "Test", "Test", None, "0000", None, None, None, None),
        ("loyalty:2", "loyalty", "Guest", "Customer", None, None, None, None, None, None),
        ("loyalty:3", "loyalty", "Unknown", "Nguyen", None, None, None, None, None, None),
        ("loyalty:4", "loyalty", "Tess", "Testa", None, None, None, None, None, None),
    ]
    frame = to_frame(rows, Protection.from_config(default_config()))
    assert frame["given_name"].tolist() == [None, None, None, "tess"]
    assert frame["family_name"].tolist() == [None, None, "nguyen", "testa"]
    # Without protection (training) the names are what the records say.
    assert to_frame(rows)["given_name"].tolist() == ["test", "guest", "unknown", "tess"]


def test_contacts_declared_only_as_identifiers_are_scored() -> None:
    base = {c: None for c in matching_repo.COLUMNS}
    records = [
        {
            **base,
            "rid": "club:1",
            "source": "club",
            "given_name": "Oliver",
            "stub": None,
            "contacts": [["email", "a@example.org"], ["phone", "+61412555101"]],
            "extra": [],
        },
        {
            **base,
            "rid": "club:2",
            "source": "club",
            "given_name": "Ann",
            "stub": None,
            "email": "own@example.org",
            "contacts": [["email", "b@example.org"]],
            "extra": [],
        },
    ]
    rows = scoring_rows(records)
    # The same from the resolver's compact facts, as a full resolution hands them over.
    pool = StringPool()
    compact = [RecordFacts({n: r.get(n) for n in FIELDS}, pool) for r in records]
    assert scoring_rows(compact) == rows
    first = dict(zip(matching_repo.COLUMNS, rows[0], strict=True))
    second = dict(zip(matching_repo.COLUMNS, rows[1], strict=True))
    assert (first["email"], first["phone"]) == ("a@example.org", "+61412555101")
    assert second["email"] == "own@example.org"
