"""Fake Google OAuth 2.0 token endpoint (`POST /token`), as RFC 6749 and Google's
"Using OAuth 2.0 for Server to Server Applications" describe it.

- `grant_type=refresh_token` with client_id, client_secret and refresh_token (an
  authorized-user credential);
- `grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer` with a JWT `assertion` signed
  RS256 by a service account's key: its signature is checked with the public key, its
  `aud` must be Google's token endpoint (whatever address it was posted to), its `scope`
  the Data Manager scope.

Success: `{"access_token", "expires_in", "scope", "token_type": "Bearer"}`. Failure:
HTTP 400 `{"error": "invalid_grant", "error_description": ...}` (or `invalid_client`,
401). Issued tokens live `lifetime_s` by the clock handed in, which the fake Data
Manager API reads too (`valid`).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

from tests.fakes.server import FakeApi, Reply, Request

SCOPE = "https://www.googleapis.com/auth/datamanager"
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
AUDIENCE = "https://oauth2.googleapis.com/token"


def _b64url(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


class FakeGoogleOAuth(FakeApi):
    def __init__(self, now: Callable[[], float], lifetime_s: int = 3599) -> None:
        super().__init__()
        self.now = now
        self.lifetime_s = lifetime_s
        self.clients: dict[str, str] = {}
        """client_id -> client_secret."""
        self.refresh_tokens: set[str] = set()
        self.service_accounts: dict[str, Any] = {}
        """client_email -> public key (a `cryptography` RSA public key)."""
        self.issued: dict[str, float] = {}
        """access token -> when it expires."""
        self.grants: list[str] = []

    @property
    def token_uri(self) -> str:
        return f"{self.url}/token"

    def valid(self, token: str) -> bool:
        expires = self.issued.get(token)
        return expires is not None and self.now() < expires

    def revoke_all(self) -> None:
        """Access tokens die early (a password change, an admin's revocation)."""
        self.issued.clear()

    def route(self, request: Request) -> Reply:
        self.require(request.method == "POST" and request.path == "/token", "no route", 404)
        form = request.form()
        grant = form.get("grant_type", "")
        if grant == "refresh_token":
            if self.clients.get(form.get("client_id", "")) != form.get("client_secret"):
                return Reply(401, {"error": "invalid_client", "error_description": "Unauthorized"})
            if form.get("refresh_token") not in self.refresh_tokens:
                return self._invalid_grant("Token has been expired or revoked.")
            scope = form.get("scope")
            self.require(scope in (None, SCOPE), f"scope {scope}")
        elif grant == JWT_BEARER:
            problem = self._check_assertion(form.get("assertion", ""))
            if problem:
                return self._invalid_grant(problem)
        else:
            return Reply(400, {"error": "unsupported_grant_type", "error_description": grant})
        self.grants.append(grant)
        token = f"ya29.fake-{len(self.issued) + len(self.grants)}"
        self.issued[token] = self.now() + self.lifetime_s
        return Reply(
            200,
            {
                "access_token": token,
                "expires_in": self.lifetime_s,
                "scope": SCOPE,
                "token_type": "Bearer",
            },
        )

    def _invalid_grant(self, description: str) -> Reply:
        return Reply(400, {"error": "invalid_grant", "error_description": description})

    def _check_assertion(self, assertion: str) -> str | None:
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding

        parts = assertion.split(".")
        if len(parts) != 3:
            return "Invalid JWT."
        header, claims = json.loads(_b64url(parts[0])), json.loads(_b64url(parts[1]))
        self.require(header.get("alg") == "RS256", "JWT alg must be RS256")
        key = self.service_accounts.get(claims.get("iss", ""))
        if key is None:
            return "Invalid grant: account not found"
        try:
            key.verify(
                _b64url(parts[2]),
                f"{parts[0]}.{parts[1]}".encode(),
                padding.PKCS1v15(),
                hashes.SHA256(),
            )
        except InvalidSignature:
            return "Invalid JWT Signature."
        self.require(claims.get("aud") == AUDIENCE, f"aud {claims.get('aud')}")
        self.require(claims.get("scope") == SCOPE, f"scope {claims.get('scope')}")
        if not claims.get("iat", 0) - 300 <= self.now() <= claims.get("exp", 0):
            return "Invalid JWT: Token must be a short-lived token and in a reasonable timeframe."
        return None
