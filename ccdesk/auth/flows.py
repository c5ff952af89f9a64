"""Signing in: Authorization Code + PKCE through the system browser (the normal way), and the device flow.

Both are public-client flows: ccdesk ships to desktops, so it has no client secret (reference §1: PKCE is what
Constant Contact recommends for desktop apps). Neither function logs a token.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal, TypeVar
from urllib.parse import urlencode

import httpx

from ccdesk.api.errors import ApiError, MalformedResponse
from ccdesk.events import Event

from .config import AuthConfig
from .endpoint import OAuthEndpoint
from .errors import OAuthServerError, SignInCancelled, SignInDenied, SignInError, SignInTimeout
from .loopback import LoopbackListener
from .pkce import PkcePair, new_state
from .tokenset import TokenSet

log = logging.getLogger(__name__)

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
DEFAULT_BROWSER_TIMEOUT_S = 300.0
MAX_POLL_FAILURES = 3
E = TypeVar("E", bound=ApiError)


def utcnow() -> datetime:
    return datetime.now(UTC)


def authorize_url(config: AuthConfig, redirect_uri: str, state: str, pkce: PkcePair) -> str:
    query = urlencode({
        "client_id": config.client_id,
        "redirect_uri": redirect_uri,
        "response_type": "code",
        "scope": config.scope,
        "state": state,
        "code_challenge": pkce.challenge,
        "code_challenge_method": pkce.method,
    })
    return f"{config.authorize_url}?{query}"


async def sign_in_pkce(config: AuthConfig, open_browser: Callable[[str], object], *,
                       timeout_s: float = DEFAULT_BROWSER_TIMEOUT_S, http: httpx.AsyncClient | None = None,
                       now: Callable[[], datetime] = utcnow) -> TokenSet:
    """Open the consent page in the browser, wait for its redirect to 127.0.0.1, exchange the code.

    `open_browser(url)` is called once (the UI passes QDesktopServices.openUrl; show the URL too, in case no
    browser opens: a False return is logged, not fatal). Cancel by cancelling the task: the listener closes.
    Raises SignInError subclasses (denied, timeout, state mismatch, refused) or NetworkError.
    """
    pkce, state = PkcePair.new(), new_state()
    async with LoopbackListener(state, port=config.redirect_port, path=config.redirect_path,
                                timeout_s=timeout_s, host_name=config.redirect_host) as listener:
        redirect_uri = listener.redirect_uri
        try:
            opened = open_browser(authorize_url(config, redirect_uri, state, pkce))
        except Exception as exc:
            raise SignInError(f"ccdesk could not open the web browser ({type(exc).__name__}).") from exc
        if opened is False:
            log.warning("The browser did not confirm it opened the sign-in page; waiting anyway")
        code = await listener.wait()
    endpoint = OAuthEndpoint(config, http=http)
    try:
        body = await endpoint.token({"grant_type": "authorization_code", "code": code,
                                     "redirect_uri": redirect_uri, "code_verifier": pkce.verifier})
    except OAuthServerError as exc:
        raise OAuthServerError(f"Constant Contact did not accept the sign-in ({exc.description or exc.error}). "
                               "Please try again.", error=exc.error, description=exc.description,
                               status=exc.status) from None
    finally:
        await endpoint.aclose()
    tokens = _checked(config, TokenSet.from_token_response(body, now()))
    log.info("Signed in with the browser (scope %r, refresh token: %s)", tokens.scope,
             "yes" if tokens.refresh_token else "no")
    return tokens


def _checked(config: AuthConfig, tokens: TokenSet) -> TokenSet:
    if tokens.scope and "contact_data" in config.scopes and "contact_data" not in tokens.scopes:
        raise SignInError("The sign-in did not grant access to contacts (scope contact_data). Ask the account "
                          "owner to allow it, then sign in again.")
    if "offline_access" in config.scopes and not tokens.refresh_token:
        log.warning("No refresh token was issued: the sign-in will last until the access token expires")
    return tokens


@dataclass(frozen=True)
class DeviceCode:
    """What the user needs to see: the code and where to enter it."""

    user_code: str
    verification_uri: str
    verification_uri_complete: str | None
    expires_in: float
    interval: float
    device_code: str = field(repr=False)


DeviceStatus = Literal["new", "waiting", "slowed_down", "done", "denied", "expired", "cancelled", "failed"]


class DeviceFlow:
    """RFC 8628 device authorization, for when no browser can reach this computer's loopback address.

        flow = DeviceFlow(config, on_update=...)
        code = await flow.start()          # show code.user_code, code.verification_uri(_complete)
        tokens = await flow.wait()         # polls; flow.seconds_left() drives a countdown; flow.cancel() stops

    Polling honours `interval`, adds 5 s on slow_down, keeps going on authorization_pending, and stops on
    expired_token (SignInTimeout), access_denied (SignInDenied) or cancel() (SignInCancelled).
    `sleep` and `clock` are injectable so tests need not wait.
    """

    def __init__(self, config: AuthConfig, *, http: httpx.AsyncClient | None = None,
                 sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
                 clock: Callable[[], float] = time.monotonic, now: Callable[[], datetime] = utcnow,
                 on_update: Callable[[DeviceFlow], None] | None = None) -> None:
        self.config = config
        self._endpoint = OAuthEndpoint(config, http=http)
        self._sleep, self._clock, self._now = sleep, clock, now
        self.updated = Event()  # (DeviceFlow) its status changed
        if on_update is not None:
            self.updated.connect(on_update)
        self._cancelled = asyncio.Event()
        self._expires_at = 0.0
        self.code: DeviceCode | None = None
        self.interval = 5.0
        self.status: DeviceStatus = "new"
        self.polls = 0

    async def aclose(self) -> None:
        """Release the HTTP client (wait() does it itself; call this if you drop the flow before waiting)."""
        await self._endpoint.aclose()

    async def start(self) -> DeviceCode:
        try:
            body = await self._endpoint.device_authorize()
        except OAuthServerError as exc:
            await self._endpoint.aclose()
            reason = exc.description or exc.error
            raise OAuthServerError(f"Constant Contact refused to start a device sign-in ({reason}). The app may not "
                                   "be set up for the device flow: Constant Contact needs an app registered for "
                                   "it, with its own API key (`ccdesk sign-in --device --client-id KEY`, or "
                                   "Settings in the window).", error=exc.error, description=exc.description,
                                   status=exc.status) from None
        except ApiError:
            await self._endpoint.aclose()
            raise
        try:
            self.code = DeviceCode(
                user_code=str(body["user_code"]), verification_uri=str(body["verification_uri"]),
                verification_uri_complete=body.get("verification_uri_complete"),
                expires_in=float(body.get("expires_in", 600)), interval=float(body.get("interval", 5)),
                device_code=str(body["device_code"]))
        except (KeyError, TypeError, ValueError):
            raise MalformedResponse("The sign-in server's device answer is incomplete.") from None
        self.interval = max(self.code.interval, 1.0)
        self._expires_at = self._clock() + self.code.expires_in
        self._set("waiting")
        log.info("Device sign-in started; the code expires in %.0f s", self.code.expires_in)
        return self.code

    def seconds_left(self) -> float:
        return max(0.0, self._expires_at - self._clock()) if self.code else 0.0

    def cancel(self) -> None:
        self._cancelled.set()

    async def wait(self) -> TokenSet:
        if self.code is None:
            raise RuntimeError("call start() first")
        failures = 0
        try:
            while True:
                await self._pause(self.interval)
                if self.seconds_left() <= 0:
                    raise self._finish("expired", SignInTimeout(
                        "The sign-in code expired before it was approved. Start the sign-in again."))
                self.polls += 1
                try:
                    body = await self._endpoint.token({"grant_type": DEVICE_GRANT,
                                                       "device_code": self.code.device_code})
                except OAuthServerError as exc:
                    failures = 0
                    if exc.error == "authorization_pending":
                        continue
                    if exc.error == "slow_down":
                        self.interval += 5
                        log.info("The sign-in server asked to poll slower: every %.0f s now", self.interval)
                        self._set("slowed_down")
                        continue
                    raise self._device_error(exc) from None
                except ApiError as exc:  # network trouble or a 5xx: keep polling a few times (RFC 8628 §3.5)
                    failures += 1
                    if not exc.retryable or failures >= MAX_POLL_FAILURES:
                        raise self._finish("failed", exc) from None
                    log.info("Device sign-in poll failed (%s); trying again", type(exc).__name__)
                    continue
                tokens = _checked(self.config, TokenSet.from_token_response(body, self._now()))
                self._set("done")
                log.info("Signed in with a device code after %d polls", self.polls)
                return tokens
        finally:
            await self._endpoint.aclose()

    async def run(self, on_code: Callable[[DeviceCode], None]) -> TokenSet:
        """start(), hand the code to `on_code`, then wait()."""
        on_code(await self.start())
        return await self.wait()

    async def _pause(self, seconds: float) -> None:
        """Sleep, or stop at once when cancel() is called."""
        if self._cancelled.is_set():
            raise self._finish("cancelled", SignInCancelled("Sign-in cancelled."))
        sleeper = asyncio.ensure_future(self._sleep(seconds))
        canceller = asyncio.ensure_future(self._cancelled.wait())
        try:
            await asyncio.wait({sleeper, canceller}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (sleeper, canceller):
                task.cancel()
        if self._cancelled.is_set():
            raise self._finish("cancelled", SignInCancelled("Sign-in cancelled."))

    def _device_error(self, exc: OAuthServerError) -> SignInError:
        if exc.error == "access_denied":
            return self._finish("denied", SignInDenied("You declined access on the verification page.",
                                                      error_key=exc.error))
        if exc.error == "expired_token":
            return self._finish("expired", SignInTimeout(
                "The sign-in code expired before it was approved. Start the sign-in again.", error_key=exc.error))
        return self._finish("failed", OAuthServerError(
            f"Constant Contact could not complete the device sign-in ({exc.description or exc.error}).",
            error=exc.error, description=exc.description, status=exc.status))

    def _finish(self, status: DeviceStatus, error: E) -> E:
        self._set(status)
        return error

    def _set(self, status: DeviceStatus) -> None:
        self.status = status
        self.updated.emit(self)
