"""Tests for `core.normalise`: examples for each function, then properties (hypothesis)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from email_validator import EmailNotValidError, validate_email
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from core.normalise import (
    UNALLOCATED_PHONE,
    Normalised,
    canonical_email,
    fold_name,
    is_blank,
    is_fixed_line,
    normalise_address,
    normalise_bool,
    normalise_country,
    normalise_date,
    normalise_email,
    normalise_name,
    normalise_phone,
    normalise_postcode,
    normalise_timestamp,
)

pytestmark = pytest.mark.unit

# Enough examples to find the usual Unicode corner cases while keeping the module fast.
PROPERTY = settings(max_examples=75, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# For strategies that are slow to draw from, or functions that are slow to run (phonenumbers).
SLOW_PROPERTY = settings(PROPERTY, max_examples=40)

TODAY = datetime.now(UTC).date()


def ok(value: str) -> Normalised:
    return Normalised(value, None)


def rejected(reason: str) -> Normalised:
    return Normalised(None, reason)


EMPTY = Normalised(None, None)


# --- Normalised and is_blank ------------------------------------------------------------------


def test_ok_is_true_only_with_a_value() -> None:
    assert ok("x").ok
    assert not EMPTY.ok
    assert not rejected("invalid_phone").ok


def test_normalised_is_frozen() -> None:
    with pytest.raises(AttributeError):
        ok("x").value = "y"  # type: ignore[misc]


@pytest.mark.parametrize(
    "raw", [None, "", "   ", "\t\n", "null", "NULL", "None", "n/a", "N/A", "na", "NaN", "-", " - "]
)
def test_blank_values(raw: object) -> None:
    assert is_blank(raw)


@pytest.mark.parametrize("raw", ["0", "x", "--", "false", 0, 0.0, False, "nil?"])
def test_not_blank_values(raw: object) -> None:
    assert not is_blank(raw)


def test_nan_float_is_blank() -> None:
    assert is_blank(float("nan"))


# --- Email ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (" John.Smith@Example.COM ", "john.smith@example.com"),
        ("user+tag@gmail.com", "user+tag@gmail.com"),
        ("o'brien@example.com.au", "o'brien@example.com.au"),
        ("JOSÉ@Bücher.de", "josé@bücher.de"),
        ("info@xn--bcher-kva.de", "info@bücher.de"),
    ],
)
def test_normalise_email_valid(raw: str, expected: str) -> None:
    assert normalise_email(raw) == ok(expected)


@pytest.mark.parametrize(
    "raw",
    [
        "plainaddress",
        "a@b",
        "@example.com",
        "john@",
        "john smith@example.com",
        "a..b@example.com",
        ".a@example.com",
        "a@example..com",
        "a@-example.com",
        "a@example.123",
        "a@b@example.com",
        "someone@localhost",
        "someone@mail.test",
        "John <john@example.com>",
        "x" * 250 + "@example.com",
        12345,
    ],
)
def test_normalise_email_invalid(raw: object) -> None:
    assert normalise_email(raw) == rejected("invalid_email_syntax")


@pytest.mark.parametrize("raw", [None, "", "  ", "N/A", "null"])
def test_normalise_email_blank(raw: object) -> None:
    assert normalise_email(raw) == EMPTY


@pytest.mark.parametrize(
    ("email", "expected"),
    [
        ("j.o.h.n+promo@gmail.com", "john@gmail.com"),
        ("john.smith@googlemail.com", "johnsmith@gmail.com"),
        ("john+a+b@gmail.com", "john@gmail.com"),
        ("john.smith+x@example.com", "john.smith+x@example.com"),
        ("john.smith@outlook.com", "john.smith@outlook.com"),
        ("not-an-email", "not-an-email"),
    ],
)
def test_canonical_email(email: str, expected: str) -> None:
    assert canonical_email(email) == expected


# --- Phone ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "(0412) 345 678",
        "+61 412 345 678",
        "0412345678",
        "0412 345 678",
        "0412-345-678",
        "61412345678",
        "+61 (0)412 345 678",
        "0061 412 345 678",
        "0011 61 412 345 678",
        412345678,
        61412345678,
        412345678.0,
    ],
)
def test_normalise_phone_au_mobile_formats(raw: object) -> None:
    assert normalise_phone(raw) == ok("+61412345678")


@pytest.mark.parametrize(
    ("raw", "region", "expected"),
    [
        ("(02) 9374 4000", "AU", "+61293744000"),
        ("+1 650-253-0000", "AU", "+16502530000"),
        ("650 253 0000", "US", "+16502530000"),
        ("1 650 253 0000", "us", "+16502530000"),
        ("020 7946 0958", "GB", "+442079460958"),
        ("0044 20 7946 0958", "AU", "+442079460958"),
        ("021 123 4567", "NZ", "+64211234567"),
        ("0412 345 678 ext 12", "AU", "+61412345678"),
    ],
)
def test_normalise_phone_regions(raw: str, region: str, expected: str) -> None:
    assert normalise_phone(raw, region) == ok(expected)


@pytest.mark.parametrize(
    ("raw", "region"),
    [
        ("12345", "AU"),
        ("0412 345", "AU"),
        ("0000000000", "AU"),
        ("call me maybe", "AU"),
        ("+999 123 456", "AU"),
        ("0412345678", "ZZ"),
        ("0412345678", ""),
        ("0412 345 678 " + "x" * 200, "AU"),
        ("9" * 300, "AU"),
    ],
)
def test_normalise_phone_invalid(raw: str, region: str) -> None:
    assert normalise_phone(raw, region) == rejected("invalid_phone")


def test_normalise_phone_blank() -> None:
    assert normalise_phone(" ") == EMPTY
    assert normalise_phone(None, "GB") == EMPTY


# --- Names ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("o'brien", "O'Brien"),
        ("O’NEILL", "O'Neill"),
        ("JEAN-LUC", "Jean-Luc"),
        ("jean-luc  picard", "Jean-Luc Picard"),
        ("mcdonald", "McDonald"),
        ("  mary   ann  ", "Mary Ann"),
        ("josé álvarez", "José Álvarez"),
        ("ZOË", "Zoë"),
        ("jOHN sMITH", "John Smith"),
        ("john smith iii", "John Smith III"),
        ("j.r.r. tolkien", "J.R.R. Tolkien"),
        ("d'angelo", "D'Angelo"),
        # Deliberate mixed case is the source's knowledge, not an accident: keep it.
        ("DeShawn", "DeShawn"),
        ("Jan van der Berg", "Jan van der Berg"),
        ("MacDonald", "MacDonald"),
        ("李小龍", "李小龍"),
    ],
)
def test_normalise_name_valid(raw: str, expected: str) -> None:
    assert normalise_name(raw) == ok(expected)


@pytest.mark.parametrize("raw", ["R2D2", "john 3", "---", "'''", "..", "john@example.com", 42])
def test_normalise_name_invalid(raw: object) -> None:
    assert normalise_name(raw) == rejected("invalid_name")


def test_normalise_name_blank() -> None:
    assert normalise_name("  ") == EMPTY


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("José  O'Brien", "jose obrien"),
        ("JOSE OBRIEN", "jose obrien"),
        ("Jean-Luc Picard", "jean luc picard"),
        ("Zoë Ångström", "zoe angstrom"),
        ("Søren Kierkegaard", "soren kierkegaard"),
        ("Straße", "strasse"),
        ("  O’Neill , Mary ", "oneill mary"),
        ("", ""),
        ("---", ""),
    ],
)
def test_fold_name(name: str, expected: str) -> None:
    assert fold_name(name) == expected


# --- Addresses --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("12 smith street", "12 Smith St"),
        ("12 Smith St.", "12 Smith St"),
        ("12 SMITH ST", "12 Smith St"),
        ("5 king road", "5 King Rd"),
        ("5 King Rd.", "5 King Rd"),
        ("7 Park Avenue", "7 Park Ave"),
        ("7 park ave", "7 Park Ave"),
        ("1 ocean drive", "1 Ocean Dr"),
        ("2 elm court", "2 Elm Ct"),
        ("3 rose place", "3 Rose Pl"),
        ("4 lovers lane", "4 Lovers Ln"),
        ("5 moon crescent", "5 Moon Cres"),
        ("100 pacific highway", "100 Pacific Hwy"),
        ("6 marine parade", "6 Marine Pde"),
        ("8 north terrace", "8 North Tce"),
        ("9 sunset boulevard", "9 Sunset Blvd"),
        ("Unit 3/12 smith street", "Unit 3/12 Smith St"),
        ("3/12 o'connell st", "3/12 O'Connell St"),
        ("12a  kings   avenue,,  richmond vic.", "12A Kings Ave, Richmond VIC"),
        ("21st century drive", "21st Century Dr"),
        ("po box 123", "PO Box 123"),
        ("45 PACIFIC HIGHWAY , st leonards ,", "45 Pacific Hwy, St Leonards"),
    ],
)
def test_normalise_address(raw: str, expected: str) -> None:
    assert normalise_address(raw) == ok(expected)


def test_normalise_address_standardises_both_spellings_alike() -> None:
    assert normalise_address("12 Smith Street") == normalise_address("12 smith st.")


@pytest.mark.parametrize("raw", ["...", ", ,", "//"])
def test_normalise_address_invalid(raw: str) -> None:
    assert normalise_address(raw) == rejected("invalid_address")


# --- Postcodes --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "country", "expected"),
    [
        ("3000", "AU", "3000"),
        (" 2000 ", "AU", "2000"),
        ("800", "AU", "0800"),
        (800, "AU", "0800"),
        (3000.0, "AU", "3000"),
        ("6011", "NZ", "6011"),
        ("90210", "US", "90210"),
        ("90210-1234", "US", "90210"),
        ("902101234", "US", "90210"),
        ("2134", "US", "02134"),
        ("sw1a1aa", "GB", "SW1A 1AA"),
        ("SW1A 1AA", "GB", "SW1A 1AA"),
        ("ec1a  1bb", "GB", "EC1A 1BB"),
        ("m1 1ae", "GB", "M1 1AE"),
        ("GIR0AA", "GB", "GIR 0AA"),
        ("k1a0b1", "CA", "K1A 0B1"),
        ("K1A 0B1", "CA", "K1A 0B1"),
        ("10115", "DE", "10115"),
        ("75008", "FR", "75008"),
        ("1234 ab", "NL", "1234 AB"),
        ("sw1a1aa", "United Kingdom", "SW1A 1AA"),
        ("3000", "Australia", "3000"),
        ("ab-12", "", "AB-12"),
    ],
)
def test_normalise_postcode_valid(raw: object, country: str, expected: str) -> None:
    assert normalise_postcode(raw, country) == ok(expected)


@pytest.mark.parametrize(
    ("raw", "country"),
    [
        ("30000", "AU"),
        ("12", "AU"),
        ("ABCD", "AU"),
        ("3000a", "AU"),
        ("1234567", "US"),
        ("SW1A", "GB"),
        ("12345", "GB"),
        ("SW1A 1CA", "GB"),
        ("D1A 0B1", "CA"),
        ("123", "DE"),
        ("1234 AB!", "NL"),
        ("X" * 20, "NL"),
    ],
)
def test_normalise_postcode_invalid(raw: str, country: str) -> None:
    assert normalise_postcode(raw, country) == rejected("invalid_postcode")


def test_normalise_postcode_pads_one_missing_zero_for_de() -> None:
    assert normalise_postcode("1067", "DE") == ok("01067")


def test_normalise_postcode_default_country_is_au() -> None:
    assert normalise_postcode("800") == ok("0800")


# --- Dates ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "1985-03-07",
        "07/03/1985",
        "7/3/85",
        "07-03-1985",
        "07.03.1985",
        "1985/03/07",
        "March 7, 1985",
        "march 7th 1985",
        "7 Mar 1985",
        "7-MAR-85",
        "Thursday, 7 March 1985",
        "1985 Mar 7",
        "19850307",
        19850307,
        "1985-03-07T10:30:00",
        "1985-03-07T23:30:00-05:00",
        "1985-03-07 00:00:00",
        "07/03/1985 12:00 AM",
        date(1985, 3, 7),
        datetime(1985, 3, 7, 22, 0),
    ],
)
def test_normalise_date_formats(raw: object) -> None:
    assert normalise_date(raw) == ok("1985-03-07")


def test_normalise_date_monthfirst() -> None:
    assert normalise_date("03/07/1985", dayfirst=False) == ok("1985-03-07")
    assert normalise_date("03/07/1985") == ok("1985-07-03")


def test_normalise_date_takes_the_only_possible_reading() -> None:
    assert normalise_date("12/31/1990") == ok("1990-12-31")
    assert normalise_date("31/12/1990", dayfirst=False) == ok("1990-12-31")


def test_normalise_date_two_digit_years_are_never_future() -> None:
    yy = TODAY.year % 100
    assert normalise_date(f"01/01/{yy:02d}") == ok(f"{TODAY.year}-01-01")
    assert normalise_date(f"01/01/{(yy + 1) % 100:02d}").value == f"{TODAY.year - 99}-01-01"


@pytest.mark.parametrize(
    "raw",
    [
        "31/02/1990",
        "1990-02-30",
        "29/02/1990",
        "13/13/1990",
        "00/01/1990",
        "1990-13-01",
        "not a date",
        "March 1985",
        "32 Mar 1985",
        "7 Foo 1985",
        "1985-03-07 25:00",
        "1985-03-07garbage",
        "1/2/3/4",
        "x" * 100,
        3.5,
    ],
)
def test_normalise_date_unparseable(raw: object) -> None:
    assert normalise_date(raw) == rejected("unparseable_date")


def test_normalise_date_leap_day() -> None:
    assert normalise_date("29/02/2000") == ok("2000-02-29")


def test_normalise_date_future() -> None:
    assert normalise_date((TODAY + timedelta(days=30)).isoformat()) == rejected("future_date")
    assert normalise_date("01/01/2999") == rejected("future_date")


def test_normalise_date_today_is_fine() -> None:
    assert normalise_date(TODAY.isoformat()) == ok(TODAY.isoformat())


def test_normalise_date_implausible() -> None:
    assert normalise_date("31/12/1899") == rejected("implausible_date")
    assert normalise_date("1066-10-14") == rejected("implausible_date")
    assert normalise_date("1900-01-01") == ok("1900-01-01")


# --- Timestamps -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2024-03-07T14:05:00Z", "2024-03-07T14:05:00Z"),
        ("2024-03-07T14:05:00.123456Z", "2024-03-07T14:05:00Z"),
        ("2024-03-08T00:05:00+10:00", "2024-03-07T14:05:00Z"),
        ("2024-03-07T09:05:00-0500", "2024-03-07T14:05:00Z"),
        ("2024-03-07T14:05:00", "2024-03-07T14:05:00Z"),
        ("2024-03-07 14:05:00", "2024-03-07T14:05:00Z"),
        ("2024-03-07 14:05", "2024-03-07T14:05:00Z"),
        ("2024-03-07t14:05:00z", "2024-03-07T14:05:00Z"),
        ("2024-03-07", "2024-03-07T00:00:00Z"),
        ("20240307", "2024-03-07T00:00:00Z"),
        ("07/03/2024 2:05 PM", "2024-03-07T14:05:00Z"),
        ("07/03/2024 14:05:00 UTC", "2024-03-07T14:05:00Z"),
        ("Thu, 07 Mar 2024 14:05:00 +0000", "2024-03-07T14:05:00Z"),
        ("March 7, 2024 2:05 pm", "2024-03-07T14:05:00Z"),
        (1709820300, "2024-03-07T14:05:00Z"),
        (1709820300.75, "2024-03-07T14:05:00Z"),
        (1709820300123, "2024-03-07T14:05:00Z"),
        ("1709820300", "2024-03-07T14:05:00Z"),
        ("1709820300123", "2024-03-07T14:05:00Z"),
        ("1709820300123456", "2024-03-07T14:05:00Z"),
        ("-100000000", "1966-10-31T14:13:20Z"),
        (datetime(2024, 3, 7, 14, 5), "2024-03-07T14:05:00Z"),
        (
            datetime(2024, 3, 8, 0, 5, tzinfo=timezone(timedelta(hours=10))),
            "2024-03-07T14:05:00Z",
        ),
        (date(2024, 3, 7), "2024-03-07T00:00:00Z"),
    ],
)
def test_normalise_timestamp(raw: object, expected: str) -> None:
    assert normalise_timestamp(raw) == ok(expected)


@pytest.mark.parametrize(
    "raw",
    [
        "yesterday",
        "2024-13-01T00:00:00Z",
        "2024-02-30",
        "2024-03-07 24:00",
        "2024-03-07 13:00 pm",
        "2024-03-07 10:00 +25:00",
        "0",
        0,
        2024,
        True,
        float("inf"),
        10**30,
        "9999-12-31T23:59:59-05:00",
    ],
)
def test_normalise_timestamp_unparseable(raw: object) -> None:
    assert normalise_timestamp(raw) == rejected("unparseable_timestamp")


def test_normalise_timestamp_blank() -> None:
    assert normalise_timestamp("null") == EMPTY


# --- Countries --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Australia", "AU"),
        ("AUS", "AU"),
        ("au", "AU"),
        (" AUSTRALIA ", "AU"),
        ("United Kingdom", "GB"),
        ("UK", "GB"),
        ("u.k.", "GB"),
        ("Great Britain", "GB"),
        ("England", "GB"),
        ("Scotland", "GB"),
        ("GBR", "GB"),
        ("USA", "US"),
        ("U.S.A.", "US"),
        ("United States", "US"),
        ("United States of America", "US"),
        ("New Zealand", "NZ"),
        ("new-zealand", "NZ"),
        ("NZL", "NZ"),
        ("Deutschland", "DE"),
        ("Germany", "DE"),
        ("The Netherlands", "NL"),
        ("Holland", "NL"),
        ("Côte d'Ivoire", "CI"),
        ("cote divoire", "CI"),
        ("South Korea", "KR"),
        ("Korea, Republic of", "KR"),
        ("Viet Nam", "VN"),
        ("Vietnam", "VN"),
        ("Russia", "RU"),
        ("People's Republic of China", "CN"),
        ("Hong Kong", "HK"),
        ("Singapore", "SG"),
        ("India", "IN"),
        ("Fiji", "FJ"),
        ("Trinidad & Tobago", "TT"),
        ("FJ", "FJ"),
        ("ZWE", "ZW"),
    ],
)
def test_normalise_country(raw: str, expected: str) -> None:
    assert normalise_country(raw) == ok(expected)


@pytest.mark.parametrize("raw", ["Narnia", "XX", "ZZZ", "Atlantis", "A", 42, "x" * 200])
def test_normalise_country_unknown(raw: object) -> None:
    assert normalise_country(raw) == rejected("unknown_country")


def test_normalise_country_na_is_blank_not_namibia() -> None:
    # "NA" is one of the blank markers, so Namibia has to be written out.
    assert normalise_country("NA") == EMPTY
    assert normalise_country("Namibia") == ok("NA")


# --- Booleans ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw", ["true", "TRUE", "yes", "Y", "1", 1, 1.0, True, "subscribed", "opted_in", "Opted-In"]
)
def test_normalise_bool_true(raw: object) -> None:
    assert normalise_bool(raw) == ok("true")


@pytest.mark.parametrize(
    "raw", ["false", "No", "n", "0", 0, False, "unsubscribed", "opted_out", "opted out", " F "]
)
def test_normalise_bool_false(raw: object) -> None:
    assert normalise_bool(raw) == ok("false")


@pytest.mark.parametrize("raw", ["maybe", "2", 2, "yes please", "truee"])
def test_normalise_bool_invalid(raw: object) -> None:
    assert normalise_bool(raw) == rejected("invalid_bool")


def test_normalise_bool_blank() -> None:
    assert normalise_bool("") == EMPTY


# --- Properties -------------------------------------------------------------------------------

# Cheaper to draw than st.emails(), and it also makes near misses: dots and hyphens at the ends,
# special-use and Punycode domains, numeric top-level domains.
email_like = st.builds(
    "{}@{}.{}".format,
    st.text(alphabet="abcXYZ019._+-'%", min_size=1, max_size=16),
    st.lists(st.text(alphabet="abz09-", min_size=1, max_size=8), min_size=1, max_size=3).map(
        ".".join
    ),
    st.sampled_from(["com", "au", "co.nz", "io", "xn--p1ai", "xn--zz", "test", "local", "123"]),
)
names_text = st.text(
    alphabet=st.one_of(
        st.characters(categories=["L", "M"]), st.sampled_from(" '-.’"), st.sampled_from("aBcD")
    ),
    max_size=30,
)
address_text = st.lists(
    st.one_of(
        st.sampled_from(
            ["12", "3/12", "12a", "21st", "Unit", "St", "st.", "Street", "ROAD", "ave", "Hwy"]
            + ["smith", "O'CONNELL", "mcdonald", "po", "box", ",", "vic", "nsw", "Parade"]
        ),
        st.text(min_size=1, max_size=8),
    ),
    max_size=8,
).map(" ".join)
postcode_text = st.text(alphabet="0123456789ABCKSWXY -abk", max_size=10)
countries = st.sampled_from(["AU", "NZ", "US", "GB", "CA", "DE", "FR", "NL", "JP", ""])
utc_offsets = st.integers(min_value=-14 * 60, max_value=14 * 60).map(
    lambda minutes: timezone(timedelta(minutes=minutes))
)
any_value = st.one_of(
    st.none(), st.text(), st.integers(), st.floats(), st.booleans(), st.dates(), st.datetimes()
)


def assert_idempotent(normalise: Callable[[object], Normalised], raw: object) -> None:
    first = normalise(raw)
    # A normalised value that spells a blank marker ("Na", the code "NA") reads as blank.
    assume(first.value is None or not is_blank(first.value))
    if first.ok:
        assert normalise(first.value) == first


@PROPERTY
@given(st.one_of(email_like, st.text(max_size=40)))
def test_email_is_idempotent(raw: str) -> None:
    assert_idempotent(normalise_email, raw)


@PROPERTY
@given(
    st.text(alphabet="ab.+_XY", max_size=12),
    st.sampled_from(["gmail.com", "googlemail.com", "example.com", ""]),
)
def test_canonical_email_is_idempotent(local: str, domain: str) -> None:
    email = f"{local}@{domain}" if domain else local
    assert canonical_email(canonical_email(email)) == canonical_email(email)


@PROPERTY
@given(email_like, st.lists(st.booleans(), min_size=1), st.sampled_from(["", " ", "\t", "  "]))
def test_email_case_and_whitespace_variants_agree(email: str, upper: list[bool], pad: str) -> None:
    variant = "".join(
        ch.upper() if upper[i % len(upper)] else ch.lower() for i, ch in enumerate(email)
    )
    assert normalise_email(f"{pad}{variant}{pad}") == normalise_email(email.lower())


@PROPERTY
@given(st.one_of(email_like, st.emails()))
def test_email_agrees_with_email_validator(email: str) -> None:
    # The fast path must accept exactly what email-validator accepts.
    lowered = email.lower()
    try:
        expected = ok(
            validate_email(
                lowered, check_deliverability=False, allow_smtputf8=True
            ).normalized.lower()
        )
    except EmailNotValidError:
        expected = rejected("invalid_email_syntax")
    assert normalise_email(email) == expected


@SLOW_PROPERTY
@given(
    st.one_of(
        st.from_regex(r"\A\+?[0-9 ()\-]{6,16}\Z"),
        st.integers(min_value=0, max_value=10**12).map(lambda n: f"04{n:08d}"[:10]),
        st.text(max_size=20),
    ),
    st.sampled_from(["AU", "NZ", "US", "GB"]),
)
def test_phone_is_idempotent(raw: str, region: str) -> None:
    first = normalise_phone(raw, region)
    if first.ok:
        assert normalise_phone(first.value, region) == first
        # E.164 carries its country, so the region no longer matters.
        assert normalise_phone(first.value, "US") == first


@SLOW_PROPERTY
@given(
    # Allocated mobile blocks; not every 04xx block is a valid number.
    st.sampled_from(["400", "412", "423", "438", "460", "488", "490"]),
    st.integers(min_value=0, max_value=999_999),
)
def test_au_mobile_formats_agree(block: str, subscriber: int) -> None:
    digits = f"{block}{subscriber:06d}"
    expected = normalise_phone("0" + digits)
    formats = [
        f"0{digits[:3]} {digits[3:6]} {digits[6:]}",
        f"(0{digits[:3]}) {digits[3:6]} {digits[6:]}",
        f"+61 {digits[:3]} {digits[3:6]} {digits[6:]}",
        f"+61{digits}",
        f"61{digits}",
        f"0061 {digits}",
        f"0{digits[:3]}-{digits[3:6]}-{digits[6:]}",
        digits,
        int(digits),
    ]
    assert expected.ok
    assert expected.value == f"+61{digits}"
    for raw in formats:
        assert normalise_phone(raw) == expected, raw


@PROPERTY
@given(st.one_of(names_text, st.text(max_size=30)))
def test_name_is_idempotent(raw: str) -> None:
    assert_idempotent(normalise_name, raw)


@PROPERTY
@given(st.one_of(names_text, st.text(max_size=30)))
def test_fold_name_is_idempotent(raw: str) -> None:
    assert fold_name(fold_name(raw)) == fold_name(raw)


@PROPERTY
@given(st.text(alphabet="abcdefzéèüöåøæñÀÉÖ '-.", max_size=30))
def test_fold_name_ignores_case_and_accents(raw: str) -> None:
    assert fold_name(raw.upper()) == fold_name(raw)
    assert fold_name(raw) == fold_name(fold_name(raw))
    assert fold_name(raw).isascii()


@PROPERTY
@given(st.one_of(address_text, st.text(max_size=40)))
def test_address_is_idempotent(raw: str) -> None:
    assert_idempotent(normalise_address, raw)


@PROPERTY
@given(st.one_of(postcode_text, st.text(max_size=12), st.integers()), countries)
def test_postcode_is_idempotent(raw: object, country: str) -> None:
    first = normalise_postcode(raw, country)
    if first.ok:
        assert normalise_postcode(first.value, country) == first


@PROPERTY
@given(
    st.one_of(
        st.sampled_from(["Australia", "UK", "usa", "U.S.A.", "Deutschland", "nzl", "Namibia"]),
        st.text(max_size=20),
    )
)
def test_country_is_idempotent(raw: str) -> None:
    assert_idempotent(normalise_country, raw)


def _date_formats(day: date) -> list[str]:
    months = ["January", "February", "March", "April", "May", "June", "July", "August"]
    months += ["September", "October", "November", "December"]
    month = months[day.month - 1]
    return [
        day.isoformat(),
        f"{day.day:02d}/{day.month:02d}/{day.year}",
        f"{day.day}/{day.month}/{day.year}",
        f"{day.day:02d}-{day.month:02d}-{day.year}",
        f"{day.year}{day.month:02d}{day.day:02d}",
        f"{month} {day.day}, {day.year}",
        f"{day.day} {month[:3]} {day.year}",
        f"{day.isoformat()}T12:34:56+10:00",
    ]


@PROPERTY
@given(st.dates(min_value=date(1900, 1, 1), max_value=TODAY))
def test_date_formats_round_trip(day: date) -> None:
    for raw in _date_formats(day):
        assert normalise_date(raw) == ok(day.isoformat()), raw
    assert normalise_date(f"{day.month}/{day.day}/{day.year}", dayfirst=False) == ok(
        day.isoformat()
    )


@PROPERTY
@given(st.one_of(st.dates(), st.text(max_size=30), st.integers()))
def test_date_is_idempotent(raw: object) -> None:
    assert_idempotent(normalise_date, raw)


@PROPERTY
@given(
    st.datetimes(min_value=datetime(1900, 1, 2), max_value=datetime(2200, 1, 1)),
    utc_offsets,
)
def test_timestamp_formats_round_trip(moment: datetime, zone: timezone) -> None:
    aware = moment.replace(tzinfo=zone, microsecond=0)
    expected = ok(aware.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
    assert normalise_timestamp(aware.isoformat()) == expected
    assert normalise_timestamp(aware) == expected
    assert normalise_timestamp(aware.strftime("%Y-%m-%d %H:%M:%S%z")) == expected
    epoch = int(aware.timestamp())
    if abs(epoch) >= 10**8:
        assert normalise_timestamp(epoch) == expected
        assert normalise_timestamp(str(epoch * 1000)) == expected


@PROPERTY
@given(st.one_of(st.datetimes(), st.text(max_size=30), st.integers(), st.floats()))
def test_timestamp_is_idempotent(raw: object) -> None:
    assert_idempotent(normalise_timestamp, raw)


def assert_never_raises(raw: object, region: str) -> None:
    for normalise in (
        normalise_email,
        normalise_name,
        normalise_address,
        normalise_date,
        normalise_timestamp,
        normalise_country,
        normalise_bool,
    ):
        result = normalise(raw)
        assert isinstance(result, Normalised)
        assert result.value is None or result.reason is None
    assert isinstance(normalise_phone(raw, region), Normalised)
    assert isinstance(normalise_postcode(raw, region), Normalised)
    assert isinstance(normalise_date(raw, dayfirst=False), Normalised)
    assert isinstance(is_blank(raw), bool)
    if isinstance(raw, str):
        assert isinstance(fold_name(raw), str)
        assert isinstance(canonical_email(raw), str)


@PROPERTY
@given(any_value, st.one_of(countries, st.text(max_size=5)))
def test_nothing_raises(raw: object, region: str) -> None:
    assert_never_raises(raw, region)


@pytest.mark.parametrize(
    "raw",
    # An int too long for str(), infinities, and types no reader should produce.
    [10**5000, -(10**5000), float("inf"), -0.0, b"bytes", object(), [1], {"a": 1}],
    ids=[
        "huge-int",
        "huge-negative-int",
        "inf",
        "negative-zero",
        "bytes",
        "object",
        "list",
        "dict",
    ],
)
def test_odd_types_do_not_raise(raw: object) -> None:
    assert_never_raises(raw, "AU")


@pytest.mark.parametrize(
    ("raw", "region", "expected"),
    [
        ("0150 123 456", "AU", "+61150123456"),
        ("61150123456", "AU", "+61150123456"),
        ("07700 900123", "GB", "+447700900123"),
        ("01632 960000", "GB", "+441632960000"),
    ],
)
def test_normalise_phone_keeps_possible_numbers_in_unallocated_ranges(
    raw: str, region: str, expected: str
) -> None:
    # The right length for the region, in a range the library does not know as in use:
    # kept (it identifies whoever gave it) and flagged.
    assert normalise_phone(raw, region) == Normalised(expected, UNALLOCATED_PHONE)


@pytest.mark.parametrize(
    ("raw", "region"),
    [("0412 345 67", "AU"), ("555 0100", "US"), ("1111111111", "AU")],
)
def test_normalise_phone_refuses_local_only_and_runs_of_one_digit(raw: str, region: str) -> None:
    assert normalise_phone(raw, region) == rejected("invalid_phone")


def test_a_number_whose_e164_reads_back_as_another_is_refused() -> None:
    # "+49000010": a German national number with leading zeros. Its E.164 ("+4900010")
    # reads back as another number, which is impossible: keeping the first would store a
    # value that does not normalise to itself (found by test_phone_is_idempotent).
    assert normalise_phone("+49000010", "AU") == rejected("invalid_phone")
    assert normalise_phone("+4900010", "AU") == rejected("invalid_phone")


@pytest.mark.parametrize(
    ("number", "landline"),
    [
        ("+61295550172", True),  # Sydney
        ("+61733387766", True),  # Brisbane
        ("+61412345678", False),  # a mobile
        ("+12125551234", False),  # the US: landlines and mobiles share ranges
        ("not a number", False),
    ],
)
def test_a_landline_is_told_by_its_range(number: str, landline: bool) -> None:
    assert is_fixed_line(number) is landline
