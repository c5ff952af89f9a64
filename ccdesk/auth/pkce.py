"""PKCE (RFC 7636, S256 only) and the `state` value that ties a browser callback to one sign-in attempt."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass, field


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def new_code_verifier(n_bytes: int = 64) -> str:
    """A high-entropy verifier: 64 random bytes give 86 base64url characters (RFC 7636 allows 43-128)."""
    if not 32 <= n_bytes <= 96:
        raise ValueError("n_bytes must be between 32 and 96 (43-128 characters)")
    return _b64url(secrets.token_bytes(n_bytes))


def code_challenge(verifier: str) -> str:
    """BASE64URL(SHA256(verifier)) without padding: the S256 method, the only one Constant Contact takes."""
    return _b64url(hashlib.sha256(verifier.encode("ascii")).digest())


def new_state() -> str:
    """An unguessable value the authorization server echoes back; it defeats forged (CSRF) callbacks."""
    return secrets.token_urlsafe(32)


def states_match(expected: str, received: str | None) -> bool:
    """Constant-time comparison, so the time a wrong guess takes says nothing about the right value."""
    if not received:
        return False
    return hmac.compare_digest(expected.encode("utf-8"), received.encode("utf-8", "replace"))


@dataclass(frozen=True)
class PkcePair:
    verifier: str = field(repr=False)
    challenge: str
    method: str = "S256"

    @classmethod
    def new(cls) -> PkcePair:
        verifier = new_code_verifier()
        return cls(verifier, code_challenge(verifier))
