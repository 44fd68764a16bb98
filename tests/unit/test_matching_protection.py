"""Tests for `matching.protection`: blocked values and generic identifiers."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from matching.config import default_config, merge_config
from matching.protection import BLANK, IdentifierStats, Protection, split_key

pytestmark = pytest.mark.unit

PROTECTION = Protection.from_config(default_config())


@pytest.mark.parametrize(
    ("id_type", "value", "reason"),
    [
        ("email", "test@test.com", "blocked_value:test@test.com"),
        ("email", "Test@Example.COM", "blocked_value:test@example.com"),
        ("email", "email@email.com", "blocked_value:email@email.com"),
        ("email", "na@na.com", "blocked_value:na@na.com"),
        ("loyalty_id", "N/A", "blocked_value:n/a"),
        ("loyalty_id", "unknown", "blocked_value:unknown"),
        ("cookie", "undefined", "blocked_value:undefined"),
        ("phone", "+610000000000", "blocked_value:+610000000000"),
        ("phone", "0000000000", "blocked_value:0000000000"),
        ("phone", "1111111111", "blocked_value:1111111111"),
    ],
)
def test_blocked_exact_values(id_type: str, value: str, reason: str) -> None:
    assert PROTECTION.is_blocked(id_type, value) == reason


@pytest.mark.parametrize(
    ("id_type", "value", "reason"),
    [
        # A store whose POS fills a default address when the clerk skips the field.
        ("email", "noemail@chatswood.example.com", "blocked_value:noemail@*"),
        ("email", "NoEmail@anystore.com.au", "blocked_value:noemail@*"),
        ("email", "no-email@shop.com", "blocked_value:no-email@*"),
        ("email", "none@none.com", "blocked_value:none@*"),
        ("email", "donotreply@brand.com", "blocked_value:donotreply@*"),
    ],
)
def test_blocked_wildcard_values(id_type: str, value: str, reason: str) -> None:
    assert PROTECTION.is_blocked(id_type, value) == reason


@pytest.mark.parametrize(
    ("id_type", "value", "rule"),
    [
        ("email", "test@gmail.com", "^(test|"),
        ("email", "test+47@shop.com.au", "^(test|"),
        ("email", "qa+12@harbourandvine.com.au", "^(test|"),
        ("email", "asdf@asdf.com", "^(test|"),
        ("email", "a@a.com", r"^([^@+.]+)@\1"),
        ("email", "jane@corp.example.org", "example"),
        ("phone", "+61400000000", "0{8}|"),
        ("phone", "+61411111111", "1{8}|"),
        ("phone", "+61412345678", "12345678"),
        ("pos_customer_id", "00000", r"^(.)\1{4,}$"),
        ("cookie", "00000000-0000-0000-0000-000000000000", "0{8}"),
    ],
)
def test_blocked_regexes(id_type: str, value: str, rule: str) -> None:
    reason = PROTECTION.is_blocked(id_type, value)
    assert reason is not None
    assert reason.startswith("blocked_regex:")
    assert rule in reason


@pytest.mark.parametrize(
    ("id_type", "value"),
    [
        ("email", "sarah@x.com"),
        ("email", "sarah.test@gmail.com"),
        ("email", "contest@shop.com"),
        ("email", "jane@bigpond.net.au"),
        ("phone", "+61491570156"),
        ("phone", "+64211234560"),
        ("loyalty_id", "LY847291"),
        ("pos_customer_id", "1111"),
        ("cookie", "3f2a9c1e-7b4d-4e1a-9f0c-2d6b8e5a1c44"),
    ],
)
def test_real_values_are_not_blocked(id_type: str, value: str) -> None:
    assert PROTECTION.is_blocked(id_type, value) is None


@pytest.mark.parametrize("value", ["", "   ", "-", "--", ".", " / ", "\t"])
def test_never_link_on_blank(value: str) -> None:
    assert PROTECTION.is_blocked("email", value) == BLANK
    assert PROTECTION.is_blocked("some_new_type", value) == BLANK


def test_blank_cannot_be_configured_away() -> None:
    config = merge_config({"blocked": {"*": {"replace": True, "values": []}}})
    assert Protection.from_config(config).is_blocked("email", "  ") == BLANK


def test_all_types_rules_apply_to_unconfigured_types() -> None:
    assert PROTECTION.is_blocked("crm_id", "null") == "blocked_value:null"
    assert PROTECTION.is_blocked("crm_id", "test@test.com") is None


def test_user_rules_extend_the_defaults() -> None:
    config = merge_config(
        {
            "blocked": {
                "email": {"values": ["orders@*"], "regex": [r"@harbourandvine\.com\.au$"]},
                "*": {"values": ["TBA-0"]},
            }
        }
    )
    protection = Protection.from_config(config)
    assert protection.is_blocked("email", "orders@shop.com") == "blocked_value:orders@*"
    assert protection.is_blocked("email", "jo@harbourandvine.com.au") == (
        r"blocked_regex:@harbourandvine\.com\.au$"
    )
    assert protection.is_blocked("loyalty_id", "tba-0") == "blocked_value:TBA-0"
    assert protection.is_blocked("email", "test@test.com") is not None


@pytest.mark.parametrize(
    ("regex", "value", "blocked"),
    [
        (r"^abc|xyz$", "zzxyz", True),  # a top-level | means the pattern is not anchored
        (r"^abc|xyz$", "abczz", True),
        (r"^(abc|xyz)$", "zzxyz", False),
        (r"^[|]x", "|x1", True),
        (r"^[|]x", "a|x", False),
        (r"^\|x", "a|x", False),
        (r"(ab)\1$", "zabab", True),  # a group reference, tried on its own
    ],
)
def test_user_regexes_keep_their_meaning(regex: str, value: str, blocked: bool) -> None:
    config = merge_config({"blocked": {"loyalty_id": {"regex": [regex]}}})
    reason = Protection.from_config(config).is_blocked("loyalty_id", value)
    assert (reason == f"blocked_regex:{regex}") is blocked


def test_blocked_keys_checks_in_bulk() -> None:
    keys = ["email:noemail@x.com", "email:jo@x.com", "phone:", "nocolon", "crm:null"]
    assert PROTECTION.blocked_keys(keys) == {
        "email:noemail@x.com": "blocked_value:noemail@*",
        "phone:": BLANK,
        "crm:null": "blocked_value:null",
    }


def test_is_blocked_key_splits_the_key() -> None:
    assert PROTECTION.is_blocked_key("email:noemail@x.com") == "blocked_value:noemail@*"
    assert PROTECTION.is_blocked_key("phone:+61491570156") is None
    assert split_key("email:a:b@x.com") == ("email", "a:b@x.com")
    assert split_key("nocolon") == ("", "nocolon")


@given(st.text(alphabet=" \t-_./,;:!?()[]{}'\"", max_size=12))
def test_values_without_letters_or_digits_are_blank(value: str) -> None:
    assert PROTECTION.is_blocked("phone", value) == BLANK


# ---------------------------------------------------------------------------------------------
# Generic identifiers


def stats(key: str = "email:shared@x.com", **counts: int) -> IdentifierStats:
    id_type = key.partition(":")[0]
    return IdentifierStats(key=key, type=id_type, **counts)


def test_store_default_email_with_many_people_is_generic() -> None:
    found = PROTECTION.detect_generic(
        [stats(records=40, given_names=31, family_names=35, postcodes=12, dobs=20)]
    )
    assert found == {"email:shared@x.com": "generic:given_names=31>=8"}


def test_household_sharing_a_phone_is_not_generic() -> None:
    # Two partners and two children, a few name variants typed by clerks, one address.
    household = stats(
        "phone:+61491570001", records=14, given_names=6, family_names=2, postcodes=1, dobs=4
    )
    couple = stats("phone:+61491570002", records=6, given_names=2, family_names=1, dobs=2)
    assert PROTECTION.detect_generic([household, couple]) == {}


def test_one_person_on_many_records_with_typos_is_not_generic() -> None:
    # A loyalty card on 120 till receipts: name variants stay far below the share threshold.
    regular = stats("loyalty_id:LY1", records=120, given_names=9, family_names=6, postcodes=2)
    assert PROTECTION.detect_generic([regular]) == {}


def test_few_records_are_never_generic_by_disagreement() -> None:
    assert PROTECTION.detect_generic([stats(records=4, given_names=4, family_names=4)]) == {}


def test_many_records_are_generic_whatever_they_say() -> None:
    found = PROTECTION.detect_generic([stats(records=200)])
    assert found == {"email:shared@x.com": "generic:records=200>=200"}


def test_per_type_thresholds() -> None:
    device = stats("device_id:dev_1", records=25)
    email = stats("email:a@x.com", records=25)
    assert PROTECTION.detect_generic([device, email]) == {
        "device_id:dev_1": "generic:records=25>=20"
    }


@pytest.mark.parametrize(
    ("entry", "reason"),
    [
        (stats(records=10, family_names=6), "generic:family_names=6>=5"),
        (stats(records=10, postcodes=7), "generic:postcodes=7>=6"),
        (stats(records=10, dobs=9), "generic:dobs=9>=6"),
    ],
)
def test_each_disagreement_counts(entry: IdentifierStats, reason: str) -> None:
    assert PROTECTION.detect_generic([entry]) == {"email:shared@x.com": reason}
