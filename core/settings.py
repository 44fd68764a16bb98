"""The one validated settings class, read from the environment and a `.env` file.

It is instantiated once, at the entry point (CLI or API start-up), never at import time.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from core.paths import PROJECT_ROOT as PROJECT_ROOT  # re-exported

DEV_PASSWORD = "cdp-local-dev"
_PLACEHOLDERS = {"", "changeme", "changethis", "password", "neo4j", DEV_PASSWORD}
DEV_SUPPRESSION_KEY = "cdp-local-dev-suppression-key"
MIN_SUPPRESSION_KEY_CHARS = 32
WRITES_IN_FLIGHT = 2
"""Write transactions a large write phase keeps open at once, unless set otherwise."""


class Settings(BaseSettings):
    """Configuration of the whole service.

    Environment variables use the field names in upper case (``NEO4J_URI``,
    ``NEO4J_PASSWORD``, ...). Outside development a placeholder password is refused.
    """

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"

    neo4j_uri: str = "bolt://127.0.0.1:7687"
    neo4j_user: str = "neo4j"
    neo4j_password: SecretStr = SecretStr(DEV_PASSWORD)
    neo4j_database: str = "neo4j"
    neo4j_max_pool_size: int = Field(default=100, ge=1)
    neo4j_connect_timeout_s: float = Field(default=5.0, gt=0)
    neo4j_max_retry_time_s: float = Field(default=30.0, ge=0)
    """How long a transaction is retried while the server is away (the driver's default)."""
    neo4j_writes_in_flight: int = Field(default=WRITES_IN_FLIGHT, ge=1, le=16)
    """Write transactions a large write phase keeps open at once (resolution's profiles,
    memberships, events and marks): the server runs one while this process encodes the
    next. 1 writes one batch at a time."""

    # The local Neo4j that `cdp neo4j start` runs when there is no Docker engine.
    neo4j_local_home: Path = PROJECT_ROOT / "var" / "neo4j"
    neo4j_local_project: Path = PROJECT_ROOT / "neo4j-local"
    neo4j_local_host: str = "127.0.0.1"
    neo4j_local_port: int = Field(default=7687, ge=1, le=65535)
    neo4j_local_heap: str = Field(default="2g", pattern=r"^\d+[kmgKMG]$")
    neo4j_local_pagecache: str = Field(default="1g", pattern=r"^\d+[kmgKMG]$")
    neo4j_local_auth: bool = True
    neo4j_local_tx_log_retention: str = Field(default="2 files", min_length=1)
    """How much transaction log the local server keeps (Neo4j's
    `db.tx_log.rotation.retention_policy`); a local server has no backups or cluster to feed."""
    neo4j_local_start_timeout_s: float = Field(default=180.0, gt=0)

    api_host: str = "127.0.0.1"
    api_port: int = Field(default=8000, ge=1, le=65535)
    api_max_body_bytes: int = Field(default=1_000_000, ge=1024)
    api_key_cache_ttl_s: float = Field(default=30.0, ge=0)
    """How long a checked API key is trusted without asking Neo4j (a revocation takes effect
    within this time)."""
    api_request_timeout_s: float = Field(default=15.0, gt=0)
    """The deadline of one API request: past it the request is cancelled and answered 504,
    whatever it waits for."""
    api_max_response_bytes: int = Field(default=5_000_000, ge=10_000)
    """The largest GraphQL answer sent; a larger one is replaced by a LIMIT_EXCEEDED error."""
    api_public_introspection: bool | None = None
    """Whether a request without a key may introspect the schema; by default yes in
    development and test, no in production."""
    shopify_webhook_secret: SecretStr | None = None
    """The app's webhook signing secret: when set, Shopify webhooks are authenticated by
    their `X-Shopify-Hmac-Sha256` signature instead of an API key."""

    cors_allow_origins: list[str] = Field(default_factory=list)
    """Origins of other frontends that may call the API from a browser (with an API key; no
    cookies). None by default. JSON in the environment: `CORS_ALLOW_ORIGINS='["https://..."]'`."""
    persisted_queries_file: Path | None = None
    """A JSON object of registered GraphQL queries by id (see `api.persisted`)."""
    persisted_only_roles: list[Literal["clienteling", "analyst", "admin", "ingest"]] = Field(
        default_factory=list
    )
    """Roles whose API keys may run only registered queries (e.g. `["clienteling"]`)."""
    web_session_ttl_s: float = Field(default=8 * 3600, gt=0)
    """How long a web app session (an API key exchanged for a cookie) lasts."""

    # Onsite personalisation (`GET /v1/onsite/visitor`, `api.routes.onsite`): a storefront
    # asks for its visitor's segments and non-personal traits with an `onsite` key.
    onsite_cors_origins: list[str] = Field(default_factory=list)
    """The storefront origins that may call the onsite endpoint from a browser."""
    onsite_traits: list[str] = Field(
        default_factory=lambda: ["clv_band", "top_category", "churn_band"]
    )
    """What a visitor's answer holds besides segments: `clv_band`, `churn_band`, or any
    non-personal attribute of the catalogue (checked at start-up)."""
    onsite_segments: list[str] | None = None
    """The segment ids the storefront may see (all when unset)."""
    onsite_customer_id_type: str = Field(default="shopify_customer_id", pattern=r"^[a-z0-9_]+$")
    """The identifier type a storefront's logged-in `customer_id` is."""
    onsite_cache_max_age_s: int = Field(default=60, ge=0, le=3600)
    """How long a browser may reuse an answer (`Cache-Control: private, max-age`)."""

    data_dir: Path = PROJECT_ROOT / "var" / "data"

    # Where resolution's rules run (`matching.engine`): `local` (this process) or `spark`
    # (`matching.spark_engine`: closed parts as Spark tasks). `cdp resolve --engine`.
    resolve_engine: Literal["local", "spark"] = "local"
    resolve_part_records: int = Field(default=200_000, ge=1)
    """With the local engine, a full resolution reads, resolves and writes closed parts of
    about this many records in turn (`matching.partition`): its memory grows with this, not
    with the graph (the Spark engine's parts are `spark_bucket_records`)."""
    match_scoring_memory: str = Field(
        default="1GB", pattern=r"^[0-9]+(\.[0-9]+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$"
    )
    """DuckDB's memory limit while a full resolution scores every record against every
    other: beyond it DuckDB spills to disk. Larger is faster (1.8M records: 145 s under 1GB,
    92 s under 2GB) and holds more."""
    spark_master: str = Field(default="local[*]", min_length=1)
    """The Spark master: `local[*]`, `spark://host:7077`, `yarn`, `k8s://https://...`."""
    spark_shuffle_partitions: int = Field(default=8, ge=1)
    """`spark.sql.shuffle.partitions`: a few per executor core of the cluster."""
    spark_bucket_records: int = Field(default=50_000, ge=1)
    """About how many records one call of the rules on an executor resolves: a full run's
    closed parts, a job of one per core at a time (this process holds about two jobs'
    parts), or the buckets of an incremental run's scope."""
    spark_conf: dict[str, str] = Field(default_factory=dict)
    """More Spark settings, JSON in the environment: `SPARK_CONF='{"spark.executor.memory":
    "8g"}'`."""

    suppression_hmac_keys: list[SecretStr] = Field(
        default_factory=lambda: [SecretStr(DEV_SUPPRESSION_KEY)], min_length=1
    )
    """Secrets of the keyed hashes (HMAC-SHA256) an erasure leaves behind (JSON list in the
    environment). The first writes; every one is checked on read, so a new key goes first
    and an old one is dropped once nothing it wrote matters any more."""

    # External area demographics (`enrich.providers.http`): with a URL, `cdp enrich` and
    # `cdp run` ask this service for the bands of profiles' postcodes (instead of the
    # generated postcode file; `cdp enrich --postcodes FILE` still takes a file).
    enrich_area_url: str | None = None
    enrich_area_api_key: SecretStr | None = None
    enrich_area_name: str = Field(default="http", pattern=r"^[A-Za-z0-9_.:-]{1,64}$")
    """Recorded in each profile's `demo_provider`."""
    enrich_area_timeout_s: float = Field(default=10.0, gt=0)
    enrich_area_batch_size: int = Field(default=500, ge=1, le=10_000)
    enrich_area_max_retries: int = Field(default=2, ge=0, le=10)

    @model_validator(mode="after")
    def _refuse_placeholder_secrets(self) -> Settings:
        placeholder = self.neo4j_password.get_secret_value() in _PLACEHOLDERS
        if self.environment == "production" and placeholder:
            raise ValueError(
                "NEO4J_PASSWORD is a placeholder; set a real secret outside development"
            )
        for key in self.suppression_hmac_keys:
            secret = key.get_secret_value()
            if self.environment == "production" and (
                secret in _PLACEHOLDERS
                or secret == DEV_SUPPRESSION_KEY
                or len(secret) < MIN_SUPPRESSION_KEY_CHARS
            ):
                raise ValueError(
                    "SUPPRESSION_HMAC_KEYS holds a placeholder or a key shorter than "
                    f"{MIN_SUPPRESSION_KEY_CHARS} characters; set real secrets outside "
                    "development"
                )
        if self.enrich_area_url and not (
            self.enrich_area_api_key and self.enrich_area_api_key.get_secret_value()
        ):
            raise ValueError("ENRICH_AREA_URL is set without ENRICH_AREA_API_KEY")
        return self

    @property
    def model_dir(self) -> Path:
        """The trained matching models and the match index."""
        return self.data_dir / "models"

    @property
    def introspection_without_key(self) -> bool:
        if self.api_public_introspection is not None:
            return self.api_public_introspection
        return self.environment != "production"

    @property
    def local_bolt_uri(self) -> str:
        return f"bolt://{self.neo4j_local_host}:{self.neo4j_local_port}"
