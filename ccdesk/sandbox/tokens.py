"""Bearer tokens the sandbox accepts: fixed ones (for scripts) and ones its OAuth server issues (with expiry).

Issued tokens are JWTs (jwt.py) as Constant Contact's are; validity is still decided here (known, not expired,
not revoked), never from the token's own claims.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .jwt import JwtSigner


@dataclass
class IssuedToken:
    token: str
    expires_at: float  # clock() seconds; float("inf") for fixed tokens
    scope: str = "contact_data"
    client_id: str = ""


@dataclass
class TokenRegistry:
    """Which access tokens are valid right now.

    `clock` is injectable so tests can make tokens expire without sleeping.
    """

    clock: Callable[[], float] = time.time
    _tokens: dict[str, IssuedToken] = field(default_factory=dict)
    # The sandbox's OAuth server (ccdesk.sandbox.oauth.OAuthServer) once its routes are built, so tests holding
    # the registry can reach its controls (approve a device code, invalidate refresh tokens, count requests).
    oauth: Any = field(default=None, repr=False, compare=False)
    signer: JwtSigner = field(default_factory=JwtSigner, repr=False, compare=False)
    issuer: str = ""  # the `iss` claim: set by SandboxServer once its address is known

    def add_fixed(self, token: str, scope: str = "contact_data") -> None:
        """A token that never expires (the `--token T` flag)."""
        self._tokens[token] = IssuedToken(token, float("inf"), scope)

    def issue(self, lifetime_s: float, scope: str = "contact_data", client_id: str = "") -> IssuedToken:
        now = self.clock()
        jwt = self.signer.access_token(issued_at=now, expires_at=now + lifetime_s, scope=scope, client_id=client_id,
                                       issuer=self.issuer)
        tok = IssuedToken(jwt, now + lifetime_s, scope, client_id)
        self._tokens[tok.token] = tok
        return tok

    def lookup(self, token: str) -> IssuedToken | None:
        """The token if it is known and not expired, else None."""
        tok = self._tokens.get(token)
        if tok is None or tok.expires_at <= self.clock():
            return None
        return tok

    def revoke(self, token: str) -> None:
        self._tokens.pop(token, None)

    def expire_all(self) -> None:
        """Fault injection: every token issued so far is now expired (fixed ones too)."""
        now = self.clock()
        for tok in self._tokens.values():
            tok.expires_at = min(tok.expires_at, now)
