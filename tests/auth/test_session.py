"""AuthSession: renewing tokens against the sandbox (single flight, rotation persisted first, long-lived tokens,
invalid_grant), and what happens when the network or the keyring fails."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
import pytest_asyncio

from ccdesk.api.errors import NetworkError, ServerError, SignInRequired
from ccdesk.auth import (
    AuthConfig,
    AuthSession,
    KeyringTokenStore,
    MemoryTokenStore,
    SessionEvent,
    TokenSet,
    sign_in_pkce,
)

from .conftest import MemoryKeyring, Sandbox, ScriptedBrowser


class SpyStore(MemoryTokenStore):
    """Records, at each save, what was saved and what the session held in memory at that moment."""

    def __init__(self) -> None:
        super().__init__()
        self.session: AuthSession | None = None
        self.saves: list[tuple[TokenSet, TokenSet | None]] = []

    async def asave(self, tokens: TokenSet) -> None:
        self.saves.append((tokens, self.session.tokens if self.session else None))
        await super().asave(tokens)


async def _signed_in(sandbox: Sandbox, store: MemoryTokenStore, **kw: object) -> AuthSession:
    browser = ScriptedBrowser()
    config = sandbox.auth_config(**kw)
    tokens = await sign_in_pkce(config, browser.open, timeout_s=10, now=sandbox.clock.now)
    await asyncio.gather(*browser.tasks)
    session = AuthSession(config, store, now=sandbox.clock.now)
    await session.sign_in(tokens)
    return session


@pytest_asyncio.fixture
async def spy() -> AsyncIterator[SpyStore]:
    yield SpyStore()


@pytest.fixture(autouse=True, params=[False, True], ids=["new-sign-in-keeps-old", "new-sign-in-expires-old"])
def _new_sign_in_reading(request: pytest.FixtureRequest) -> None:
    """Every session test runs under both readings of "a new set of tokens expires the previous refresh tokens"
    (the sandbox's --new-sign-in-expires-old)."""
    if "sandbox" in request.fixturenames:
        request.getfixturevalue("sandbox").config.new_sign_in_expires_old = request.param


@pytest.mark.asyncio
async def test_expiry_mid_session_one_refresh_for_twenty_callers(sandbox: Sandbox, spy: SpyStore) -> None:
    session = await _signed_in(sandbox, spy)
    before = session.tokens
    assert before is not None
    assert await session.access_token() == before.access_token  # fresh: no refresh
    sandbox.clock.advance(86400 - 60)  # inside the 5-minute margin
    results = await asyncio.gather(*(session.access_token() for _ in range(20)))
    assert sandbox.oauth.token_requests["refresh_token"] == 1 and session.refresh_count == 1
    assert len(set(results)) == 1 and results[0] != before.access_token
    assert sandbox.tokens.lookup(results[0]) is not None
    await session.aclose()


@pytest.mark.asyncio
async def test_401_from_twenty_requests_one_refresh(sandbox: Sandbox, spy: SpyStore) -> None:
    """The API rejected the token (revoked or expired server-side) while the app thought it was fresh."""
    session = await _signed_in(sandbox, spy)
    rejected = await session.access_token()
    sandbox.tokens.expire_all()
    results = await asyncio.gather(*(session.refresh(rejected) for _ in range(20)))
    assert sandbox.oauth.token_requests["refresh_token"] == 1
    assert len(set(results)) == 1 and sandbox.tokens.lookup(results[0]) is not None
    # A latecomer holding the old token gets the new one without another refresh.
    assert await session.refresh(rejected) == results[0]
    assert sandbox.oauth.token_requests["refresh_token"] == 1
    await session.aclose()


@pytest.mark.asyncio
async def test_rotated_refresh_token_is_saved_before_use(sandbox: Sandbox, spy: SpyStore) -> None:
    session = await _signed_in(sandbox, spy)
    spy.session = session
    old = session.tokens
    assert old is not None
    events: list[SessionEvent] = []
    session.events.connect(events.append)
    new_access = await session.refresh(old.access_token)
    saved, in_memory_then = spy.saves[-1]
    assert in_memory_then is old  # the store got the new set while the session still held the old one
    assert saved.access_token == new_access and saved.refresh_token != old.refresh_token
    assert spy.load() == saved == session.tokens
    assert [e.kind for e in events] == ["refreshed"]
    async with httpx.AsyncClient() as web:  # the old refresh token is dead on the server: rotation happened
        stale = await web.post(sandbox.token_url, data={
            "grant_type": "refresh_token", "client_id": "ccdesk-test-client", "refresh_token": old.refresh_token})
    assert stale.json()["error"] == "invalid_grant"
    await session.aclose()


@pytest.mark.asyncio
async def test_long_lived_refresh_token_is_kept(sandbox: Sandbox, spy: SpyStore) -> None:
    sandbox.config.refresh_tokens = "long-lived"
    session = await _signed_in(sandbox, spy)
    first = session.tokens
    assert first is not None
    for _ in range(2):
        current = session.tokens
        assert current is not None
        await session.refresh(current.access_token)
    assert session.tokens is not None and session.tokens.refresh_token == first.refresh_token
    assert session.tokens.access_token != first.access_token and session.refresh_count == 2
    await session.aclose()


@pytest.mark.asyncio
async def test_invalid_grant_signs_out(sandbox: Sandbox, spy: SpyStore) -> None:
    session = await _signed_in(sandbox, spy)
    events: list[SessionEvent] = []
    session.events.connect(events.append)
    sandbox.oauth.invalidate_refresh_tokens()
    sandbox.clock.advance(86400)
    calls = await asyncio.gather(*(session.access_token() for _ in range(5)), return_exceptions=True)
    assert all(isinstance(c, SignInRequired) for c in calls)
    assert "expired or was revoked" in str(calls[0])
    assert sandbox.oauth.token_requests["refresh_token"] == 1
    assert [e.kind for e in events] == ["signed_out"] and "sign in again" in events[0].message
    assert spy.load() is None and not session.signed_in
    with pytest.raises(SignInRequired, match="not signed in"):
        await session.access_token()
    await session.aclose()


@pytest.mark.asyncio
async def test_without_refresh_token_expiry_means_sign_in(sandbox: Sandbox) -> None:
    store = MemoryTokenStore()
    session = await _signed_in(sandbox, store, scopes=("contact_data",))
    assert session.tokens is not None and session.tokens.refresh_token is None
    sandbox.clock.advance(86400)
    with pytest.raises(SignInRequired):
        await session.access_token()
    assert sandbox.oauth.token_requests["refresh_token"] == 0 and store.load() is None
    await session.aclose()


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.asyncio
async def test_network_error_during_refresh_is_retryable(sandbox: Sandbox, spy: SpyStore) -> None:
    session = await _signed_in(sandbox, spy)
    tokens = session.tokens
    assert tokens is not None
    offline = AuthConfig("ccdesk-test-client", auth_base=f"http://127.0.0.1:{_closed_port()}",
                         redirect_uri="http://127.0.0.1:0/callback")
    cut_off = AuthSession(offline, spy, tokens, now=sandbox.clock.now)
    with pytest.raises(NetworkError) as caught:
        await cut_off.refresh(tokens.access_token)
    assert caught.value.retryable and not isinstance(caught.value, SignInRequired)
    assert cut_off.tokens is tokens and spy.load() is tokens  # nothing was thrown away
    sandbox.clock.advance(86400 - 60)  # in the margin but not expired: the early refresh fails quietly
    assert await cut_off.access_token() == tokens.access_token
    sandbox.clock.advance(120)  # expired: now the error surfaces
    with pytest.raises(NetworkError):
        await cut_off.access_token()
    await cut_off.aclose()
    await session.aclose()


@pytest.mark.asyncio
async def test_server_error_during_refresh_is_retryable(clock_tokens: TokenSet) -> None:
    def failing(request: httpx.Request) -> httpx.Response:
        return httpx.Response(503, text="<html>maintenance</html>")

    pauses: list[float] = []

    async def pause(seconds: float) -> None:
        pauses.append(seconds)

    async with httpx.AsyncClient(transport=httpx.MockTransport(failing)) as http:
        session = AuthSession(AuthConfig("c"), MemoryTokenStore(), clock_tokens, http=http, sleep=pause)
        with pytest.raises(ServerError) as caught:
            await session.refresh(clock_tokens.access_token)
        assert caught.value.retryable and session.signed_in
        assert pauses == [1.0, 2.0, 4.0] and session.refresh_count == 4  # asked again, then gave up for now


@pytest.mark.asyncio
async def test_keyring_save_failure_keeps_the_session(sandbox: Sandbox) -> None:
    broken = MemoryKeyring(max_chars=10)  # refuses every value
    store = KeyringTokenStore("ccdesk-test-client", backend=broken)
    events: list[SessionEvent] = []
    browser = ScriptedBrowser()
    config = sandbox.auth_config()
    tokens = await sign_in_pkce(config, browser.open, timeout_s=10, now=sandbox.clock.now)
    await asyncio.gather(*browser.tasks)
    session = AuthSession(config, store, now=sandbox.clock.now)
    session.events.connect(events.append)
    assert await session.sign_in(tokens) is False
    assert isinstance(session.store, MemoryTokenStore) and session.store.load() is tokens
    assert [e.kind for e in events] == ["save_failed", "signed_in"]
    assert "this session only" in events[-1].message
    await session.aclose()


@pytest.mark.asyncio
async def test_refresh_save_failure_keeps_new_tokens(sandbox: Sandbox) -> None:
    backend = MemoryKeyring()
    store = KeyringTokenStore("ccdesk-test-client", backend=backend)
    session = await _signed_in(sandbox, MemoryTokenStore())
    assert session.tokens is not None
    store.save(session.tokens)  # the keyring held the sign-in...
    session.store = store
    events: list[SessionEvent] = []
    session.events.connect(events.append)
    backend.max_chars = 10  # the keyring starts refusing (locked, gone...)
    old = session.tokens
    assert old is not None
    new = await session.refresh(old.access_token)
    assert session.tokens is not None and session.tokens.access_token == new
    assert [e.kind for e in events] == ["save_failed", "refreshed"]
    await session.aclose()


@pytest.mark.asyncio
async def test_restore_and_sign_out(sandbox: Sandbox) -> None:
    store = MemoryTokenStore()
    first = await _signed_in(sandbox, store)
    restored = await AuthSession.restore(first.config, store, now=sandbox.clock.now)
    assert restored.signed_in and restored.tokens == first.tokens
    events: list[SessionEvent] = []
    restored.events.connect(events.append)
    await restored.sign_out()
    assert store.load() is None and not restored.signed_in and events[0].kind == "signed_out"
    empty = await AuthSession.restore(first.config, store)
    assert not empty.signed_in
    await first.aclose()
    await restored.aclose()
    await empty.aclose()


@pytest.fixture
def clock_tokens() -> TokenSet:
    from datetime import UTC, datetime

    return TokenSet("at-value", "rt-value", datetime.now(UTC) + timedelta(hours=1), "contact_data offline_access")
