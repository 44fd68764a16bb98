"""Stored destination configurations: no secrets in the graph, secrets from settings."""

from __future__ import annotations

from pathlib import Path
from typing import Any, get_args

import pytest
from pydantic import BaseModel, SecretStr

from activate.destinations.base import Destination
from activate.destinations.file import FileDestination
from activate.destinations.meta import MetaDestination
from activate.destinations.webhook import WebhookDestination
from activate.errors import InvalidDestinationConfig, MissingSecret
from activate.settings import ActivationSettings
from activate.sync.registry import (
    VENDORS,
    DestinationSpec,
    EngineOptions,
    Kind,
    build_destination,
    parse_spec,
    required_consent,
)

pytestmark = pytest.mark.unit

SECRET = "whsec_dmVyeS1zZWNyZXQtdmFsdWUtb2YtMzItYnl0ZXMhIQ=="
TOKEN = "EAAG-system-user-token"
APP_SECRET = "app-secret-0123456789abcdef"


def settings(tmp_path: Path) -> ActivationSettings:
    secrets = {
        "hook": SecretStr(SECRET),
        "meta": SecretStr(TOKEN),
        "meta_app": SecretStr(APP_SECRET),
        "short": SecretStr("whsec_c2hvcnQ="),
    }
    return ActivationSettings(file_root=tmp_path, secrets=secrets)


def test_each_kind_has_one_row_that_loads() -> None:
    assert set(VENDORS) == set(get_args(Kind))
    for vendor in VENDORS.values():
        config, client = vendor.load()
        assert issubclass(config, BaseModel)
        assert isinstance(client, type) and issubclass(client, Destination)


def test_secrets_are_named_never_stored() -> None:
    spec = parse_spec("h", "webhook", {"url": "https://x.test/h", "secret_ref": "hook"})
    assert spec.public_config() == {"url": "https://x.test/h", "secret_ref": "hook"}
    for key in ("secret", "api_key", "access_token", "client_secret"):
        with pytest.raises(InvalidDestinationConfig, match="looks like a secret"):
            parse_spec("h", "webhook", {"url": "https://x.test/h", key: SECRET})
    with pytest.raises(InvalidDestinationConfig, match="needs secret_ref"):
        parse_spec("k", "klaviyo", {})


@pytest.mark.parametrize(
    ("kind", "config", "problem"),
    [
        ("ftp", {}, "unknown kind"),
        ("file", {"format": "xlsx"}, "format"),
        ("file", {"colour": "red"}, "unknown field"),
        ("file", {"attributes": ["email"]}, "attributes"),
        ("file", {"require_consent": ["fax"]}, "require_consent"),
        ("webhook", {"secret_ref": "a b"}, "secret_ref"),
        ("webhook", "not json", "not JSON"),
    ],
)
def test_invalid_configs(kind: str, config: Any, problem: str) -> None:
    with pytest.raises(InvalidDestinationConfig, match=problem):
        parse_spec("d", kind, config)


def test_build_reads_the_secret_from_settings(tmp_path: Path) -> None:
    spec = parse_spec("h", "webhook", {"url": "https://x.test/h", "secret_ref": "HOOK"})
    destination = build_destination(spec, settings(tmp_path))
    assert isinstance(destination, WebhookDestination)
    assert destination.config.secret.get_secret_value() == SECRET
    missing = parse_spec("h", "webhook", {"url": "https://x.test/h", "secret_ref": "other"})
    with pytest.raises(MissingSecret) as err:
        build_destination(missing, settings(tmp_path))
    assert "CDP_DEST_SECRETS__OTHER" in str(err.value) and SECRET not in str(err.value)


def test_a_webhook_secret_below_the_minimum_is_a_config_error(tmp_path: Path) -> None:
    spec = parse_spec("h", "webhook", {"url": "https://x.test/h", "secret_ref": "short"})
    with pytest.raises(InvalidDestinationConfig, match="5 bytes") as err:
        build_destination(spec, settings(tmp_path))
    assert "c2hvcnQ" not in str(err.value)


