"""The signed-in session: hands the API client a valid access token and renews it (ccdesk.api.tokens.TokenProvider).

- Refreshes proactively `refresh_margin` (5 min) before expiry, and when the API answered 401 (`refresh(rejected)`).
- Single flight: however many requests need a new token at once, one refresh request is made; every caller awaits
  the same in-flight task (its outcome, success or error, is shared). A caller whose `rejected` token was already
  replaced simply gets the current one. The task is shielded: a caller that gives up does not abort a refresh
  whose rotated token the server has already issued.
- Rotating refresh tokens: the new TokenSet is saved to the store before it replaces the old one in memory. If the
  save fails the session keeps working on the new tokens (the old refresh token is dead anyway) and listeners get
  a "save_failed" event.
- One chain per desk, shared by every process (the window, scheduled commands): a refresh runs under a
  desk-wide file lock (chain_lock.py). Holding it, the session re-reads the keyring first and uses a newer set
  another process saved instead of spending its own (already rotated) refresh token; a keyring that does not
  answer is asked again for a moment first, since where a reused refresh token ends the chain (Okta) spending a
  rotated one would sign every process out.
- invalid_grant / invalid_client: re-read once and retry with a newer set if there is one; otherwise the chain is
  gone: the store is cleared only if it still holds the set that failed, listeners get "signed_out", and
  SignInRequired says what to do. A 429, 5xx or `temporarily_unavailable` is temporary: asked again a few times,
  then a retryable error; the session stays signed in. Other OAuth refusals raise OAuthServerError, signed in.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, NoReturn

import httpx

from ccdesk.api.errors import ApiError, NetworkError, ServerError, SignInRequired, Throttled
from ccdesk.events import Event

from .chain_lock import ChainLock, ChainLockTimeout, NoLock
from .config import AuthConfig
from .endpoint import OAuthEndpoint
from .errors import OAuthServerError
from .token_store import MemoryTokenStore, TokenStore, TokenStoreError
from .tokenset import TokenSet

log = logging.getLogger(__name__)

REREAD_PAUSES_S = (0.2, 0.5, 1.0)  # a refresh waits this long for an unreadable store before spending its own set

DEFAULT_REFRESH_MARGIN = timedelta(minutes=5)
TEMPORARY_ATTEMPTS = 4
SIGN_OUT_ERRORS = ("invalid_grant", "invalid_client")
HOW_TO_SIGN_IN = ("Please sign in again: in the ccdesk window, or with `ccdesk sign-in` (`ccdesk sign-in --device` "
                  "on a computer without a browser).")
EXPIRED = "Your Constant Contact sign-in has expired. " + HOW_TO_SIGN_IN
GONE = ("Your Constant Contact sign-in has ended: it expired or was revoked (a new sign-in with the same app "
        "elsewhere ends earlier ones; so do 180 days without use). " + HOW_TO_SIGN_IN)

EventKind = Literal["signed_in", "refreshed", "signed_out", "save_failed"]


@dataclass(frozen=True)
class SessionEvent:
    kind: EventKind
    message: str


def _utcnow() -> datetime:
    return datetime.now(UTC)


def default_lock(session: AuthSession) -> Any:
    """The desk-wide lock for a store other processes read too (the keyring); none for memory."""
    return ChainLock(session.config.client_id) if session.store.persistent else NoLock()


class AuthSession:
    """Implements TokenProvider for one signed-in account. Create with `restore()` at start-up or after sign-in."""

    def __init__(self, config: AuthConfig, store: TokenStore, tokens: TokenSet | None = None, *,
                 http: httpx.AsyncClient | None = None, now: Callable[[], datetime] = _utcnow,
                 refresh_margin: timedelta = DEFAULT_REFRESH_MARGIN,
                 lock: Callable[[AuthSession], Any] = default_lock,
                 sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep) -> None:
        self.config = config
        self.store = store
        self._tokens = tokens
        self._endpoint = OAuthEndpoint(config, http=http)
        self._now = now
        self.refresh_margin = refresh_margin
        self._inflight: asyncio.Future[TokenSet] | None = None
        self.events = Event()  # (SessionEvent) signed in, refreshed, signed out, could not save
        self.refresh_count = 0  # refresh requests actually sent
        self.store_problem: str | None = None  # why the keyring could not be read or written, in plain words
        self._lock_factory = lock
        self._sleep = sleep

    @classmethod
    async def restore(cls, config: AuthConfig, store: TokenStore, *, http: httpx.AsyncClient | None = None,
                      now: Callable[[], datetime] = _utcnow,
                      refresh_margin: timedelta = DEFAULT_REFRESH_MARGIN, **kw: Any) -> AuthSession:
        """A session from the stored sign-in (signed out if there is none or the store cannot be read)."""
        problem = None
        try:
            tokens = await store.aload()
        except TokenStoreError as exc:
            log.warning("Could not read the saved sign-in: %s", exc.message)
            tokens, problem = None, exc.message
        log.info("Restored %s from the %s", "a sign-in" if tokens else "no sign-in", store.backend_name())
        session = cls(config, store, tokens, http=http, now=now, refresh_margin=refresh_margin, **kw)
        session.store_problem = problem
        return session

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
            self._inflight = asyncio.ensure_future(self._do_refresh(current, rejected))
            self._inflight.add_done_callback(self._refresh_done)
        tokens = await asyncio.shield(self._inflight)
        return tokens.access_token

    def _refresh_done(self, task: asyncio.Future[TokenSet]) -> None:
        if self._inflight is task:
            self._inflight = None
        if not task.cancelled():
            task.exception()  # retrieved here, so an error nobody awaited is not reported as lost

    async def _do_refresh(self, current: TokenSet, rejected: str) -> TokenSet:
        """Renew under the desk-wide lock: another process may have renewed (and rotated) the chain already."""
        try:
            return await self._renew_locked(current, rejected)
        except ChainLockTimeout:
            raise NetworkError("Another ccdesk process on this computer has been renewing the Constant Contact "
                               "sign-in for too long; ccdesk will try again shortly. Nothing was lost.") from None

    async def _renew_locked(self, current: TokenSet, rejected: str) -> TokenSet:
        async with self._lock_factory(self):
            if self._tokens is not current:  # signed out, or in again, while waiting for the lock
                return self._require()
            readable, stored = await self._reread_patiently()
            if readable and stored is None and self.store.persistent:
                await self._ended_elsewhere()
            base = current
            if readable and stored is not None and stored != current and stored.expires_at >= current.expires_at:
                base = stored  # another process renewed the chain and saved the newer set
                if self._fresh(stored, rejected):
                    log.info("Another ccdesk process renewed the sign-in; using its tokens")
                    return self._adopt(stored, "refreshed")
            tried: set[str] = set()
            while True:
                if not base.refresh_token:
                    await self._chain_gone(base, EXPIRED)
                assert base.refresh_token is not None
                tried.add(base.refresh_token)
                try:
                    body = await self._token_request(base.refresh_token)
                except OAuthServerError as exc:
                    log.warning("The sign-in server refused the refresh: %s", exc.error)
                    if exc.error not in SIGN_OUT_ERRORS:
                        raise OAuthServerError(f"Constant Contact refused to renew the sign-in ({exc.error}). "
                                               "Try again later; if it persists, sign in again.", error=exc.error,
                                               description=exc.description, status=exc.status) from None
                    readable, again = await self._reread()  # saved by a process that did not wait for the lock?
                    if readable and again is not None and again.refresh_token not in tried:
                        base = again
                        if self._fresh(again, rejected):
                            return self._adopt(again, "refreshed")
                        continue
                    await self._chain_gone(base, GONE, exc)
                fresh = TokenSet.from_token_response(body, self._now(), previous=base)
                if self._tokens is not current:  # signed out, or in again, while the request was out: drop it
                    return self._require()
                await self._save(fresh)  # before the old tokens are let go: a rotated refresh token must not be lost
                log.info("Refreshed the access token; it now expires at %s (refresh token %s)",
                         fresh.expires_at.isoformat(), "rotated" if fresh.refresh_token != base.refresh_token
                         else "unchanged")
                return self._adopt(fresh, "refreshed")

    async def _token_request(self, refresh_token: str) -> dict[str, object]:
        """One refresh; a busy or briefly unavailable sign-in server is asked again a few times (1 s, 2 s, 4 s)."""
        delay = 1.0
        for attempt in range(1, TEMPORARY_ATTEMPTS + 1):
            self.refresh_count += 1
            try:
                return await self._endpoint.token({"grant_type": "refresh_token", "refresh_token": refresh_token})
            except (Throttled, ServerError) as exc:
                if attempt == TEMPORARY_ATTEMPTS:
                    raise
                log.info("The sign-in server is busy (%s); asking again in %.0f s", exc.error_key or exc.status,
                         delay)
                await self._sleep(delay)
                delay *= 2
        raise AssertionError("unreachable")

    def _fresh(self, tokens: TokenSet, rejected: str) -> bool:
        return tokens.access_token != rejected and not tokens.expires_within(self.refresh_margin, self._now())

    def _adopt(self, tokens: TokenSet, kind: EventKind) -> TokenSet:
        self._tokens = tokens
        self._emit(kind, "The Constant Contact sign-in was renewed.")
        return tokens

    async def _reread_patiently(self) -> tuple[bool, TokenSet | None]:
        """`_reread`, asked again a few times (0.2, 0.5, 1 s) while the store cannot be read (a busy Secret
        Service): spending a refresh token another process already rotated can end the whole chain for every
        process (Okta ends it on reuse: docs/sandbox.md), so the newest saved set is worth waiting a moment for."""
        readable, stored = await self._reread()
        for pause in REREAD_PAUSES_S:
            if readable or not self.store.persistent:
                break
            await self._sleep(pause)
            readable, stored = await self._reread()
        return readable, stored

    async def _reread(self) -> tuple[bool, TokenSet | None]:
        """(whether the store could be read, what it holds)."""
        try:
            return True, await self.store.aload()
        except TokenStoreError as exc:
            log.warning("Could not re-read the saved sign-in: %s", exc.message)
            return False, None

    async def _ended_elsewhere(self) -> NoReturn:
        message = ("This desk's saved Constant Contact sign-in was removed by another ccdesk process: someone signed "
                   "out (in the window or with `ccdesk sign-out`), or the sign-in has ended (a new sign-in with the "
                   "same app elsewhere ends earlier ones). " + HOW_TO_SIGN_IN)
        self._tokens = None
        self._emit("signed_out", message)
        raise SignInRequired(message)

    async def _chain_gone(self, failed: TokenSet, message: str, exc: OAuthServerError | None = None) -> NoReturn:
        """Sign out: forget the failed set here, and in the store only if the store still holds that very set."""
        readable, stored = await self._reread()
        if readable and stored is not None and stored.refresh_token == failed.refresh_token:
            await self._clear_store()
        self._tokens = None
        self._emit("signed_out", message)
        raise SignInRequired(message, status=exc.status if exc else None, error_key=exc.error if exc else None)

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
            self.store_problem = exc.message
            self._emit("save_failed", f"The sign-in could not be saved: {exc.message} You will need to sign in "
                       "again after restarting ccdesk.")
            return False

    async def _clear_store(self) -> None:
        try:
            await self.store.aclear()
        except TokenStoreError as exc:
            log.warning("Could not remove the saved sign-in: %s", exc.message)

    def _emit(self, kind: EventKind, message: str) -> None:
        self.events.emit(SessionEvent(kind, message))
