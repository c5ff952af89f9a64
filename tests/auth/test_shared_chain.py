"""One sign-in chain per desk: several sessions (as several processes would hold) on one keyring entry, with
rotating refresh tokens, a token endpoint that is busy, and new sign-ins that expire older chains.

The sessions here share a keyring in one process; tests/auth/test_multiprocess_refresh.py does it with real
processes and a real Secret Service."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from ccdesk.api.errors import ServerError, SignInRequired, Throttled
from ccdesk.auth import (
    AuthConfig,
    AuthSession,
    KeyringTokenStore,
    OAuthServerError,
    SessionEvent,
    TokenSet,
    TokenStoreError,
    sign_in_pkce,
)
from ccdesk.auth.chain_lock import ChainLock, ChainLockTimeout

from .conftest import CLIENT_ID, MemoryKeyring, Sandbox, ScriptedBrowser


@pytest.fixture(params=[False, True], ids=["new-sign-in-keeps-old", "new-sign-in-expires-old"])
def expires_old(request: pytest.FixtureRequest, sandbox: Sandbox) -> bool:
    sandbox.config.new_sign_in_expires_old = request.param
    return bool(request.param)


async def _pkce(sandbox: Sandbox) -> TokenSet:
    browser = ScriptedBrowser()
    tokens = await sign_in_pkce(sandbox.auth_config(), browser.open, timeout_s=10, now=sandbox.clock.now)
    await asyncio.gather(*browser.tasks)
    return tokens


async def _no_pause(_seconds: float) -> None:
    return None


def _session(sandbox: Sandbox, store: KeyringTokenStore, tokens: TokenSet | None = None, **kw: Any) -> AuthSession:
    return AuthSession(sandbox.auth_config(), store, tokens, now=sandbox.clock.now, sleep=_no_pause, **kw)


class FirstLoad(KeyringTokenStore):
    """A keyring entry whose first load is `first()` (a stale set, or a refusal), then what it really holds."""

    def __init__(self, keyring: MemoryKeyring, first: Callable[[], TokenSet | None]) -> None:
        super().__init__(CLIENT_ID, backend=keyring)
        self._first: Callable[[], TokenSet | None] | None = first

    def load(self) -> TokenSet | None:
        if self._first is not None:
            first, self._first = self._first, None
            return first()
        return super().load()


async def _desk(sandbox: Sandbox, n: int) -> tuple[MemoryKeyring, list[AuthSession]]:
    """n sessions restored from one keyring entry, as n processes started after one sign-in."""
    keyring = MemoryKeyring()
    store = KeyringTokenStore(CLIENT_ID, backend=keyring)
    store.save(await _pkce(sandbox))
    sessions = [await AuthSession.restore(sandbox.auth_config(), KeyringTokenStore(CLIENT_ID, backend=keyring),
                                          now=sandbox.clock.now, sleep=_no_pause) for _ in range(n)]
    return keyring, sessions


@pytest.fixture(params=[False, True], ids=["reuse-refused", "reuse-ends-chain"])
def reuse_revokes(request: pytest.FixtureRequest, sandbox: Sandbox) -> bool:
    """The reading `refresh_reuse_revokes` (docs/sandbox.md): a rotated refresh token used again is refused, or
    ends the whole chain as Okta's rotation does."""
    sandbox.config.refresh_reuse_revokes = request.param
    return bool(request.param)


@pytest.mark.asyncio
async def test_sessions_of_one_desk_share_the_rotating_chain(sandbox: Sandbox, expires_old: bool,
                                                              reuse_revokes: bool) -> None:
    """Four holders of one expired set renew at once: one refresh request, nobody signed out, the store holds the
    newest set. Without the lock and the re-read, three of them got invalid_grant and wiped the keyring."""
    keyring, sessions = await _desk(sandbox, 4)
    for round_no in range(3):
        sandbox.clock.advance(86400)
        tokens = await asyncio.gather(*(s.access_token() for s in sessions))
        assert len(set(tokens)) == 1 and sandbox.tokens.lookup(tokens[0]) is not None
        assert all(s.signed_in for s in sessions)
        assert sandbox.oauth.token_requests["refresh_token"] == round_no + 1
        stored = KeyringTokenStore(CLIENT_ID, backend=keyring).load()
        assert stored is not None and stored.access_token == tokens[0]
    for s in sessions:
        await s.aclose()


@pytest.mark.asyncio
async def test_invalid_grant_rereads_and_retries_once(sandbox: Sandbox) -> None:
    """A process that read the keyring just before another saved: its refresh token is spent (invalid_grant); it
    re-reads, finds the newer set, and uses it instead of signing the desk out."""
    keyring = MemoryKeyring()
    store = KeyringTokenStore(CLIENT_ID, backend=keyring)
    original = await _pkce(sandbox)
    store.save(original)
    first = _session(sandbox, KeyringTokenStore(CLIENT_ID, backend=keyring), original)
    sandbox.clock.advance(86400)
    await first.access_token()  # rotates: `original`'s refresh token is now dead, the keyring has the new set

    # Reads the old set once (as if read before the other process saved), then the real one.
    late = _session(sandbox, FirstLoad(keyring, lambda: original), original)
    events: list[SessionEvent] = []
    late.events.connect(events.append)
    token = await late.refresh(original.access_token)
    assert first.tokens is not None and token == first.tokens.access_token and late.signed_in
    assert sandbox.oauth.token_requests["refresh_token"] == 2  # its own try (refused), then no other request
    assert store.load() == first.tokens and [e.kind for e in events] == ["refreshed"]
    await first.aclose()
    await late.aclose()