def test_meta_app_secret_is_named_by_a_second_ref(tmp_path: Path) -> None:
    config = {"secret_ref": "meta", "app_secret_ref": "META_APP"}
    spec = parse_spec("m", "meta", config)
    assert spec.public_config() == config
    destination = build_destination(spec, settings(tmp_path))
    assert isinstance(destination, MetaDestination)
    assert destination.config.app_secret is not None
    assert destination.config.app_secret.get_secret_value() == APP_SECRET
    plain = build_destination(parse_spec("m", "meta", {"secret_ref": "meta"}), settings(tmp_path))
    assert isinstance(plain, MetaDestination) and plain.config.app_secret is None
    with pytest.raises(InvalidDestinationConfig, match="looks like a secret"):
        parse_spec("m", "meta", {"secret_ref": "meta", "app_secret": APP_SECRET})
    with pytest.raises(InvalidDestinationConfig, match="names a secret"):
        parse_spec("m", "meta", {"secret_ref": "meta", "app_secret_ref": "not a name"})
    absent = parse_spec("m", "meta", {"secret_ref": "meta", "app_secret_ref": "absent"})
    with pytest.raises(MissingSecret, match="CDP_DEST_SECRETS__ABSENT"):
        build_destination(absent, settings(tmp_path))


def test_file_directories_stay_inside_the_root(tmp_path: Path) -> None:
    spec = parse_spec("f", "file", {"directory": "exports", "attributes": ["clv_12m"]})
    destination = build_destination(spec, settings(tmp_path))
    assert isinstance(destination, FileDestination)
    assert destination.config.directory == tmp_path / "exports"
    assert destination.columns[-1] == "clv_12m"
    # Refused at creation, before anything is stored...
    for escape in ("../elsewhere", "/etc", "a/../../b", "..", "C:\\temp", "a\\..\\..\\b"):
        with pytest.raises(InvalidDestinationConfig, match="inside the file root"):
            parse_spec("f", "file", {"directory": escape})
    # ...and a stored one that escapes (written before this check) is refused when built.
    stored = DestinationSpec("f", "file", "f", EngineOptions(), {"directory": "../elsewhere"})
    with pytest.raises(InvalidDestinationConfig, match="inside the file root"):
        build_destination(stored, settings(tmp_path))
    assert parse_spec("f", "file", {"directory": "exports/daily"}).vendor["directory"]


def test_required_consent_by_channel(tmp_path: Path) -> None:
    s = settings(tmp_path)
    file_spec = parse_spec("f", "file", {})
    assert required_consent(file_spec, build_destination(file_spec, s)) == ()
    sms_file = parse_spec("f", "file", {"require_consent": ["sms"]})
    assert required_consent(sms_file, build_destination(sms_file, s)) == ("sms",)
    braze = parse_spec(
        "b",
        "braze",
        {"base_url": "https://rest.test", "channel": "sms", "secret_ref": "hook"},
    )
    # configuration adds consents, it cannot drop the channel's own
    braze_extra = parse_spec(
        "b",
        "braze",
        {
            "base_url": "https://rest.test",
            "channel": "sms",
            "secret_ref": "hook",
            "require_consent": ["email"],
        },
    )
    assert required_consent(braze, build_destination(braze, s)) == ("sms",)
    assert required_consent(braze_extra, build_destination(braze_extra, s)) == ("sms", "email")
    meta = parse_spec("m", "meta", {"secret_ref": "hook"})
    assert required_consent(meta, build_destination(meta, s)) == ("email",)
    attentive = parse_spec("a", "attentive", {"sign_up_source_id": "123", "secret_ref": "hook"})
    assert required_consent(attentive, build_destination(attentive, s)) == ("sms",)


def test_attentive_takes_its_key_by_secret_ref_and_one_way_to_subscribe() -> None:
    with pytest.raises(InvalidDestinationConfig, match="needs secret_ref"):
        parse_spec("a", "attentive", {"sign_up_source_id": "123"})
    with pytest.raises(InvalidDestinationConfig, match="looks like a secret"):
        parse_spec("a", "attentive", {"sign_up_source_id": "123", "api_key": "k" * 20})
    with pytest.raises(InvalidDestinationConfig, match="sign_up_source_id, or both"):
        parse_spec("a", "attentive", {"secret_ref": "hook"})
    by_type = {
        "subscription_type": "MARKETING",
        "locale": {"language": "en", "country": "US"},
        "secret_ref": "hook",
    }
    assert parse_spec("a", "attentive", by_type).vendor["subscription_type"] == "MARKETING"
