"""TokenSet (de)serialisation and secrecy, PKCE values, and a whole sign-in + refresh that logs no token."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

import pytest

from ccdesk.api.errors import MalformedResponse
from ccdesk.auth import AuthSession, DeviceFlow, KeyringTokenStore, TokenSet, sign_in_pkce
from ccdesk.auth.pkce import PkcePair, code_challenge, new_code_verifier, new_state, states_match

from .conftest import MemoryKeyring, Sandbox, ScriptedBrowser

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def test_repr_and_str_never_show_token_values() -> None:
    tokens = TokenSet("ACCESS-SECRET", "REFRESH-SECRET", NOW, "contact_data", "ID-SECRET")
    for text in (repr(tokens), str(tokens), f"{tokens}", f"{tokens!r}", repr([tokens]), repr({"t": tokens})):
        assert "SECRET" not in text
        assert "<hidden>" in text and "contact_data" in text
    assert "verifier" not in repr(PkcePair.new())


def test_json_round_trip() -> None:
    tokens = TokenSet("a", "r", NOW + timedelta(seconds=5), "contact_data offline_access", "i")
    assert TokenSet.from_json(tokens.to_json()) == tokens
    with pytest.raises(ValueError):
        TokenSet.from_json('{"v": 1}')
    with pytest.raises(ValueError, match="aware"):
        TokenSet("a", "r", datetime(2026, 1, 1))


def test_from_token_response() -> None:
    body = {"access_token": "a1", "token_type": "Bearer", "expires_in": 86400, "scope": "contact_data",
            "refresh_token": "r1"}
    first = TokenSet.from_token_response(body, NOW)
    assert first.expires_at == NOW + timedelta(days=1) and first.refresh_token == "r1"
    # A refresh answer without refresh_token keeps the previous one (long-lived tokens may be omitted).
    second = TokenSet.from_token_response({"access_token": "a2", "expires_in": 60}, NOW, previous=first)
    assert second.refresh_token == "r1" and second.scope == "contact_data"
    for bad in ({}, {"access_token": ""}, {"access_token": "a", "token_type": "mac"},
                {"access_token": "a", "expires_in": "soon"}, ["a"]):
        with pytest.raises(MalformedResponse):
            TokenSet.from_token_response(bad, NOW)


def test_pkce_rfc7636_appendix_b_vector() -> None:
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    assert code_challenge(verifier) == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


def test_pkce_and_state_values() -> None:
    verifiers = {new_code_verifier() for _ in range(50)}
    assert len(verifiers) == 50 and all(43 <= len(v) <= 128 for v in verifiers)
    assert all(set(v) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") for v in verifiers)
    pair = PkcePair.new()
    assert pair.challenge == code_challenge(pair.verifier) and len(pair.challenge) == 43 and pair.method == "S256"
    state = new_state()
    assert len(state) >= 43 and states_match(state, state)
    assert not states_match(state, state[:-1] + "x") and not states_match(state, None) and not states_match(state, "")
    with pytest.raises(ValueError):
        new_code_verifier(16)


@pytest.mark.asyncio
async def test_no_token_value_reaches_the_logs(sandbox: Sandbox, caplog: pytest.LogCaptureFixture) -> None:
    """Browser sign-in, keyring save (split), device sign-in, refreshes and a forced sign-out, all logged at
    DEBUG: no record from ccdesk contains a token, code or verifier value."""
    caplog.set_level(logging.DEBUG)
    browser = ScriptedBrowser()
    config = sandbox.auth_config()
    tokens = await sign_in_pkce(config, browser.open, timeout_s=10, now=sandbox.clock.now)
    await asyncio.gather(*browser.tasks)
    store = KeyringTokenStore("ccdesk-test-client", backend=MemoryKeyring())
    session = AuthSession(config, store, now=sandbox.clock.now)
    await session.sign_in(tokens)
    secrets = {tokens.access_token, tokens.refresh_token}
    for _ in range(2):
        current = session.tokens
        assert current is not None
        await session.refresh(current.access_token)
        secrets |= {session.tokens.access_token, session.tokens.refresh_token}  # type: ignore[union-attr]
    big = TokenSet("J" * 2500 + "WT", "rt-big-secret", NOW)
    KeyringTokenStore("another-client", backend=MemoryKeyring()).save(big)  # a split save, logged
    secrets |= {big.access_token, big.refresh_token}
    flow = DeviceFlow(config, sleep=lambda s: asyncio.sleep(0), clock=sandbox.clock, now=sandbox.clock.now)
    code = await flow.start()
    device_tokens = await flow.wait()
    secrets |= {code.device_code, device_tokens.access_token, device_tokens.refresh_token}
    sandbox.oauth.invalidate_refresh_tokens()
    sandbox.clock.advance(86400)
    with pytest.raises(Exception, match="sign in again"):
        await session.access_token()
    await session.aclose()

    callback_codes = {url.split("code=")[1].split("&")[0] for url in browser.visited if "code=" in url}
    assert len(callback_codes) == 1
    secrets |= callback_codes
    ours = [r for r in caplog.records if r.name.startswith("ccdesk")]
    assert any("Refreshed the access token" in r.getMessage() for r in ours)
    for record in ours:
        text = record.getMessage() + repr(record.args)
        for secret in filter(None, secrets):
            assert secret not in text, f"{record.name} logged a secret: {record.getMessage()[:80]}"