@pytest.mark.asyncio
async def test_a_keyring_busy_at_the_renewal_is_waited_for_not_spent_around(sandbox: Sandbox,
                                                                            reuse_revokes: bool) -> None:
    """Another process rotated the chain and saved; this one cannot read the keyring at that moment (a busy
    Secret Service). Spending its own, already rotated, refresh token would end the chain for everyone where
    reuse ends it, so it reads again and uses the saved set: one refresh request in all, nobody signed out."""
    keyring = MemoryKeyring()
    original = await _pkce(sandbox)
    KeyringTokenStore(CLIENT_ID, backend=keyring).save(original)
    first = _session(sandbox, KeyringTokenStore(CLIENT_ID, backend=keyring), original)
    sandbox.clock.advance(86400)
    await first.access_token()  # rotates: `original`'s refresh token is dead, the keyring has the new set

    def busy() -> TokenSet:
        raise TokenStoreError("The keyring did not answer.")

    late = _session(sandbox, FirstLoad(keyring, busy), original)
    token = await late.refresh(original.access_token)
    assert first.tokens is not None and token == first.tokens.access_token and late.signed_in
    assert sandbox.oauth.token_requests["refresh_token"] == 1
    assert sandbox.tokens.lookup(token) is not None  # the chain is alive for every process
    await first.aclose()
    await late.aclose()


@pytest.mark.asyncio
async def test_a_gone_chain_signs_out_plainly_and_clears_only_the_failed_set(sandbox: Sandbox) -> None:
    keyring, (session,) = await _desk(sandbox, 1)
    sandbox.oauth.invalidate_refresh_tokens()
    sandbox.clock.advance(86400)
    events: list[SessionEvent] = []
    session.events.connect(events.append)
    with pytest.raises(SignInRequired, match="ccdesk sign-in") as caught:
        await session.access_token()
    assert "expired or was revoked" in caught.value.message and "--device" in caught.value.message
    assert keyring.entries == {} and [e.kind for e in events] == ["signed_out"]
    await session.aclose()


@pytest.mark.asyncio
async def test_a_sign_out_elsewhere_is_not_undone_by_a_window_whose_last_save_failed(sandbox: Sandbox) -> None:
    """An empty keyring may mean "my save was lost" or "someone signed out": the sign-out wins."""
    keyring, (window, job) = await _desk(sandbox, 2)
    assert window.tokens is not None
    sandbox.clock.advance(86400)
    keyring.max_chars = 10  # the keyring refuses for a moment
    await window.refresh(window.tokens.access_token)
    keyring.max_chars = None
    await job.sign_out()  # `ccdesk sign-out`, or Sign out in another window
    sandbox.clock.advance(86400)
    with pytest.raises(SignInRequired):
        await window.access_token()
    assert not window.signed_in and KeyringTokenStore(CLIENT_ID, backend=keyring).load() is None
    await window.aclose()
    await job.aclose()


@pytest.mark.asyncio
async def test_a_failed_set_does_not_delete_a_newer_sign_in(sandbox: Sandbox) -> None:
    """Someone signed in again on this desk while an old holder was refreshing with a dead chain: the old holder
    moves to the new sign-in, and the new sign-in stays in the keyring."""
    keyring, (old,) = await _desk(sandbox, 1)
    sandbox.oauth.invalidate_refresh_tokens()
    newer = await _pkce(sandbox)
    stale = old.tokens
    assert stale is not None

    class SlowToSee(KeyringTokenStore):
        def __init__(self) -> None:
            super().__init__(CLIENT_ID, backend=keyring)
            self.reads = 0

        def load(self) -> TokenSet | None:
            self.reads += 1
            if self.reads == 1:
                return stale  # the first re-read happens before the new sign-in is saved
            return super().load()

    old.store = SlowToSee()
    KeyringTokenStore(CLIENT_ID, backend=keyring).save(newer)
    sandbox.clock.advance(60)
    token = await old.refresh(stale.access_token)
    assert token == newer.access_token and old.signed_in
    assert KeyringTokenStore(CLIENT_ID, backend=keyring).load() == newer
    await old.aclose()


@pytest.mark.asyncio
async def test_new_sign_in_elsewhere_ends_this_chain_with_a_plain_message(sandbox: Sandbox) -> None:
    sandbox.config.new_sign_in_expires_old = True
    keyring, (session,) = await _desk(sandbox, 1)
    await _pkce(sandbox)  # another desk signs in with the same app (its own keyring)
    sandbox.clock.advance(86400)
    with pytest.raises(SignInRequired) as caught:
        await session.access_token()
    assert "new sign-in with the same app elsewhere" in caught.value.message
    assert "Traceback" not in caught.value.message and keyring.entries == {}
    await session.aclose()


