"""Destinations as stored in the graph, and the clients built from them.

A `(:Destination {id, kind, name, config_json})` holds the vendor configuration without
its secret: the one secret a kind needs (API key, access token, signing secret) is named
by `secret_ref` and read from `ActivationSettings.secrets` when the client is built.
Besides the vendor's own fields, `config_json` may hold the engine's options:
`attributes` (profile attributes to sync, from an allow-list) and `require_consent`
(consents a member needs, default by the destination's channel).
"""

from __future__ import annotations

import importlib
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any, Literal

import httpx
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

from activate.destinations.base import Destination, DestinationConfigError
from activate.destinations.delivery import RetryPolicy, SleepFn
from activate.destinations.limits import Pacing
from activate.errors import InvalidDestinationConfig
from activate.settings import ActivationSettings
from activate.sync.members import DEFAULT_CONSENT, ConsentName, SyncableAttribute

Kind = Literal["file", "webhook", "klaviyo", "braze", "meta", "google", "attentive"]


@dataclass(frozen=True)
class Vendor:
    """Where a kind's configuration model and client live, and the secret it needs.

    The module is imported on first use, so using one kind does not load the others'
    dependencies (pyarrow for `file`).
    """

    module: str
    config: str
    client: str
    secret_field: str | None = None
    """The field of the vendor configuration that comes from the settings."""
    secret_optional_if: str | None = None
    """A boolean configuration field that, when true, lets the kind go without a secret
    (Google's application default credentials)."""
    optional_secrets: tuple[str, ...] = ()
    """Further secret fields, each read from the settings when the configuration names it
    by `<field>_ref` (Meta's `app_secret_ref`)."""

    def load(self) -> tuple[type[BaseModel], Callable[..., Destination]]:
        module = importlib.import_module(self.module)
        config: type[BaseModel] = getattr(module, self.config)
        client: Callable[..., Destination] = getattr(module, self.client)
        return config, client


VENDORS: dict[str, Vendor] = {
    "file": Vendor("activate.destinations.file", "FileConfig", "FileDestination"),
    "webhook": Vendor(
        "activate.destinations.webhook", "WebhookConfig", "WebhookDestination", "secret"
    ),
    "klaviyo": Vendor(
        "activate.destinations.klaviyo", "KlaviyoConfig", "KlaviyoDestination", "api_key"
    ),
    "braze": Vendor("activate.destinations.braze", "BrazeConfig", "BrazeDestination", "api_key"),
    "meta": Vendor(
        "activate.destinations.meta",
        "MetaConfig",
        "MetaDestination",
        "access_token",
        optional_secrets=("app_secret",),
    ),
    "google": Vendor(
        "activate.destinations.google",
        "GoogleConfig",
        "GoogleDestination",
        "credentials",
        secret_optional_if="application_default_credentials",
    ),
    "attentive": Vendor(
        "activate.destinations.attentive",
        "AttentiveConfig",
        "AttentiveDestination",
        "api_key",
    ),
}
"""One row per `Kind`: the one table of what each kind is made of."""

_SECRETISH = ("secret", "api_key", "access_token", "token", "password", "key")
_SECRET_REF = re.compile(r"^[A-Za-z0-9_]{1,64}$")


class EngineOptions(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    attributes: list[SyncableAttribute] = Field(default_factory=list)
    require_consent: list[ConsentName] | None = None
    secret_ref: str | None = Field(None, pattern=r"^[A-Za-z0-9_]{1,64}$")


@dataclass(frozen=True)
class DestinationSpec:
    id: str
    kind: Kind
    name: str
    options: EngineOptions
    vendor: dict[str, Any]
    """The vendor configuration, without secret and engine options."""

    def public_config(self) -> dict[str, Any]:
        """What is stored as `config_json`: no secret values, only their names."""
        return {**self.vendor, **self.options.model_dump(exclude_defaults=True)}


def _problems(exc: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(x) for x in e['loc'])}: {e['msg']}"
        for e in exc.errors(include_input=False, include_url=False)[:5]
    )


