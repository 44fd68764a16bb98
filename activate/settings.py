"""Activation's settings: destination secrets and sync tuning, from `CDP_DEST_*`.

Destination nodes in the graph hold configuration without secrets; where a destination
needs one (an API key, a webhook signing secret) its configuration names it, and the
value comes from here: `CDP_DEST_SECRETS__<NAME>=...` (or `CDP_DEST_SECRETS` as a JSON
object). Read once, at the entry point (CLI command, API start-up, benchmark), and
handed down; never at import time.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from activate.errors import MissingSecret
from core.settings import PROJECT_ROOT


class ActivationSettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="CDP_DEST_",
        env_nested_delimiter="__",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
    )

    secrets: dict[str, SecretStr] = Field(default_factory=dict)
    """Secret values by name (names are case-insensitive, stored lower-case)."""
    file_root: Path = PROJECT_ROOT / "var" / "activation"
    """Where file destinations write when their configuration gives a relative directory."""
    chunk_size: int = Field(default=10_000, ge=1, le=100_000)
    """Members handed to a destination per call; it splits them into its own batches."""
    lock_timeout_s: float = Field(default=90.0, gt=0)
    """A run whose (segment, destination) lease has had no heartbeat for this long is
    presumed dead and its lease taken over (a dead process of this host at once)."""
    lock_heartbeat_s: float = Field(default=15.0, gt=0)
    """How often a running sync renews its lease."""
    max_logged_errors: int = Field(default=10_000, ge=0)
    """Per-row errors kept per run (the counts are always complete)."""

    def secret(self, destination_id: str, name: str) -> SecretStr:
        """The secret called `name`.

        Raises:
            MissingSecret: It is not set.
        """
        value = self.secrets.get(name.lower())
        if value is None or not value.get_secret_value():
            raise MissingSecret(destination_id, name)
        return value
