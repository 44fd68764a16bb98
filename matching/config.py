"""The identity-resolution rules: identifier types, blocked values, generic thresholds.

The defaults live in `matching/identity.yaml` (read with `yaml.safe_load`); a user's YAML is
laid over them (see that file's header for the merge rules) and the result is validated into
an `IdentityConfig`. Nothing here reads the environment: the caller passes the path.
"""

from __future__ import annotations

import copy
import os
import re
from collections.abc import Mapping
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Final

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from matching.errors import ConfigError, InvalidBlockRule, InvalidIdentifierType

__all__ = [
    "ALL_TYPES",
    "DEFAULT_CONFIG",
    "BlockList",
    "GenericConfig",
    "GenericOverride",
    "GenericThresholds",
    "IdentifierType",
    "IdentityConfig",
    "default_config",
    "load_config",
    "merge_config",
]

ALL_TYPES: Final = "*"
"""The `blocked` scope whose rules apply to every identifier type."""
DEFAULT_CONFIG: Final = "identity.yaml"
"""The packaged defaults, a resource of the `matching` package."""

_TYPE_NAME: Final = re.compile(r"[a-z][a-z0-9_]*")


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class GenericThresholds(_Frozen):
    """When an identifier carried by many disagreeing records is too generic to link.

    Attributes:
        min_records: Below this many records an identifier is never generic.
        max_records: From this many records an identifier is generic whatever they say.
        max_distinct_given_names: Distinct folded given names that make it generic.
        max_distinct_family_names: Distinct folded family names that make it generic.
        max_distinct_postcodes: Distinct postcodes that make it generic.
        max_distinct_dobs: Distinct dates of birth that make it generic.
        min_distinct_share: A distinct count only counts as disagreement when it is also at
            least this share of the records, so one person's identifier on many records
            with a few typed variants of their name is not generic.
    """

    min_records: int = Field(default=5, ge=2)
    max_records: int = Field(default=200, ge=2)
    max_distinct_given_names: int = Field(default=8, ge=2)
    max_distinct_family_names: int = Field(default=5, ge=2)
    max_distinct_postcodes: int = Field(default=6, ge=2)
    max_distinct_dobs: int = Field(default=6, ge=2)
    min_distinct_share: float = Field(default=0.2, ge=0.0, le=1.0)


class GenericOverride(_Frozen):
    """Per-type changes to `GenericThresholds`; a field left None keeps the global value."""

    min_records: int | None = Field(default=None, ge=2)
    max_records: int | None = Field(default=None, ge=2)
    max_distinct_given_names: int | None = Field(default=None, ge=2)
    max_distinct_family_names: int | None = Field(default=None, ge=2)
    max_distinct_postcodes: int | None = Field(default=None, ge=2)
    max_distinct_dobs: int | None = Field(default=None, ge=2)
    min_distinct_share: float | None = Field(default=None, ge=0.0, le=1.0)


class GenericConfig(GenericThresholds):
    """The global thresholds plus per-type overrides (`by_type`)."""

    by_type: dict[str, GenericOverride] = Field(default_factory=dict)


class IdentifierType(_Frozen):
    """How one identifier type takes part in resolution.

    Attributes:
        priority: Lower numbers are tried first; see `matching.components`.
        link: Whether sharing this identifier joins records. A type that does not link still
            counts towards its own limits.
        max_per_profile: The most distinct identifiers of this type one profile may hold.
        max_per_profile_per_source: The same limit, counted per source system (the source
            of the record carrying the identifier).
        personal: One person's own (a loyalty card, a store account): it may join records
            kept apart (`matching.apart`: two members of one family by name), as an
            operator's forced link does. Every other type that links (a phone, an email,
            a device, a cookie) can be a household's, so it never joins records kept apart:
            it joins each member's own records, and a record it could place with either
            member stays on its own (`matching.components`, `apart_types`).
        description: Free text for operators.
    """

    priority: int = Field(default=100, ge=0)
    link: bool = True
    personal: bool = False
    max_per_profile: int | None = Field(default=None, ge=1)
    max_per_profile_per_source: int | None = Field(default=None, ge=1)
    description: str = ""


class BlockList(_Frozen):
    """Values of one scope (an identifier type, or `*` for all) that never link.

    Attributes:
        values: Exact values, compared trimmed and case-folded; `*` matches any text.
        regex: Python regular expressions searched in the value, case-insensitive.
        replace: In a user's file: drop the defaults of this scope instead of extending them.
    """

    values: tuple[str, ...] = ()
    regex: tuple[str, ...] = ()
    replace: bool = False


