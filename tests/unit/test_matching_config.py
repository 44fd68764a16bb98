"""Tests for `matching.config`: the packaged defaults and how a user's YAML is laid over them."""

from __future__ import annotations

from pathlib import Path

import pytest

from matching.config import (
    IdentityConfig,
    default_config,
    load_config,
    merge_config,
)
from matching.errors import ConfigError, InvalidBlockRule, InvalidIdentifierType, MatchingError

pytestmark = pytest.mark.unit


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "identity.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_load_and_name_the_usual_identifiers() -> None:
    config = load_config()
    assert isinstance(config, IdentityConfig)
    assert config is default_config()
    types = config.identifier_types
    assert {"email", "phone", "loyalty_id", "pos_customer_id", "shopify_customer_id"} <= set(types)
    assert types["loyalty_id"].max_per_profile == 1
    assert types["email"].max_per_profile == 4
    assert types["phone"].max_per_profile == 3
    assert types["pos_customer_id"].max_per_profile_per_source == 1
    assert types["shopify_customer_id"].max_per_profile_per_source == 1
    assert types["ip_address"].link is False
    assert types["cookie"].link and types["cookie"].priority > types["email"].priority
    # Stronger identifiers come first.
    assert types["loyalty_id"].priority < types["email"].priority < types["phone"].priority


def test_generic_thresholds_have_per_type_overrides() -> None:
    config = default_config()
    assert config.generic_for("email").max_records == config.generic.max_records
    assert config.generic_for("device_id").max_records == 20
    assert config.generic_for("device_id").min_records == config.generic.min_records
    assert config.generic_for("not_configured").max_records == config.generic.max_records


def test_user_file_overrides_settings_and_extends_blocked_values(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
identifier_types:
  phone: {max_per_profile: 2}
  member_number: {priority: 15, max_per_profile: 1}
blocked:
  email:
    values: ["staff@shop.com"]
    regex: ['@shop\\.com$']
generic:
  min_records: 7
""",
    )
    config = load_config(path)
    defaults = default_config()
    assert config.identifier_types["phone"].max_per_profile == 2
    assert config.identifier_types["phone"].priority == defaults.identifier_types["phone"].priority
    assert config.identifier_types["member_number"].priority == 15
    assert config.generic.min_records == 7
    assert config.generic.max_records == defaults.generic.max_records
    email = config.blocked["email"]
    assert "staff@shop.com" in email.values
    assert set(defaults.blocked["email"].values) <= set(email.values)
    assert email.regex[-1] == r"@shop\.com$"


def test_null_removes_a_limit_or_a_type(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
identifier_types:
  email: {max_per_profile: null}
  ip_address: null
blocked:
  ip_address: null
""",
    )
    config = load_config(path)
    assert config.identifier_types["email"].max_per_profile is None
    assert "ip_address" not in config.identifier_types


def test_removing_a_type_removes_the_default_rules_naming_it() -> None:
    config = merge_config({"identifier_types": {"phone": None, "device_id": None}})
    assert "phone" not in config.identifier_types and "phone" not in config.blocked
    assert "device_id" not in config.generic.by_type


def test_replace_drops_the_default_rules_of_a_scope() -> None:
    config = merge_config({"blocked": {"phone": {"replace": True, "values": ["+61491570006"]}}})
    assert config.blocked["phone"].values == ("+61491570006",)
    assert config.blocked["phone"].regex == ()
    assert config.blocked["email"] == default_config().blocked["email"]


def test_empty_user_file_gives_the_defaults(tmp_path: Path) -> None:
    assert load_config(write(tmp_path, "")) == default_config()


@pytest.mark.parametrize(
    ("text", "error", "fragment"),
    [
        ("identifier_types: [1, 2", ConfigError, "not valid YAML"),
        ("- a\n- b\n", ConfigError, "top level must be a mapping"),
        ("identifier_types: {phone: {max_per_profile: 0}}", ConfigError, "max_per_profile"),
        ("identifier_types: {phone: {priorty: 3}}", ConfigError, "priorty"),
        ("identifier_types: {'Bad:Type': {}}", InvalidIdentifierType, "Bad:Type"),
        ("blocked: {email: {regex: ['(unclosed']}}", InvalidBlockRule, "(unclosed"),
        ("blocked: {emial: {values: [x]}}", ConfigError, "blocked.emial"),
        ("generic: {by_type: {nope: {max_records: 3}}}", ConfigError, "generic.by_type.nope"),
        ("blocked: {email: [x]}", ConfigError, "blocked.email"),
    ],
)
def test_invalid_files_raise_config_error_naming_the_file(
    tmp_path: Path, text: str, error: type[ConfigError], fragment: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(error) as caught:
        load_config(path)
    assert isinstance(caught.value, MatchingError)
    assert caught.value.path == str(path)
    assert fragment in caught.value.reason


def test_missing_file_raises_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot be read"):
        load_config(tmp_path / "absent.yaml")
