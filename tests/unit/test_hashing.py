"""Normalisation and hashing per destination convention, with known vectors."""

from __future__ import annotations

import hashlib
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from activate import hashing as h

pytestmark = pytest.mark.unit

TEST_EMAIL_SHA256 = "973dfe463ec85785f5f95af5ba3906eedb2d931c24e69824a89ea65dba4e813b"


def test_sha256_hex_known_vectors() -> None:
    assert h.sha256_hex("test@example.com") == TEST_EMAIL_SHA256
    assert h.sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert h.sha256_hex("zoë") == hashlib.sha256("zoë".encode()).hexdigest()


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  Test@Example.COM ", "test@example.com"),
        ("first.last+tag@Example.com", "first.last+tag@example.com"),
        ("not-an-email", None),
        ("", None),
        (None, None),
    ],
)
def test_meta_email(raw: str | None, expected: str | None) -> None:
    assert h.meta_email(raw) == expected


def test_meta_hashed_email_known_vector() -> None:
    assert h.meta_hashed_email(" TEST@example.com") == TEST_EMAIL_SHA256


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("+1 (650) 555-1212", "16505551212"),
        ("+44 7700 900123", "447700900123"),
        ("0044 7700 900123", "447700900123"),
        ("+12", None),
        ("abc", None),
        (None, None),
    ],
)
def test_meta_phone_digits_with_country_code_no_plus_no_leading_zeros(
    raw: str | None, expected: str | None
) -> None:
    assert h.meta_phone(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("O'Brien", "obrien"),
        ("  Mary-Ann ", "maryann"),
        ("Zoë", "zoë"),
        ("J.", "j"),
        ("...", None),
    ],
)
def test_meta_name_lower_case_without_punctuation_utf8(raw: str, expected: str | None) -> None:
    assert h.meta_name(raw) == expected


def test_meta_name_hash_is_of_utf8_bytes() -> None:
    assert h.meta_hashed_name("Zoë") == hashlib.sha256("zoë".encode()).hexdigest()


@pytest.mark.parametrize(
    ("postcode", "country", "expected"),
    [
        ("94043-1234", "US", "94043"),
        ("94043", "us", "94043"),
        # UK: Area/District/Sector, the outward code and the sector digit.
        ("SW1A 1AA", "GB", "sw1a1"),
        ("m1 1ae", "GB", "m11"),
        ("EC1A1BB", "gb", "ec1a1"),
        ("SW1A 1", "GB", "sw1a1"),
        ("JE2 3AB", "JE", "je23"),
        ("SW1A 1AA", None, "sw1a1aa"),
        ("75001", None, "75001"),
        ("123", "US", None),
    ],
)
def test_meta_zip(postcode: str, country: str | None, expected: str | None) -> None:
    assert h.meta_zip(postcode, country) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("London", "london"),
        ("São Paulo", "saopaulo"),
        ("Stoke-on-Trent", "stokeontrent"),
        ("King's Lynn", "kingslynn"),
        ("東京", None),
        ("  ", None),
    ],
)
def test_meta_city_a_to_z_only(raw: str, expected: str | None) -> None:
    assert h.meta_city(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Dr. Jane", "Jane"),
        ("Mr John", "John"),
        ("Sister Mary Ann", "Mary Ann"),
        ("Prof. Dr. Hans", "Hans"),
        ("Mrs", None),
        # A title-like word alone is a name.
        ("Dean", "Dean"),
        ("King", "King"),
        ("Jane", "Jane"),
    ],
)
def test_titles_come_off_given_names(raw: str, expected: str | None) -> None:
    assert h.given_name_core(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Smith Jr.", "Smith"),
        ("Smith III", "Smith"),
        ("Smith, Jr", "Smith"),
        ("O'Neil, MBE", "O'Neil"),
        ("Jones PhD", "Jones"),
        ("Jones Ph.D.", "Jones"),
        ("Lee OBE", "Lee"),
        ("Brown Esq", "Brown"),
        # Family names that look like suffixes stay.
        ("Ba", "Ba"),
        ("Nguyen Van Ba", "Nguyen Van Ba"),
        ("Kumar V", "Kumar V"),
        ("Van der Berg", "Van der Berg"),
        ("Junior", "Junior"),
    ],
)
def test_suffixes_come_off_family_names(raw: str, expected: str | None) -> None:
    assert h.family_name_core(raw) == expected


def test_both_vendors_hash_names_without_titles_and_suffixes() -> None:
    assert h.meta_hashed_given_name("Dr. Zoë") == h.sha256_hex("zoë")
    assert h.meta_hashed_family_name("O'Brien Jr.") == h.sha256_hex("obrien")
    assert h.google_hashed_given_name("Mrs Mary Ann") == h.sha256_hex("mary ann")
    assert h.google_hashed_family_name("O'Brien-Smith, PhD") == h.sha256_hex("obriensmith")


def test_meta_country_lower_case_alpha2() -> None:
    assert h.meta_country(" GB ") == "gb"
    assert h.meta_country("GBR") is None
    assert h.meta_hashed_country("US") == h.sha256_hex("us")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # The two examples of the Data Manager "Format user data" guide.
        ("cloudy.sanfrancisco+shopping@gmail.com", "cloudysanfrancisco@gmail.com"),
        ("user.name+NYC@Example.com", "user.name+nyc@example.com"),
        (" Cloudy.SanFrancisco@GoogleMail.com ", "cloudysanfrancisco@googlemail.com"),
        ("dana @ example.com", "dana@example.com"),
        ("+tag@gmail.com", None),
        ("nope", None),
    ],
)
def test_google_email(raw: str, expected: str | None) -> None:
    assert h.google_email(raw) == expected


def test_google_phone_is_e164_with_plus() -> None:
    assert h.google_phone("+1 (800) 555-0100") == "+18005550100"
    assert h.google_phone("8005550100") is None  # no country code: cannot be made E.164
    assert h.google_hashed_phone("+18005550100") == h.sha256_hex("+18005550100")


def test_google_names_and_address_parts() -> None:
    assert h.google_name("  Zoë ") == "zoë"
    assert h.google_name("O'Brien") == "obrien"  # no punctuation (AddressInfo)
    assert h.google_hashed_name("Dana") == h.sha256_hex("dana")
    assert h.google_region_code("gb") == "GB"
    assert h.google_region_code("GBR") is None
    assert h.google_postal_code(" SW1A 1AA ") == "SW1A 1AA"


@given(st.text(max_size=40))
def test_normalisers_are_idempotent(text: str) -> None:
    for normalise in (h.meta_email, h.meta_phone, h.meta_name, h.meta_country, h.google_email):
        once = normalise(text)
        assert once is None or normalise(once) == once


@given(st.text(max_size=40))
def test_hashes_are_none_or_lower_hex(text: str) -> None:
    for hashed in (
        h.meta_hashed_email(text),
        h.meta_hashed_phone(text),
        h.meta_hashed_name(text),
        h.google_hashed_email(text),
        h.google_hashed_phone(text),
    ):
        assert hashed is None or re.fullmatch(r"[0-9a-f]{64}", hashed) is not None


@given(st.from_regex(r"\+[1-9][0-9 ()-]{6,20}", fullmatch=True))
def test_meta_phone_output_is_digits_without_leading_zero(phone: str) -> None:
    digits = h.meta_phone(phone)
    assert digits is None or (digits.isdigit() and not digits.startswith("0"))
