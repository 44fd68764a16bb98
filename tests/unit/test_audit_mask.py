"""Masking of identifier values in the shared audit report."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ingest.audit.mask import mask_email, mask_identifier, mask_phone, mask_text


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("noreply@store.example.com", "no***@store.example.com"),
        ("test@test.com", "te***@test.com"),
        ("abc@x.com", "a***@x.com"),
        ("a@a.com", "***@a.com"),
        ("not-an-email", "no***il"),
    ],
)
def test_email_keeps_a_hint_of_the_mailbox_and_the_domain(value: str, masked: str) -> None:
    assert mask_email(value) == masked


def test_phone_keeps_prefix_and_last_digits() -> None:
    assert mask_phone("+61412345678") == "+614***678"
    assert mask_phone("+6140") == "***"


def test_other_types_and_blanks() -> None:
    assert mask_text("LOY-123456") == "LO***56"
    assert mask_text("C-77") == "***"
    assert mask_identifier("loyalty_id", "LOY-123456") == "LO***56"
    assert mask_identifier("email", "jane.doe@example.com") == "ja***@example.com"
    assert mask_identifier("phone", "+61412345678") == "+614***678"
    assert mask_identifier("cookie", None) == ""


@given(
    st.sampled_from(["email", "phone", "loyalty_id", "cookie"]),
    st.text(min_size=7, max_size=60),
)
def test_a_masked_value_never_shows_the_whole_value(id_type: str, value: str) -> None:
    masked = mask_identifier(id_type, value)
    assert "***" in masked
    assert value not in masked
