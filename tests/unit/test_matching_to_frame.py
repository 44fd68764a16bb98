"""`matching.linking.to_frame`: graph rows into the columns the matching spec reads."""

from __future__ import annotations

import pytest

from matching.config import default_config
from matching.linking import to_frame
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
