"""The signed-in session: hands the API client a valid access token and renews it (ccdesk.api.tokens.TokenProvider).

- Refreshes proactively `refresh_margin` (5 min) before expiry, and when the API answered 401 (`refresh(rejected)`).
- Single flight: however many requests need a new token at once, one refresh request is made; every caller awaits
  the same in-flight task (its outcome, success or error, is shared). A caller whose `rejected` token was already
  replaced simply gets the current one. The task is shielded: a caller that gives up does not abort a refresh
  whose rotated token the server has already issued.
- Rotating refresh tokens: the new TokenSet is saved to the store before it replaces the old one in memory. If the
  save fails the session keeps working on the new tokens (the old refresh token is dead anyway) and listeners get
  a "save_failed" event.
- invalid_grant (or any other OAuth refusal): the store is cleared, listeners get "signed_out", SignInRequired is
  raised. Network trouble or a 5xx raise retryable NetworkError/ServerError instead: a new sign-in would not help.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

import httpx

from ccdesk.api.errors import ApiError, SignInRequired

from .config import AuthConfig
from .endpoint import OAuthEndpoint
from .errors import OAuthServerError
from .token_store import MemoryTokenStore, TokenStore, TokenStoreError
from .tokenset import TokenSet

log = logging.getLogger(__name__)

DEFAULT_REFRESH_MARGIN = timedelta(minutes=5)

EventKind = Literal["signed_in", "refreshed", "signed_out", "save_failed"]


@dataclass(frozen=True)
class SessionEvent:
    kind: EventKind
    message: str


SessionListener = Callable[[SessionEvent], None]


def _utcnow() -> datetime:
    return datetime.now(UTC)


class AuthSession:
    """Implements TokenProvider for one signed-in account. Create with `restore()` at start-up or after sign-in."""

    def __init__(self, config: AuthConfig, store: TokenStore, tokens: TokenSet | None = None, *,
                 http: httpx.AsyncClient | None = None, now: Callable[[], datetime] = _utcnow,
                 refresh_margin: timedelta = DEFAULT_REFRESH_MARGIN) -> None:
        self.config = config
        self.store = store
        self._tokens = tokens
        self._endpoint = OAuthEndpoint(config, http=http)
        self._now = now
        self.refresh_margin = refresh_margin
        self._inflight: asyncio.Future[TokenSet] | None = None
        self._listeners: list[SessionListener] = []
        self.refresh_count = 0  # refresh requests actually sent

    @classmethod
    async def restore(cls, config: AuthConfig, store: TokenStore, *, http: httpx.AsyncClient | None = None,
                      now: Callable[[], datetime] = _utcnow,
                      refresh_margin: timedelta = DEFAULT_REFRESH_MARGIN) -> AuthSession:
        """A session from the stored sign-in (signed out if there is none or the store cannot be read)."""
        try:
            tokens = await store.aload()
        except TokenStoreError as exc:
            log.warning("Could not read the saved sign-in: %s", exc.message)
            tokens = None
        log.info("Restored %s from the %s", "a sign-in" if tokens else "no sign-in", store.backend_name())
        return cls(config, store, tokens, http=http, now=now, refresh_margin=refresh_margin)

    async def aclose(self) -> None:
        await self._endpoint.aclose()

    # ---- state ---------------------------------------------------------------------------------------------------

    @property
    def signed_in(self) -> bool:
        return self._tokens is not None

    @property
    def tokens(self) -> TokenSet | None:
        """The current TokenSet (its repr hides the values)."""
        return self._tokens

    def add_listener(self, listener: SessionListener) -> None:
        self._listeners.append(listener)

    def remove_listener(self, listener: SessionListener) -> None:
        with contextlib.suppress(ValueError):
            self._listeners.remove(listener)

    async def sign_in(self, tokens: TokenSet) -> bool:
        """Start using a fresh sign-in. Returns whether it was saved for next time.

        When the keyring refuses, the session falls back to memory for this run and emits "save_failed".
        """
        self._tokens = tokens
        saved = await self._save(tokens)
        if not saved:
            self.store = MemoryTokenStore()
            await self.store.asave(tokens)
        self._emit("signed_in", "Signed in to Constant Contact." if saved else
                   "Signed in for this session only: the sign-in could not be saved to the system keyring.")
        return saved

    async def sign_out(self, message: str = "You signed out of Constant Contact.") -> None:
        self._tokens = None
        await self._clear_store()
        self._emit("signed_out", message)

    # ---- TokenProvider ---------------------------------------------------------------------------------------------

    async def access_token(self) -> str:
        current = self._require()
        if not current.expires_within(self.refresh_margin, self._now()):
            return current.access_token
        try:
            return await self._refresh(current.access_token)
        except ApiError as exc:
            if exc.retryable and self._tokens is current and current.expires_at > self._now():
                log.info("Early refresh failed (%s); the current token is still valid, using it",
                         type(exc).__name__)
                return current.access_token
            raise

    async def refresh(self, rejected: str) -> str:
        return await self._refresh(rejected)

    # ---- refresh ---------------------------------------------------------------------------------------------------

    async def _refresh(self, rejected: str) -> str:
        current = self._require()
        if current.access_token != rejected and not current.expires_within(self.refresh_margin, self._now()):
            return current.access_token  # someone else refreshed since `rejected` was handed out
        if self._inflight is None:
            self._inflight = asyncio.ensure_future(self._do_refresh(current))
            self._inflight.add_done_callback(self._refresh_done)
        tokens = await asyncio.shield(self._inflight)
        return tokens.access_token

    def _refresh_done(self, task: asyncio.Future[TokenSet]) -> None:
        if self._inflight is task:
            self._inflight = None
        if not task.cancelled():
            task.exception()  # retrieved here, so an error nobody awaited is not reported as lost

    async def _do_refresh(self, current: TokenSet) -> TokenSet:
        if not current.refresh_token:
            await self._signed_out_by_server("Your Constant Contact sign-in has expired. Please sign in again.")
            raise SignInRequired("Your Constant Contact sign-in has expired. Please sign in again.")
        log.info("Refreshing the access token (it expires at %s)", current.expires_at.isoformat())
        self.refresh_count += 1
        try:
            body = await self._endpoint.token({"grant_type": "refresh_token",
                                               "refresh_token": current.refresh_token})
        except OAuthServerError as exc:
            log.warning("The sign-in server refused the refresh: %s", exc.error)
            message = ("Your Constant Contact sign-in has expired or was revoked. Please sign in again."
                       if exc.error == "invalid_grant" else
                       f"Constant Contact refused to renew the sign-in ({exc.error}). Please sign in again.")
            await self._signed_out_by_server(message)
            raise SignInRequired(message, status=exc.status, error_key=exc.error) from None
        fresh = TokenSet.from_token_response(body, self._now(), previous=current)
        rotated = fresh.refresh_token != current.refresh_token
        if self._tokens is not current:  # signed out, or in again, while the request was out: drop the result
            if self._tokens is None:
                raise SignInRequired("You signed out of Constant Contact.")
            return self._tokens
        await self._save(fresh)  # before the old tokens are let go: a rotated refresh token must not be lost
        self._tokens = fresh
        log.info("Refreshed the access token; it now expires at %s (refresh token %s)",
                 fresh.expires_at.isoformat(), "rotated" if rotated else "unchanged")
        self._emit("refreshed", "The Constant Contact sign-in was renewed.")
        return fresh

    async def _signed_out_by_server(self, message: str) -> None:
        self._tokens = None
        await self._clear_store()
        self._emit("signed_out", message)

    # ---- helpers -----------------------------------------------------------------------------------------------

    def _require(self) -> TokenSet:
        if self._tokens is None:
            raise SignInRequired("You are not signed in to Constant Contact.")
        return self._tokens

    async def _save(self, tokens: TokenSet) -> bool:
        try:
            await self.store.asave(tokens)
            return True
        except TokenStoreError as exc:
            self._emit("save_failed", f"The sign-in could not be saved: {exc.message} You will need to sign in "
                       "again after restarting ccdesk.")
            return False

    async def _clear_store(self) -> None:
        try:
            await self.store.aclear()
        except TokenStoreError as exc:
            log.warning("Could not remove the saved sign-in: %s", exc.message)

    def _emit(self, kind: EventKind, message: str) -> None:
        event = SessionEvent(kind, message)
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception:
                log.exception("A session listener failed on %s", kind)
