"""OAuth credentials for Google's Data Manager API, refreshed before they expire.

An access token lives an hour; a sync of a large audience, or one that waits out a quota,
lasts longer. `google-auth` holds the long-lived credential and mints access tokens from
it, with the scope `https://www.googleapis.com/auth/datamanager`:
- a service account's JSON key (`"type": "service_account"`), the usual server set-up;
- an OAuth client's refresh token, as `gcloud auth application-default login` or any
  OAuth flow writes it (`"type": "authorized_user"`: client_id, client_secret,
  refresh_token);
- application default credentials (`GOOGLE_APPLICATION_CREDENTIALS`, the metadata server
  on Google Cloud, workload identity federation), when the destination has no secret and
  `application_default_credentials: true`;
- a bare access token, for trying things out: it is not refreshed and stops working
  within the hour.

Before every request the token is checked and, when it expires within google-auth's
margin (a few minutes), refreshed first; a 401 forces one refresh (a token revoked
early). Refreshing is a blocking HTTP call to the token endpoint, so it runs in a
worker thread. A refresh the token endpoint refuses (`invalid_grant`: a revoked refresh
token, a deleted key) fails the run with what to fix.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import google.auth
import google.auth.credentials
import google.auth.exceptions
import google.auth.transport.requests
import google.oauth2.credentials
import google.oauth2.service_account
from google.auth.credentials import TokenState

from activate.destinations.delivery import redact
from activate.destinations.errors import (
    DestinationAuthError,
    DestinationConfigError,
    DestinationTransportError,
)

SCOPE = "https://www.googleapis.com/auth/datamanager"
_DESTINATION = "google"


def load_credentials(
    secret: str | None, *, application_default: bool = False, token_uri: str | None = None
) -> google.auth.credentials.Credentials:
    """The credentials a destination's secret describes (see the module docstring).

    Args:
        secret: The destination's secret, or None.
        application_default: With no secret, use application default credentials.
        token_uri: Another token endpoint than Google's (a private endpoint); google-auth
            otherwise always uses Google's for refresh tokens.

    Raises:
        DestinationConfigError: No secret and no application default credentials, or a
            JSON credential that cannot be read (the message never holds it).
    """
    credentials: Any
    if secret is None or not secret.strip():
        if not application_default:
            raise DestinationConfigError(
                _DESTINATION,
                "no credentials: name a service-account key or refresh token with "
                "secret_ref, or set application_default_credentials: true",
            )
        try:
            credentials, _ = google.auth.default(scopes=[SCOPE])
        except google.auth.exceptions.DefaultCredentialsError as exc:
            raise DestinationConfigError(
                _DESTINATION, f"application default credentials: {redact(str(exc), 200)}"
            ) from None
    elif not secret.strip().startswith("{"):
        return google.oauth2.credentials.Credentials(token=secret.strip())  # type: ignore[no-untyped-call]
    else:
        credentials = _from_json(secret)
    if token_uri and hasattr(credentials, "with_token_uri"):
        credentials = credentials.with_token_uri(token_uri)
    loaded: google.auth.credentials.Credentials = credentials
    return loaded


def _from_json(secret: str) -> Any:
    try:
        info: Any = json.loads(secret)
    except ValueError:
        raise DestinationConfigError(_DESTINATION, "the credentials secret is not JSON") from None
    kind = info.get("type") if isinstance(info, dict) else None
    # Only the two types a destination's secret is meant to hold: a JSON credential of
    # another type may make google-auth run commands or fetch URLs it names.
    if kind not in ("service_account", "authorized_user"):
        raise DestinationConfigError(
            _DESTINATION,
            f"credentials of type {kind!r} are not taken from a secret: use a "
            "service_account key or an authorized_user refresh token, or application "
            "default credentials (GOOGLE_APPLICATION_CREDENTIALS) for other types",
        )
    try:
        if kind == "service_account":
            service = google.oauth2.service_account.Credentials
            return service.from_service_account_info(info, scopes=[SCOPE])  # type: ignore[no-untyped-call]
        return google.oauth2.credentials.Credentials.from_authorized_user_info(  # type: ignore[no-untyped-call]
            info, scopes=[SCOPE]
        )
    except (ValueError, KeyError):
        raise DestinationConfigError(
            _DESTINATION, f"credentials of type {kind!r} could not be loaded"
        ) from None


class TokenSource:
    """Hands out a valid access token, refreshing the credentials when needed."""

    def __init__(
        self,
        credentials: google.auth.credentials.Credentials,
        request: google.auth.transport.Request | None = None,
    ) -> None:
        self._credentials = credentials
        self._request = request or google.auth.transport.requests.Request()
        self._lock = asyncio.Lock()
        self.refreshes = 0

    @property
    def refreshable(self) -> bool:
        """False for a bare access token: nothing to mint a new one from."""
        credentials = self._credentials
        if isinstance(credentials, google.oauth2.credentials.Credentials):
            return credentials.refresh_token is not None
        return True

    async def token(self, *, force: bool = False) -> str:
        """A token valid for a few minutes at least.

        Raises:
            DestinationAuthError: The token endpoint refused to refresh.
        """
        async with self._lock:
            credentials = self._credentials
            stale = force or credentials.token_state != TokenState.FRESH
            if stale and self.refreshable:
                try:
                    await asyncio.to_thread(credentials.refresh, self._request)
                except google.auth.exceptions.TransportError as exc:
                    raise DestinationTransportError(
                        _DESTINATION, f"token refresh failed: {type(exc.__cause__).__name__}"
                    ) from None
                except google.auth.exceptions.RefreshError as exc:
                    raise DestinationAuthError(
                        _DESTINATION,
                        "token refresh",
                        401,
                        "Google refused to refresh the access token "
                        f"({redact(str(exc), 200)}): issue a new service-account key or "
                        "refresh token and set it as the destination's secret",
                    ) from None
                self.refreshes += 1
            token = credentials.token
            if not token:
                raise DestinationAuthError(_DESTINATION, "token refresh", 401, "no access token")
            return str(token)