def parse_spec(
    destination_id: str, kind: str, config: Mapping[str, Any] | str, name: str | None = None
) -> DestinationSpec:
    """Check a destination's kind and configuration (without reading any secret).

    Raises:
        InvalidDestinationConfig: Unknown kind, unknown or invalid field, or a secret
            value in the configuration instead of a `secret_ref`.
    """
    if kind not in VENDORS:
        raise InvalidDestinationConfig(destination_id, f"unknown kind {kind!r}")
    if isinstance(config, str):
        try:
            config = json.loads(config)
        except ValueError:
            raise InvalidDestinationConfig(destination_id, "config is not JSON") from None
    if not isinstance(config, Mapping):
        raise InvalidDestinationConfig(destination_id, "config must be an object")
    engine_keys = set(EngineOptions.model_fields)
    try:
        options = EngineOptions.model_validate(
            {k: v for k, v in config.items() if k in engine_keys}
        )
    except ValidationError as exc:
        raise InvalidDestinationConfig(destination_id, _problems(exc)) from None
    vendor = {k: v for k, v in config.items() if k not in engine_keys}
    model, _ = VENDORS[kind].load()
    secret_field = VENDORS[kind].secret_field
    refs = {f"{field}_ref": field for field in VENDORS[kind].optional_secrets}
    for key in vendor:
        if key in refs:
            if not isinstance(vendor[key], str) or not _SECRET_REF.match(vendor[key]):
                raise InvalidDestinationConfig(
                    destination_id, f"{key} names a secret: 1-64 letters, digits and '_'"
                )
            continue
        if (
            key == secret_field
            or key in refs.values()
            or (key not in model.model_fields and key.endswith(_SECRETISH))
        ):
            raise InvalidDestinationConfig(
                destination_id,
                f"{key!r} looks like a secret: name it with secret_ref and set it in the settings",
            )
        if key not in model.model_fields:
            raise InvalidDestinationConfig(destination_id, f"unknown field {key!r}")
    optional_if = VENDORS[kind].secret_optional_if
    secret_needed = secret_field is not None and not (optional_if and vendor.get(optional_if))
    if secret_needed and options.secret_ref is None:
        raise InvalidDestinationConfig(destination_id, f"a {kind} destination needs secret_ref")
    probe = {k: v for k, v in vendor.items() if k not in refs}
    if secret_field is not None and options.secret_ref is not None:
        probe[secret_field] = SecretStr("placeholder-not-a-secret")
    if kind == "file":
        probe.setdefault("directory", ".")
        _check_file_directory(destination_id, probe["directory"])
    try:
        model.model_validate(probe)
    except ValidationError as exc:
        raise InvalidDestinationConfig(destination_id, _problems(exc)) from None
    return DestinationSpec(destination_id, kind, name or destination_id, options, vendor)  # type: ignore[arg-type]


def spec_from_row(row: Mapping[str, Any]) -> DestinationSpec:
    return parse_spec(row["id"], row["kind"], row.get("config_json") or "{}", row.get("name"))


def _check_file_directory(destination_id: str, directory: object) -> None:
    """At creation: a file destination's directory is a relative path that stays inside
    the file root (no absolute path, no `..`), so a bad one is refused before it is stored."""
    text = str(directory)
    if "\x00" in text:
        raise InvalidDestinationConfig(destination_id, "directory contains a NUL byte")
    path = PurePosixPath(text.replace("\\", "/"))
    if path.is_absolute() or PureWindowsPath(text).is_absolute() or ".." in path.parts:
        raise InvalidDestinationConfig(
            destination_id,
            f"directory {text!r} must be a relative path inside the file root, without '..'",
        )


def _file_directory(spec: DestinationSpec, settings: ActivationSettings) -> Path:
    """The file destination's directory, kept inside `settings.file_root`."""
    root = settings.file_root.resolve()
    given = Path(str(spec.vendor.get("directory") or spec.id))
    directory = (root / given).resolve()
    if directory != root and root not in directory.parents:
        raise InvalidDestinationConfig(spec.id, "directory must be inside the file root")
    return directory


def build_destination(
    spec: DestinationSpec,
    settings: ActivationSettings,
    *,
    client: httpx.AsyncClient | None = None,
    policy: RetryPolicy | None = None,
    sleep: SleepFn | None = None,
    pacing: Pacing | None = None,
) -> Destination:
    """The client for a stored destination, with its secret from the settings.

    Raises:
        MissingSecret: The secret it names is not set.
        InvalidDestinationConfig: The secret or configuration cannot be used (a webhook
            secret too short, say).
    """
    vendor = VENDORS[spec.kind]
    model, make = vendor.load()
    config = dict(spec.vendor)
    if vendor.secret_field is not None and spec.options.secret_ref is not None:
        config[vendor.secret_field] = settings.secret(spec.id, spec.options.secret_ref)
    for field in vendor.optional_secrets:
        ref = config.pop(f"{field}_ref", None)
        if ref is not None:
            config[field] = settings.secret(spec.id, ref)
    if spec.kind == "file":
        config["directory"] = _file_directory(spec, settings)
        config.setdefault("attribute_columns", tuple(spec.options.attributes))
        return make(model.model_validate(config))
    try:
        return make(
            model.model_validate(config),
            client=client,
            policy=policy,
            sleep=sleep,
            pacing=pacing,
        )
    except DestinationConfigError as exc:
        raise InvalidDestinationConfig(spec.id, str(exc)) from None


def required_consent(spec: DestinationSpec, destination: Destination) -> tuple[ConsentName, ...]:
    """The consents a member needs for this destination: configured, or by channel."""
    if spec.options.require_consent is not None:
        configured = tuple(spec.options.require_consent)
        # Configuration may add consents, never drop the one of the channel itself.
        return tuple(dict.fromkeys((*DEFAULT_CONSENT[destination.channel], *configured)))
    return DEFAULT_CONSENT[destination.channel]
