"""Google credentials through google-auth, against a local OAuth token endpoint whose
tokens expire, and a fake Data Manager API that refuses an expired token with the 401
UNAUTHENTICATED Google sends.

Time is google-auth's own clock (`google.auth._helpers.utcnow`), moved forward by the
fake API on every request: a sync of many batches lasts longer than a token lives.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import google.auth._helpers
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from pydantic import SecretStr

from activate.destinations.base import DestinationAuthError, SegmentRef
from activate.destinations.delivery import RetryPolicy
from activate.destinations.google import GoogleConfig, GoogleDestination
from activate.errors import InvalidDestinationConfig
from activate.sync.registry import parse_spec
from tests.fakes import FakeGoogle, FakeSleep, make_members
from tests.fakes.google_oauth import JWT_BEARER, FakeGoogleOAuth
from tests.fakes.server import Reply, Request

pytestmark = pytest.mark.unit

ACCOUNT = "1234567890"
SEGMENT = SegmentRef(id="seg-9", name="Win-back", external_id="5550001")
POLICY = RetryPolicy(max_attempts=3, base_delay=0.5, jitter=0.0)
START = datetime(2026, 12, 5, 9, 0, tzinfo=UTC).timestamp()
CLIENT_ID = "123-abc.apps.googleusercontent.com"
CLIENT_SECRET = "GOCSPX-client-secret"
REFRESH_TOKEN = "1//0refresh-token-for-tests"
SA_EMAIL = "cdp-sync@project.iam.gserviceaccount.com"


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> float:
        return self.now

    def utc(self) -> datetime:
        # google-auth works in naive UTC datetimes.
        return datetime.fromtimestamp(self.now, UTC).replace(tzinfo=None)


class SlowGoogle(FakeGoogle):
    """Each audienceMembers call takes `step_s` of the clock; `after` runs after each."""

    def __init__(self, oauth: FakeGoogleOAuth, clock: Clock, step_s: float) -> None:
        super().__init__(oauth.valid, ACCOUNT)
        self.oauth = oauth
        self.clock = clock
        self.step_s = step_s
        self.answers: list[int] = []
        self.tokens: list[str] = []
        self.after: list[Any] = []

    def route(self, request: Request) -> Reply:
        reply = super().route(request)
        self.answers.append(reply.status)
        self.tokens.append(request.headers.get("authorization", ""))
        self.clock.now += self.step_s
        for hook in self.after:
            hook()
        return reply


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(google.auth._helpers, "utcnow", clock.utc)
    return clock


@pytest.fixture
def oauth(clock: Clock) -> Iterator[FakeGoogleOAuth]:
    with FakeGoogleOAuth(now=clock, lifetime_s=3599) as server:
        server.clients[CLIENT_ID] = CLIENT_SECRET
        server.refresh_tokens.add(REFRESH_TOKEN)
        yield server


def authorized_user(oauth: FakeGoogleOAuth, refresh_token: str = REFRESH_TOKEN) -> str:
    return json.dumps(
        {
            "type": "authorized_user",
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "refresh_token": refresh_token,
            "token_uri": oauth.token_uri,
        }
    )


def service_account(oauth: FakeGoogleOAuth) -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    oauth.service_accounts[SA_EMAIL] = key.public_key()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return json.dumps(
        {
            "type": "service_account",
            "project_id": "project",
            "private_key_id": "k1",
            "private_key": pem,
            "client_email": SA_EMAIL,
            "client_id": "1000",
            "token_uri": oauth.token_uri,
        }
    )


def oauth_uri(api: FakeGoogle) -> str | None:
    return api.oauth.token_uri if isinstance(api, SlowGoogle) else None


def destination(api: FakeGoogle, credentials: str | None, **extra: Any) -> GoogleDestination:
    config = GoogleConfig(
        operating_account_id=ACCOUNT,
        credentials=SecretStr(credentials) if credentials else None,
        base_url=api.url,
        customer_match_terms_accepted=True,
        batch_size=2,
        token_uri=oauth_uri(api),
        status_timeout_s=0,
        **extra,
    )
    return GoogleDestination(config, policy=POLICY, sleep=FakeSleep())


@pytest.mark.parametrize("kind", ["authorized_user", "service_account"])
async def test_a_sync_longer_than_a_token_lives_keeps_working(
    clock: Clock, oauth: FakeGoogleOAuth, kind: str
) -> None:
    credentials = authorized_user(oauth) if kind == "authorized_user" else service_account(oauth)
    with SlowGoogle(oauth, clock, step_s=20 * 60) as api:
        google = destination(api, credentials)
        try:
            result = await google.add(SEGMENT, make_members(14))  # 7 calls, 2h20 of clock
        finally:
            await google.aclose()

    assert result.sent == 14 and result.failed == []
    assert api.answers == [200] * 7 and api.violations == []
    assert clock.now - START == 7 * 20 * 60
    # Refreshed before the first token's hour was up, never after it expired.
    assert len(oauth.grants) == 3
    assert oauth.grants == [JWT_BEARER if kind == "service_account" else "refresh_token"] * 3
    assert len(set(api.tokens)) == 3


async def test_a_token_revoked_early_is_refreshed_once_and_the_batch_resent(
    clock: Clock, oauth: FakeGoogleOAuth
) -> None:
    with SlowGoogle(oauth, clock, step_s=60) as api:
        api.after.append(oauth.revoke_all)  # every token dies after one call
        google = destination(api, authorized_user(oauth))
        try:
            result = await google.add(SEGMENT, make_members(4))
        finally:
            await google.aclose()
    assert result.sent == 4
    assert api.answers == [200, 401, 200]
    assert len(oauth.grants) == 2


async def test_a_refused_refresh_fails_the_run_with_what_to_fix(
    clock: Clock, oauth: FakeGoogleOAuth
) -> None:
    with SlowGoogle(oauth, clock, step_s=60) as api:
        google = destination(api, authorized_user(oauth, refresh_token="1//0revoked"))
        try:
            with pytest.raises(DestinationAuthError, match="invalid_grant") as raised:
                await google.add(SEGMENT, make_members(2))
        finally:
            await google.aclose()
    assert api.requests == []
    assert "refresh token" in str(raised.value)
    assert "1//0revoked" not in str(raised.value) and CLIENT_SECRET not in str(raised.value)


async def test_a_bare_access_token_is_used_until_google_refuses_it(
    clock: Clock, oauth: FakeGoogleOAuth
) -> None:
    oauth.issued["ya29.static"] = clock() + 3599
    with SlowGoogle(oauth, clock, step_s=40 * 60) as api:
        google = destination(api, "ya29.static")
        try:
            with pytest.raises(DestinationAuthError, match="401"):
                await google.add(SEGMENT, make_members(6))
        finally:
            await google.aclose()
    assert api.answers == [200, 200, 401, 401]
    assert oauth.grants == []


async def test_application_default_credentials(
    clock: Clock,
    oauth: FakeGoogleOAuth,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Any,
) -> None:
    path = tmp_path / "adc.json"
    path.write_text(authorized_user(oauth))
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(path))
    with SlowGoogle(oauth, clock, step_s=60) as api:
        google = destination(api, None, application_default_credentials=True)
        try:
            assert (await google.add(SEGMENT, make_members(2))).sent == 2
        finally:
            await google.aclose()
    assert oauth.grants == ["refresh_token"]


def test_a_google_destination_needs_a_secret_unless_it_uses_adc() -> None:
    with pytest.raises(InvalidDestinationConfig, match="needs secret_ref"):
        parse_spec("g", "google", {"operating_account_id": ACCOUNT})
    adc = {"operating_account_id": ACCOUNT, "application_default_credentials": True}
    assert parse_spec("g", "google", adc).public_config() == adc
    with pytest.raises(InvalidDestinationConfig, match="looks like a secret"):
        parse_spec("g", "google", {"operating_account_id": ACCOUNT, "credentials": "{}"})