class IdentityConfig(_Frozen):
    """The validated rules; build it with `load_config` or `merge_config`."""

    identifier_types: dict[str, IdentifierType] = Field(default_factory=dict)
    blocked: dict[str, BlockList] = Field(default_factory=dict)
    generic: GenericConfig = Field(default_factory=GenericConfig)
    strong_match_probability: float | None = Field(default=None, gt=0.0, le=1.0)
    """A probabilistic match at least this probable joins two profiles even where a
    per-profile limit would refuse the join; None: limits hold for every match."""
    duplicate_account_types: tuple[str, ...] = ()
    """Identifier types (contacts, such as email and phone) through which two records whose
    names can be one person's under one family name (`matching.names.duplicate_account_names`)
    join even where a per-profile limit would refuse: one person's duplicate accounts in one
    source."""
    duplicate_account_matches: bool = False
    """An accepted probabilistic match between two records under the same full name joins
    even where a per-profile limit would refuse (a duplicate account found by name, address
    and postcode rather than a shared contact)."""

    def generic_for(self, id_type: str) -> GenericThresholds:
        """The generic-detection thresholds for one identifier type."""
        base = self.generic.model_dump(exclude={"by_type"})
        override = self.generic.by_type.get(id_type)
        if override is not None:
            base.update(override.model_dump(exclude_none=True))
        return GenericThresholds(**base)


def _read_yaml(path: str, text: str) -> dict[str, Any]:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(path, f"not valid YAML: {exc}") from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(path, "the top level must be a mapping")
    return data


def _default_data() -> dict[str, Any]:
    text = resources.files("matching").joinpath(DEFAULT_CONFIG).read_text(encoding="utf-8")
    return _read_yaml(f"<defaults {DEFAULT_CONFIG}>", text)


def _merge_blocked(base: Any, extra: Any, path: str) -> Any:
    if not isinstance(base, dict) or not isinstance(extra, dict):
        return copy.deepcopy(extra)
    merged = copy.deepcopy(base)
    for scope, rules in extra.items():
        if rules is None:
            merged.pop(scope, None)
            continue
        if not isinstance(rules, dict):
            raise ConfigError(path, f"blocked.{scope} must be a mapping")
        if rules.get("replace") or not isinstance(merged.get(scope), dict):
            merged[scope] = {k: v for k, v in rules.items() if k != "replace"}
            continue
        target = merged[scope]
        for field in ("values", "regex"):
            if field in rules:
                target[field] = list(target.get(field) or []) + list(rules[field] or [])
    return merged


def _merge(base: Any, extra: Any) -> Any:
    if not isinstance(base, dict) or not isinstance(extra, dict):
        return copy.deepcopy(extra)
    merged = copy.deepcopy(base)
    for key, value in extra.items():
        if value is None and isinstance(merged.get(key), dict):
            merged.pop(key)
        else:
            merged[key] = _merge(merged.get(key), value)
    return merged


def _validate(data: Mapping[str, Any], path: str) -> IdentityConfig:
    try:
        config = IdentityConfig.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
        )
        raise ConfigError(path, problems) from exc
    for name in config.identifier_types:
        if not _TYPE_NAME.fullmatch(name):
            raise InvalidIdentifierType(path, name)
    for scope, rules in config.blocked.items():
        if scope != ALL_TYPES and scope not in config.identifier_types:
            raise ConfigError(path, f"blocked.{scope}: no identifier type of that name")
        for pattern in rules.regex:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise InvalidBlockRule(path, scope, pattern, str(exc)) from exc
    for scope in config.generic.by_type:
        if scope not in config.identifier_types:
            raise ConfigError(path, f"generic.by_type.{scope}: no identifier type of that name")
    for name in config.duplicate_account_types:
        if name not in config.identifier_types:
            raise ConfigError(path, f"duplicate_account_types: no identifier type {name!r}")
    return config


def merge_config(
    overrides: Mapping[str, Any] | None = None, *, path: str = "<mapping>"
) -> IdentityConfig:
    """Lay a user's settings (already parsed) over the packaged defaults.

    Args:
        overrides: The user's settings, shaped like `identity.yaml`; None for the defaults.
        path: Where the settings came from, for error messages.

    Returns:
        The validated configuration.

    Raises:
        ConfigError: The merged settings are invalid (or a subclass naming the rule at fault).
    """
    data = _default_data()
    if overrides:
        extra = dict(overrides)
        blocked = extra.pop("blocked", None)
        types = extra.get("identifier_types")
        removed = [n for n, v in types.items() if v is None] if isinstance(types, dict) else []
        data = _merge(data, extra)
        # Removing a type removes the default rules that name it.
        for name in removed:
            data.get("blocked", {}).pop(name, None)
            data.get("generic", {}).get("by_type", {}).pop(name, None)
            if name in data.get("duplicate_account_types", []):
                data["duplicate_account_types"].remove(name)
        if blocked is not None:
            data["blocked"] = _merge_blocked(data.get("blocked"), blocked, path)
    return _validate(data, path)


def load_config(path: str | os.PathLike[str] | None = None) -> IdentityConfig:
    """Read the identity rules: the defaults, extended or overridden by a user's YAML file.

    Args:
        path: The user's file; None for the packaged defaults alone.

    Returns:
        The validated configuration.

    Raises:
        ConfigError: The file cannot be read, is not YAML, or its rules are invalid.
    """
    if path is None:
        return default_config()
    name = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(name, f"cannot be read: {exc.strerror or exc}") from exc
    return merge_config(_read_yaml(name, text), path=name)


@lru_cache(maxsize=1)
def default_config() -> IdentityConfig:
    """The packaged defaults, read once and shared: treat the result as read-only."""
    return merge_config(None, path=f"<defaults {DEFAULT_CONFIG}>")
