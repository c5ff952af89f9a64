"""The real pieces together: SandboxServer (its /v3 API and OAuth server under uvicorn), sign-in with the browser,
the API client using AuthSession as its token provider, tokens expiring and being revoked mid-session."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from ccdesk.api import CCClient, RateLimiter, SignInRequired
from ccdesk.auth import AuthConfig, AuthSession, KeyringTokenStore, SessionEvent, sign_in_pkce
from ccdesk.sandbox.oauth import OAuthServer
from ccdesk.sandbox.server import SandboxServer
from tests.sandboxes import sandboxes

from .conftest import CLIENT_ID, MemoryKeyring, ScriptedBrowser


@pytest.fixture(scope="module")
def server() -> Iterator[SandboxServer]:
    with sandboxes(contacts=25, rate_limit=0, auto_approve=True) as start:
        yield start()


@pytest.mark.asyncio
async def test_sign_in_then_api_calls_survive_expiry_and_end_on_revocation(server: SandboxServer) -> None:
    oauth: OAuthServer = server.app.state.sandbox.tokens.oauth
    oauth.token_requests.clear()
    config = AuthConfig(CLIENT_ID, auth_base=server.base_url, redirect_uri="http://127.0.0.1:0/callback")
    browser = ScriptedBrowser()
    tokens = await sign_in_pkce(config, browser.open, timeout_s=10)
    await asyncio.gather(*browser.tasks)

    backend = MemoryKeyring()
    store = KeyringTokenStore(CLIENT_ID, backend=backend)
    session = AuthSession(config, store)
    events: list[SessionEvent] = []
    session.events.connect(events.append)
    assert await session.sign_in(tokens)

    async with CCClient(session, base_url=server.api_base, rate_limiter=RateLimiter(0)) as api:
        total = (await api.contact_counts()).total
        assert total > 0

        server.app.state.sandbox.tokens.expire_all()  # every token the server issued is now expired
        counts = await asyncio.gather(*(api.contact_counts() for _ in range(20)))
        assert all(c.total == total for c in counts)
        assert oauth.token_requests["refresh_token"] == 1  # twenty 401s, one refresh
        assert api.stats.refreshes == 20

        restarted = await AuthSession.restore(config, KeyringTokenStore(CLIENT_ID, backend=backend))
        assert restarted.tokens == session.tokens  # the rotated tokens were persisted
        await restarted.aclose()

        oauth.invalidate_refresh_tokens()
        server.app.state.sandbox.tokens.expire_all()
        with pytest.raises(SignInRequired):
            await api.contact_counts()
    assert events[-1].kind == "signed_out" and not session.signed_in
    assert store.load() is None and backend.entries == {}
    await session.aclose()
