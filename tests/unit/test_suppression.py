"""Keyed suppression hashes, the settings that hold their secrets, the search of raw rows
for erased identifiers, and the masking of personal source keys."""

from __future__ import annotations

import hashlib

import pytest
from pydantic import SecretStr, ValidationError

from api.graphql.masking import RecordKeyMask, source_key_kind
from core.settings import DEV_SUPPRESSION_KEY, Settings
from ingest.mapping import builtin_key_identifier_types, builtin_mapping
from ingest.suppression import (
    SuppressionHasher,
    legacy_hash,
    parse_raw,
    record_suppression_key,
    row_keys,
)

KEY = b"k" * 40


def test_a_keyed_hash_is_not_the_plain_sha256() -> None:
    h = SuppressionHasher([KEY])
    written = h.written("phone:+61412345678")
    assert written != hashlib.sha256(b"phone:+61412345678").hexdigest()
    assert written != SuppressionHasher([b"x" * 40]).written("phone:+61412345678")
    assert written in h.candidates("phone:+61412345678")


def test_rotation_checks_every_key_and_writes_with_the_first() -> None:
    old, new = SuppressionHasher([KEY]), SuppressionHasher([b"n" * 40, KEY])
    assert old.written("email:a@b.com") in new.candidates("email:a@b.com")
    assert new.written("email:a@b.com") != old.written("email:a@b.com")
    assert new.any_suppressed(["email:a@b.com"], {old.written("email:a@b.com")})
    assert not new.any_suppressed(["email:c@b.com"], {old.written("email:a@b.com")})


def test_a_legacy_entry_migrates_to_what_the_keyed_scheme_writes() -> None:
    h = SuppressionHasher([KEY])
    assert h.migrated(legacy_hash("record:crm:1")) == h.written(record_suppression_key("crm:1"))
    # Until migrated, a legacy entry still keeps the person out.
    assert h.any_suppressed(["record:crm:1"], {legacy_hash("record:crm:1")})


def test_a_hasher_needs_a_secret() -> None:
    with pytest.raises(ValueError):
        SuppressionHasher([])
    with pytest.raises(ValueError):
        SuppressionHasher([b""])


def _production(*keys: str) -> Settings:
    return Settings(
        _env_file=None,
        environment="production",
        neo4j_password=SecretStr("a-real-password-1234"),
        suppression_hmac_keys=[SecretStr(k) for k in keys],
    )


def test_settings_refuse_placeholder_or_short_keys_in_production() -> None:
    for bad in (DEV_SUPPRESSION_KEY, "changeme", "short-key"):
        with pytest.raises(ValidationError, match="SUPPRESSION_HMAC_KEYS"):
            _production(bad)
    good = _production("n" * 40, "o" * 40)
    assert [k.get_secret_value() for k in good.suppression_hmac_keys] == ["n" * 40, "o" * 40]
    with pytest.raises(ValidationError):
        _production()
    # Development keeps working out of the box.
    assert Settings(_env_file=None).suppression_hmac_keys[0].get_secret_value()


def test_settings_read_keys_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SUPPRESSION_HMAC_KEYS", '["' + "a" * 40 + '", "' + "b" * 40 + '"]')
    s = Settings(_env_file=None)
    assert [k.get_secret_value() for k in s.suppression_hmac_keys] == ["a" * 40, "b" * 40]
    assert "a" * 40 not in repr(s)


def test_row_keys_find_identifiers_however_they_were_typed() -> None:
    raw = parse_raw(
        '{"member": " ZQ-1 ", "contact": {"email": "Ann.Lee@Example.org"}, '
        '"phone": "0412 345 678", "n": 3}'
    )
    keys = row_keys(raw, "loyalty", ["email", "phone", "loyalty_id"])
    assert {"email:ann.lee@example.org", "phone:+61412345678", "loyalty_id:ZQ-1"} <= keys
    assert "record:loyalty:ZQ-1" in keys
    # A reader's unparsed line is cut at separators.
    line = row_keys({"line": 'x,"ann.lee@example.org",0412345678'}, "crm", ["email", "phone"])
    assert {"email:ann.lee@example.org", "phone:+61412345678"} <= line
    assert parse_raw("not json") == "not json"


def test_key_identifier_types_come_from_the_mapping() -> None:
    assert builtin_mapping("loyalty").key_identifier_types() == ["loyalty_id"]
    assert builtin_mapping("segment").key_identifier_types() == ["cookie", "user_id"]
    assert builtin_key_identifier_types()["loyalty"] == ["loyalty_id"]


def test_source_key_kind_per_identifier_type() -> None:
    assert source_key_kind("Ann.Lee@example.org", []) == "email"
    assert source_key_kind("+61412345678", []) == "phone"
    assert source_key_kind("0412 345 678", ["user_id"]) == "phone"
    assert source_key_kind("L-100", ["loyalty_id"]) == "loyalty_id"
    assert source_key_kind("L-100", ["user_id", "cookie"]) is None
    assert source_key_kind("10000234", []) is None  # a POS number, not a phone
    assert source_key_kind("anon-1", []) is None


def test_record_key_mask_hides_personal_keys_and_keeps_ids_apart() -> None:
    mask = RecordKeyMask({"loyalty": ["loyalty_id"]}, KEY)
    a = mask.rid("segment:ann.lee@example.org")
    b = mask.rid("segment:ann.lane@example.org")
    assert a.startswith("segment:a***@example.org~") and a != b
    assert "ann.lee" not in a
    assert mask.rid("loyalty:LX-99817263").startswith("loyalty:LX***63~")
    assert (
        mask.source_id("loyalty", "LX-99817263") == mask.rid("loyalty:LX-99817263").split(":", 1)[1]
    )
    assert mask.rid("esp:k-123") == "esp:k-123"
    assert mask.rid("no-colon") == "no-colon"
