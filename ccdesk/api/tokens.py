"""How the API client gets its bearer token, without knowing how sign-in works."""

from __future__ import annotations

from typing import Protocol


class TokenProvider(Protocol):
    """Supplies access tokens to the API client.

    The client calls `access_token()` before each request. When the server answers 401 the client calls
    `refresh(rejected)` once with the token it used; the provider returns a fresh token (refreshing at most once
    for many concurrent callers), or raises `ccdesk.api.errors.SignInRequired` when only a new sign-in helps.
    """

    async def access_token(self) -> str: ...

    async def refresh(self, rejected: str) -> str: ...


class StaticTokenProvider:
    """A fixed token (scripts, tests, a sandbox started with --token)."""

    def __init__(self, token: str) -> None:
        self._token = token

    async def access_token(self) -> str:
        return self._token

    async def refresh(self, rejected: str) -> str:
        from .errors import SignInRequired

        raise SignInRequired("The access token was rejected and cannot be refreshed: sign in again.")