@pytest.mark.asyncio
@pytest.mark.parametrize("fault", ["429", "temporarily_unavailable"])
async def test_busy_token_endpoint_is_temporary(sandbox: Sandbox, fault: str) -> None:
    keyring, (session,) = await _desk(sandbox, 1)
    sandbox.clock.advance(86400)
    sandbox.oauth.limits.set_fault(fault, 2)
    token = await session.access_token()  # asked again after a pause: renewed
    assert sandbox.tokens.lookup(token) is not None and session.signed_in
    sandbox.clock.advance(86400)
    sandbox.oauth.limits.fail_next = 10
    with pytest.raises((Throttled, ServerError)) as caught:
        await session.access_token()
    assert caught.value.retryable and session.signed_in and not isinstance(caught.value, SignInRequired)
    assert KeyringTokenStore(CLIENT_ID, backend=keyring).load() == session.tokens  # nothing deleted
    sandbox.oauth.limits.fail_next = 0
    assert sandbox.tokens.lookup(await session.access_token()) is not None  # later it works
    await session.aclose()


@pytest.mark.asyncio
async def test_other_refusals_keep_the_sign_in(sandbox: Sandbox) -> None:
    keyring, (session,) = await _desk(sandbox, 1)
    sandbox.clock.advance(86400)
    sandbox.config.apps = ["some-other-app=device"]
    from ccdesk.sandbox.oauth_apps import AppRegistry

    sandbox.oauth.apps = AppRegistry(["some-other-app=device"])  # this client id is no longer registered
    with pytest.raises(SignInRequired):  # invalid_client: a real end
        await session.access_token()
    await session.aclose()
    assert keyring.entries == {}


@pytest.mark.asyncio
async def test_other_oauth_refusals_do_not_sign_out(clock_free_tokens: TokenSet) -> None:
    def refusing(request: httpx.Request) -> httpx.Response:
        return httpx.Response(400, json={"error": "invalid_request", "error_description": "odd"})

    keyring = MemoryKeyring()
    store = KeyringTokenStore(CLIENT_ID, backend=keyring)
    store.save(clock_free_tokens)
    async with httpx.AsyncClient(transport=httpx.MockTransport(refusing)) as http:
        session = AuthSession(AuthConfig(CLIENT_ID), store, clock_free_tokens, http=http)
        with pytest.raises(OAuthServerError) as caught:
            await session.refresh(clock_free_tokens.access_token)
    assert caught.value.error == "invalid_request" and session.signed_in and store.load() == clock_free_tokens


@pytest.fixture
def clock_free_tokens() -> TokenSet:
    return TokenSet("at-value", "rt-value", datetime.now(UTC) + timedelta(hours=1), "contact_data offline_access")


@pytest.mark.asyncio
async def test_chain_lock_is_exclusive_and_times_out(tmp_path: Path) -> None:
    path = tmp_path / "x.lock"
    async with ChainLock("a", path=path):
        with pytest.raises(ChainLockTimeout):
            async with ChainLock("a", path=path, timeout_s=0.2):
                pass
    async with ChainLock("a", path=path, timeout_s=0.2) as again:
        assert again.waited_s < 0.2


@pytest.mark.asyncio
async def test_a_stuck_lock_holder_is_a_temporary_failure(sandbox: Sandbox, tmp_path: Path) -> None:
    from ccdesk.api.errors import NetworkError

    keyring, (restored,) = await _desk(sandbox, 1)
    path = tmp_path / "desk.lock"
    session = _session(sandbox, KeyringTokenStore(CLIENT_ID, backend=keyring), restored.tokens,
                       lock=lambda _s: ChainLock(CLIENT_ID, path=path, timeout_s=0.3))
    sandbox.clock.advance(86400)
    async with ChainLock(CLIENT_ID, path=path):  # another process holds it and does not let go
        with pytest.raises(NetworkError, match="renewing the Constant Contact sign-in") as caught:
            await session.access_token()
    assert caught.value.retryable and session.signed_in and sandbox.oauth.token_requests["refresh_token"] == 0
    assert sandbox.tokens.lookup(await session.access_token()) is not None  # once free, it renews
    for s in (session, restored):
        await s.aclose()


@pytest.mark.asyncio
async def test_sign_out_during_a_refresh_is_not_undone(sandbox: Sandbox) -> None:
    """The user signs out while a refresh is on the wire: its answer must not put a sign-in back in the keyring."""
    keyring, (session,) = await _desk(sandbox, 1)
    sandbox.clock.advance(86400)
    sandbox.oauth.limits.set_fault("429", 1)  # the first answer is a 429: the session pauses before asking again
    paused = asyncio.Event()
    release = asyncio.Event()

    async def pause(_seconds: float) -> None:
        paused.set()
        await release.wait()

    session._sleep = pause
    task = asyncio.create_task(session.access_token())
    await asyncio.wait_for(paused.wait(), 5)
    await session.sign_out()
    release.set()
    with pytest.raises(SignInRequired):
        await task
    assert keyring.entries == {} and not session.signed_in
    await session.aclose()
