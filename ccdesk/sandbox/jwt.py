"""JWT-shaped access tokens, as Constant Contact issues them (reference §1: "`access_token` (JWT)"; the docs
recommend decoding it to read its expiry).

Signed HS256 with a random key per sandbox instance, never published: a client may decode the claims (base64url
JSON, as integrations do to read `exp`) but cannot verify the signature, and must not need to. The sandbox
itself still decides validity from its TokenRegistry (expiry, revocation, `expire_all`), exactly as for opaque
tokens; the signature only makes a tampered token unknown. Claims: `ver`, `jti`, `iss` (when known), `iat`,
`exp`, `cid` (client id), `sub` (the signed-in user), `scope` (space-delimited, as the token response) and `scp`
(the same as a list, as Okta writes it).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from typing import Any

SANDBOX_USER = "sbx-user-0001"  # the one user who signs in to the sandbox (also the id token's `sub`)


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class JwtSigner:
    """Signs and reads the sandbox's access tokens."""

    def __init__(self, key: bytes | None = None, kid: str = "sandbox-at") -> None:
        self._key = key if key is not None else secrets.token_bytes(32)
        self.kid = kid

    def sign(self, claims: dict[str, Any]) -> str:
        header = b64url(json.dumps({"alg": "HS256", "typ": "JWT", "kid": self.kid}, separators=(",", ":")).encode())
        payload = b64url(json.dumps(claims, separators=(",", ":")).encode())
        mac = hmac.new(self._key, f"{header}.{payload}".encode(), hashlib.sha256).digest()
        return f"{header}.{payload}.{b64url(mac)}"

    def access_token(self, *, issued_at: float, expires_at: float, scope: str, client_id: str,
                     issuer: str = "") -> str:
        claims: dict[str, Any] = {"ver": 1, "jti": "AT." + secrets.token_urlsafe(16)}
        if issuer:
            claims["iss"] = issuer
        claims.update({"iat": int(issued_at), "exp": int(expires_at), "cid": client_id, "sub": SANDBOX_USER,
                       "scope": scope, "scp": scope.split()})
        return self.sign(claims)

    def claims(self, token: str) -> dict[str, Any] | None:
        """The claims of a token this signer made (signature checked), else None."""
        parts = token.split(".")
        if len(parts) != 3:
            return None
        header, payload, signature = parts
        mac = hmac.new(self._key, f"{header}.{payload}".encode(), hashlib.sha256).digest()
        try:
            if not hmac.compare_digest(_unb64url(signature), mac):
                return None
            claims = json.loads(_unb64url(payload))
        except ValueError:
            return None
        return claims if isinstance(claims, dict) else None


def unverified_claims(token: str) -> dict[str, Any]:
    """What any client can read from a JWT without the key (ValueError if it is not one)."""
    parts = token.split(".")
    if len(parts) != 3:
        raise ValueError("not a JWT")
    claims = json.loads(_unb64url(parts[1]))
    if not isinstance(claims, dict):
        raise ValueError("not a JWT")
    return claims
