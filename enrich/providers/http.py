"""A provider for a third-party area-demographics service over HTTP.

`cdp enrich` and `cdp run` use it when the settings name a service (`ENRICH_AREA_URL`,
`ENRICH_AREA_API_KEY`, ...: `HttpProviderSettings.from_settings`). The contract it speaks
(adapt `_request_body` and `_parse` to a real vendor):

``POST {base_url}/v1/areas/lookup`` with ``Authorization: Bearer <api key>`` and
``{"areas": [{"country": "AU", "postcode": "2000"}, ...]}`` (at most `batch_size`
areas), answered by ``{"results": [{"country", "postcode", "income_band", "age_band",
"urbanity", "lifestyle_segment"}, ...]}`` listing the areas the service knows.

Failures: 429 and 5xx answers and timeouts are retried `max_retries` times under the
shared `core.http_retry.RetryPolicy` (honouring `Retry-After`, capped at 30 s, else
exponential back-off); 401/403 and other 4xx fail at once. Every
failure raises `ProviderError` with the status and no request content. Logs carry counts
only: areas are location data about customers.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, Final

import httpx
from pydantic import BaseModel, ConfigDict, Field, SecretStr

from core.clock import utc_stamp
from core.http_retry import RetryPolicy, asked_wait, is_transient
from core.settings import Settings
from enrich.errors import ProviderError
from enrich.providers.base import AreaKey, AreaProfile, AreaProvider

log = logging.getLogger(__name__)

LOOKUP_PATH: Final = "/v1/areas/lookup"
MAX_BACKOFF_S: Final = 30.0


class HttpProviderSettings(BaseModel):
    """Where the service is and how to call it; built from the application's settings."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = "http"
    base_url: str
    api_key: SecretStr
    timeout_s: float = Field(default=10.0, gt=0)
    connect_timeout_s: float = Field(default=5.0, gt=0)
    batch_size: int = Field(default=500, ge=1, le=10_000)
    max_retries: int = Field(default=2, ge=0, le=10)
    backoff_s: float = Field(default=0.5, ge=0)

    def retry_policy(self) -> RetryPolicy:
        """The shared policy: exact delays (no jitter), waits capped at `MAX_BACKOFF_S`."""
        return RetryPolicy(
            max_attempts=self.max_retries + 1,
            base_delay=self.backoff_s,
            max_delay=MAX_BACKOFF_S,
            jitter=0.0,
            max_retry_after=MAX_BACKOFF_S,
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> HttpProviderSettings | None:
        """The service the application's settings configure (`ENRICH_AREA_*`), or None."""
        if not settings.enrich_area_url or settings.enrich_area_api_key is None:
            return None
        return cls(
            name=settings.enrich_area_name,
            base_url=settings.enrich_area_url,
            api_key=settings.enrich_area_api_key,
            timeout_s=settings.enrich_area_timeout_s,
            batch_size=settings.enrich_area_batch_size,
            max_retries=settings.enrich_area_max_retries,
        )


class HttpAreaProvider(AreaProvider):
    """Area demographics from an HTTP service, asked in batches."""

    def __init__(
        self,
        settings: HttpProviderSettings,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        """Args:
        settings: Base URL, API key, timeouts, batch size, retries.
        transport: Replaces the network (tests).
        sleep: Waits between retries (tests record the waits instead).
        """
        self.settings = settings
        self.name = settings.name
        self._sleep = sleep
        self._policy = settings.retry_policy()
        self._rng = random.Random()
        self._client = httpx.AsyncClient(
            base_url=settings.base_url.rstrip("/"),
            headers={
                "Authorization": f"Bearer {settings.api_key.get_secret_value()}",
                "Accept": "application/json",
            },
            timeout=httpx.Timeout(settings.timeout_s, connect=settings.connect_timeout_s),
            transport=transport,
        )

    async def aclose(self) -> None:
        await self._client.aclose()

    async def lookup(self, areas: Sequence[AreaKey]) -> Mapping[AreaKey, AreaProfile]:
        unique = list(dict.fromkeys(areas))
        out: dict[AreaKey, AreaProfile] = {}
        size = self.settings.batch_size
        batches = 0
        for start in range(0, len(unique), size):
            batch = unique[start : start + size]
            answer = await self._post(self._request_body(batch))
            out.update(self._parse(batch, answer))
            batches += 1
        log.info(
            "%s: %d areas asked in %d batches, %d known", self.name, len(unique), batches, len(out)
        )
        return out

    def _request_body(self, batch: Sequence[AreaKey]) -> dict[str, Any]:
        return {"areas": [{"country": k.country, "postcode": k.postcode} for k in batch]}

    def _parse(self, batch: Sequence[AreaKey], answer: Any) -> dict[AreaKey, AreaProfile]:
        results = answer.get("results") if isinstance(answer, dict) else None
        if not isinstance(results, list):
            raise ProviderError(self.name, "answer has no results list")
        fetched_at = utc_stamp()
        asked: dict[tuple[str, str], list[AreaKey]] = {}
        for key in batch:
            asked.setdefault(((key.country or "").upper(), key.postcode.upper()), []).append(key)
        by_postcode: dict[str, list[AreaKey]] = {}
        for key in batch:
            by_postcode.setdefault(key.postcode.upper(), []).append(key)
        out: dict[AreaKey, AreaProfile] = {}
        for item in results:
            if not isinstance(item, dict) or not isinstance(item.get("postcode"), str):
                raise ProviderError(self.name, "answer holds a malformed result")
            country = str(item.get("country") or "").upper()
            postcode = item["postcode"].upper()
            area = AreaProfile(
                income_band=_text(item.get("income_band")),
                age_band=_text(item.get("age_band")),
                urbanity=_text(item.get("urbanity")),
                lifestyle=_text(item.get("lifestyle_segment")),
                fetched_at=fetched_at,
            )
            # An area asked without a country is answered with the service's choice.
            keys = asked.get((country, postcode), []) + [
                k for k in by_postcode.get(postcode, []) if k.country is None
            ]
            for key in keys:
                out.setdefault(key, area)
        return out

    async def _post(self, body: dict[str, Any]) -> Any:
        policy = self._policy
        attempt = 0
        while True:
            attempt += 1
            last = attempt >= policy.max_attempts
            try:
                response = await self._client.post(LOOKUP_PATH, json=body)
            except httpx.TimeoutException as exc:
                if last:
                    raise ProviderError(self.name, "timed out") from exc
                await self._sleep(policy.delay(attempt, None, self._rng))
                continue
            except httpx.HTTPError as exc:
                raise ProviderError(self.name, type(exc).__name__) from exc
            status = response.status_code
            if status == 200:
                try:
                    return response.json()
                except ValueError as exc:
                    raise ProviderError(self.name, "answer is not JSON", status) from exc
            retryable = is_transient(status)
            if not retryable or last:
                problem = "unauthorised" if status in (401, 403) else "request refused"
                if retryable:
                    problem = "unavailable"
                raise ProviderError(self.name, problem, status)
            asked = asked_wait(status, response.headers, time.time())
            if asked is not None:
                asked = min(asked, policy.max_retry_after)
            await self._sleep(policy.delay(attempt, asked, self._rng))


def _text(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None
