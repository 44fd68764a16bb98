"""Area providers: the postcode file join and the HTTP skeleton against a local fake
service (batching, authentication, retries, failures, no personal data in logs)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr, ValidationError

from cli.enrich_cmd import GENERATED_POSTCODES, configured_provider
from core.settings import Settings
from enrich.demographics import demographic_columns
from enrich.errors import ProviderError, ReferenceFileError
from enrich.providers.base import DEMOGRAPHIC_ATTRIBUTES, AreaKey
from enrich.providers.http import LOOKUP_PATH, HttpAreaProvider, HttpProviderSettings
from enrich.providers.postcode_file import PostcodeFileProvider
from tests.fakes.areas import API_KEY, FakeAreaService

pytestmark = pytest.mark.unit

POSTCODES = """postcode,state,median_income_band,age_band,urbanity,lifestyle_segment,country
2000,NSW,Middle,18-34,inner,Young Renters,AU
6011,WA,High,50-64,metro,Established Affluent,AU
6011,WGN,High,35-49,inner,Inner-City Professionals,NZ
830,NT,Low,35-49,regional,Regional Families,AU
1010,AUK,Low,50-64,inner,Young Renters,NZ
SW1A 1AA,ENG,High,35-49,inner,Inner-City Professionals,GB
"""


@pytest.fixture
def postcodes(tmp_path: Path) -> Path:
    path = tmp_path / "postcodes.csv"
    path.write_text(POSTCODES, encoding="utf-8")
    return path


async def test_file_provider_joins_on_country_and_postcode(postcodes: Path) -> None:
    provider = PostcodeFileProvider(postcodes)
    keys = [
        AreaKey("AU", "2000"),
        AreaKey("NZ", "6011"),
        AreaKey(None, "6011"),  # in AU and NZ: the default country
        AreaKey(None, "1010"),  # only in NZ
        AreaKey("AU", "0830"),  # the file lost the leading zero
        AreaKey("GB", "SW1A 1AA"),
        AreaKey("AU", "9999"),
        AreaKey("NZ", "2000"),
    ]
    found = await provider.lookup(keys)
    assert found[AreaKey("AU", "2000")].lifestyle == "Young Renters"
    assert found[AreaKey("NZ", "6011")].urbanity == "inner"
    assert found[AreaKey(None, "6011")].urbanity == "metro"
    assert found[AreaKey(None, "1010")].income_band == "Low"
    assert found[AreaKey("AU", "0830")].lifestyle == "Regional Families"
    assert found[AreaKey("GB", "SW1A 1AA")].age_band == "35-49"
    assert AreaKey("AU", "9999") not in found and AreaKey("NZ", "2000") not in found
    assert provider.name == "postcode_file:postcodes.csv"
    nz_default = PostcodeFileProvider(postcodes, default_country="NZ")
    assert (await nz_default.lookup([AreaKey(None, "6011")]))[AreaKey(None, "6011")].urbanity == (
        "inner"
    )


async def test_file_provider_errors(tmp_path: Path) -> None:
    with pytest.raises(ReferenceFileError, match="FileNotFoundError"):
        await PostcodeFileProvider(tmp_path / "missing.csv").lookup([AreaKey("AU", "2000")])
    bad = tmp_path / "bad.csv"
    bad.write_text("postcode,country\n2000,AU\n", encoding="utf-8")
    with pytest.raises(ReferenceFileError, match="missing"):
        await PostcodeFileProvider(bad).lookup([AreaKey("AU", "2000")])


async def test_demographic_columns_ask_once_per_area_with_provenance(postcodes: Path) -> None:
    asked: list[list[AreaKey]] = []
    provider = PostcodeFileProvider(postcodes)
    original = provider.lookup

    async def spy(areas: list[AreaKey]) -> object:
        asked.append(list(areas))
        return await original(areas)

    provider.lookup = spy  # type: ignore[assignment, method-assign]
    columns, matched = await demographic_columns(
        provider, ["2000", "2000", None, "9999", "6011"], ["AU", "AU", "AU", None, "NZ"]
    )
    assert matched == 3
    assert asked == [[AreaKey("AU", "2000"), AreaKey(None, "9999"), AreaKey("NZ", "6011")]]
    assert set(columns) == set(DEMOGRAPHIC_ATTRIBUTES)
    assert columns["demo_income_band"] == ["Middle", "Middle", None, None, "High"]
    assert columns["demo_provider"] == [provider.name] * 2 + [None, None, provider.name]
    fetched = columns["demo_fetched_at"]
    assert fetched[0] is not None and fetched[0].endswith("Z") and fetched[2] is None


# -- HTTP ---------------------------------------------------------------------------------


@pytest.fixture
def service() -> Iterator[FakeAreaService]:
    with FakeAreaService(max_batch=2) as api:
        yield api


class Sleeps:
    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def make_provider(
    service: FakeAreaService, sleeps: Sleeps, **overrides: object
) -> HttpAreaProvider:
    values: dict[str, object] = {
        "base_url": service.url + "/",
        "api_key": SecretStr(API_KEY),
        "batch_size": 2,
        "max_retries": 2,
        "backoff_s": 0.25,
        "timeout_s": 2.0,
        **overrides,
    }
    return HttpAreaProvider(HttpProviderSettings.model_validate(values), sleep=sleeps)


@pytest.fixture
async def http(service: FakeAreaService) -> AsyncIterator[tuple[HttpAreaProvider, Sleeps]]:
    sleeps = Sleeps()
    provider = make_provider(service, sleeps)
    yield provider, sleeps
    await provider.aclose()


AREAS = [
    AreaKey("AU", "2000"),
    AreaKey("NZ", "6011"),
    AreaKey(None, "2000"),
    AreaKey("AU", "9999"),
    AreaKey("AU", "2000"),  # asked twice, sent once
]


async def test_http_provider_batches_and_maps_answers(
    service: FakeAreaService, http: tuple[HttpAreaProvider, Sleeps]
) -> None:
    provider, _ = http
    found = await provider.lookup(AREAS)
    assert service.violations == []
    assert len(service.calls("POST", LOOKUP_PATH)) == 2  # 4 distinct areas, 2 per batch
    assert found[AreaKey("AU", "2000")].lifestyle == "Young Renters"
    assert found[AreaKey("NZ", "6011")].age_band == "35-49"
    assert found[AreaKey(None, "2000")].income_band == "Middle"
    assert AreaKey("AU", "9999") not in found
    assert found[AreaKey("AU", "2000")].fetched_at.endswith("Z")


async def test_http_provider_retries_429_and_5xx(
    service: FakeAreaService, http: tuple[HttpAreaProvider, Sleeps]
) -> None:
    provider, sleeps = http
    service.inject(429, retry_after="3")
    service.inject(503)
    found = await provider.lookup(AREAS[:2])
    assert len(found) == 2
    assert sleeps.waits == [3.0, 0.5]  # Retry-After, then back-off 0.25 x 2^1
    assert service.faults_served == 2


async def test_http_provider_gives_up_after_its_retries(
    service: FakeAreaService, http: tuple[HttpAreaProvider, Sleeps]
) -> None:
    provider, sleeps = http
    service.inject(500, times=3)
    with pytest.raises(ProviderError) as err:
        await provider.lookup(AREAS[:1])
    assert err.value.status == 500 and err.value.problem == "unavailable"
    assert len(sleeps.waits) == 2


async def test_http_provider_refused_key_fails_at_once(service: FakeAreaService) -> None:
    sleeps = Sleeps()
    provider = make_provider(service, sleeps, api_key=SecretStr("wrong"))
    try:
        with pytest.raises(ProviderError) as err:
            await provider.lookup(AREAS[:1])
    finally:
        await provider.aclose()
    assert err.value.status == 401 and err.value.problem == "unauthorised"
    assert sleeps.waits == []
    assert "wrong" not in str(err.value)


async def test_http_provider_malformed_answer(
    service: FakeAreaService, http: tuple[HttpAreaProvider, Sleeps]
) -> None:
    provider, _ = http
    service.inject(200, body={"areas": "?"})
    with pytest.raises(ProviderError, match="no results list"):
        await provider.lookup(AREAS[:1])


async def test_http_provider_timeout_is_retried_then_reported() -> None:
    calls: list[httpx.Request] = []

    def timeout(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        raise httpx.ReadTimeout("slow", request=request)

    sleeps = Sleeps()
    settings = HttpProviderSettings.model_validate(
        {"base_url": "http://areas.invalid", "api_key": API_KEY, "max_retries": 1}
    )
    provider = HttpAreaProvider(settings, transport=httpx.MockTransport(timeout), sleep=sleeps)
    try:
        with pytest.raises(ProviderError, match="timed out"):
            await provider.lookup(AREAS[:1])
    finally:
        await provider.aclose()
    assert len(calls) == 2 and len(sleeps.waits) == 1


async def test_http_provider_logs_no_areas_or_key(
    service: FakeAreaService,
    http: tuple[HttpAreaProvider, Sleeps],
    caplog: pytest.LogCaptureFixture,
) -> None:
    provider, _ = http
    with caplog.at_level(logging.DEBUG):
        await provider.lookup(AREAS)
        service.inject(403)
        with pytest.raises(ProviderError) as err:
            await provider.lookup([AreaKey("AU", "6011")])
    text = caplog.text + str(err.value)
    for secret in (API_KEY, "2000", "6011", "9999"):
        assert secret not in text
    assert "4 areas asked in 2 batches, 3 known" in caplog.text


def test_http_settings_validation() -> None:
    with pytest.raises(ValueError):
        HttpProviderSettings.model_validate(
            {"base_url": "http://x", "api_key": "k", "batch_size": 0}
        )
    settings = HttpProviderSettings.model_validate(
        {"base_url": "http://x", "api_key": "sk_live_secret"}
    )
    assert "sk_live_secret" not in repr(settings)


async def test_the_settings_choose_the_provider(tmp_path: Path) -> None:
    plain = Settings(_env_file=None, data_dir=tmp_path)
    assert plain.enrich_area_url is None
    assert configured_provider(plain, None, True) is None
    generated = tmp_path / GENERATED_POSTCODES
    generated.parent.mkdir(parents=True)
    generated.write_text(POSTCODES, encoding="utf-8")
    assert isinstance(configured_provider(plain, None, True), PostcodeFileProvider)
    configured = Settings(
        _env_file=None,
        data_dir=tmp_path,
        enrich_area_url="http://127.0.0.1:9/areas",
        enrich_area_api_key=API_KEY,
        enrich_area_batch_size=50,
    )
    chosen = configured_provider(configured, None, True)
    assert isinstance(chosen, HttpAreaProvider)
    assert (chosen.name, chosen.settings.batch_size) == ("http", 50)
    assert chosen.settings.api_key.get_secret_value() == API_KEY
    await chosen.aclose()
    # A file named on the command line still wins; no demographics means no provider.
    assert isinstance(configured_provider(configured, generated, True), PostcodeFileProvider)
    assert configured_provider(configured, generated, False) is None
    with pytest.raises(ValidationError, match="ENRICH_AREA_API_KEY"):
        Settings(_env_file=None, enrich_area_url="http://127.0.0.1:9")
