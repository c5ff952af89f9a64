"""The sandbox authorization server's app registry (--app), --new-sign-in-expires-old, and the token endpoint's
per-app limit and faults (429, temporarily_unavailable), over real HTTP."""

from __future__ import annotations

import subprocess
import sys
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from ccdesk.auth.pkce import PkcePair
from ccdesk.sandbox.oauth_apps import AppRegistry, parse_app

from .conftest import CLIENT_ID, Sandbox
from .test_oauth_server import AUTHORIZE, REDIRECT, TOKEN

DEVICE = "/oauth2/default/v1/device/authorize"
SCOPE = "contact_data offline_access"


def _register(sandbox: Sandbox, *specs: str) -> None:
    sandbox.config.apps = list(specs)
    sandbox.oauth.apps = AppRegistry(specs)


async def _authorize(web: httpx.AsyncClient, pkce: PkcePair, client_id: str = CLIENT_ID,
                     redirect: str = REDIRECT) -> httpx.Response:
    return await web.get(AUTHORIZE, params={
        "client_id": client_id, "redirect_uri": redirect, "response_type": "code", "scope": SCOPE, "state": "s1",
        "code_challenge": pkce.challenge, "code_challenge_method": "S256"})


async def _sign_in(web: httpx.AsyncClient, client_id: str = CLIENT_ID, redirect: str = REDIRECT) -> dict[str, str]:
    pkce = PkcePair.new()
    answer = await _authorize(web, pkce, client_id, redirect)
    assert answer.status_code == 302, answer.text
    code = parse_qs(urlsplit(answer.headers["location"]).query)["code"][0]
    tokens = await web.post(TOKEN, data={"grant_type": "authorization_code", "code": code, "client_id": client_id,
                                         "redirect_uri": redirect, "code_verifier": pkce.verifier})
    assert tokens.status_code == 200, tokens.text
    return tokens.json()


async def _refresh(web: httpx.AsyncClient, refresh_token: str, client_id: str = CLIENT_ID) -> httpx.Response:
    return await web.post(TOKEN, data={"grant_type": "refresh_token", "refresh_token": refresh_token,
                                       "client_id": client_id})


def test_parse_app() -> None:
    app = parse_app("key-1=pkce:http://127.0.0.1:28461/callback,http://localhost:28461/callback")
    assert app.flow == "pkce" and app.redirect_uris == ("http://127.0.0.1:28461/callback",
                                                         "http://localhost:28461/callback")
    assert parse_app("key-2=device").flow == "device"
    for bad in ("key", "=device", "key=pkce", "key=pkce:", "key=implicit:http://x"):
        with pytest.raises(ValueError, match="expected ID=pkce"):
            parse_app(bad)


def test_bad_app_flag_is_refused_by_the_command_line() -> None:
    proc = subprocess.run([sys.executable, "-m", "ccdesk.sandbox", "--contacts", "0", "--app", "nonsense"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "expected ID=pkce" in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.asyncio
async def test_without_apps_any_client_id_signs_in(web: httpx.AsyncClient) -> None:
    assert (await _sign_in(web, client_id="whatever-key"))["access_token"]


@pytest.mark.asyncio
async def test_pkce_app_redirect_must_match_exactly(sandbox: Sandbox, web: httpx.AsyncClient) -> None:
    _register(sandbox, f"{CLIENT_ID}=pkce:{REDIRECT}")
    assert (await _sign_in(web))["refresh_token"]
    for other in ("http://127.0.0.1:40111/callback/", "http://localhost:40111/callback",
                  "http://127.0.0.1:40112/callback"):
        answer = await _authorize(web, PkcePair.new(), redirect=other)
        assert answer.status_code == 400 and "location" not in answer.headers  # no code, no redirect
        assert "not registered" in answer.text
    unknown = await _authorize(web, PkcePair.new(), client_id="not-registered")
    assert unknown.status_code == 400 and "location" not in unknown.headers


@pytest.mark.asyncio
async def test_each_app_gets_only_its_flow(sandbox: Sandbox, web: httpx.AsyncClient) -> None:
    _register(sandbox, f"{CLIENT_ID}=pkce:{REDIRECT}", "device-key=device")
    refused = await web.post(DEVICE, data={"client_id": CLIENT_ID, "scope": SCOPE})
    assert refused.status_code == 400 and refused.json()["error"] == "unauthorized_client"
    browser = await _authorize(web, PkcePair.new(), client_id="device-key")
    assert browser.status_code == 400 and "device flow" in browser.text
    started = await web.post(DEVICE, data={"client_id": "device-key", "scope": SCOPE})
    assert started.status_code == 200
    poll = await web.post(TOKEN, data={"grant_type": "urn:ietf:params:oauth:grant-type:device_code",
                                       "device_code": started.json()["device_code"], "client_id": CLIENT_ID})
    assert poll.json()["error"] in ("unauthorized_client", "invalid_grant")
    stranger = await web.post(DEVICE, data={"client_id": "stranger", "scope": SCOPE})
    assert stranger.status_code == 401 and stranger.json()["error"] == "invalid_client"
    tokens = await _sign_in(web)
    assert (await _refresh(web, tokens["refresh_token"])).status_code == 200  # refresh works for either kind


@pytest.mark.asyncio
@pytest.mark.parametrize("expires_old", [False, True])
async def test_new_sign_in_expires_old(sandbox: Sandbox, web: httpx.AsyncClient, expires_old: bool) -> None:
    sandbox.config.new_sign_in_expires_old = expires_old
    first = await _sign_in(web)
    other_app = await _sign_in(web, client_id="another-app")
    await _sign_in(web)  # a new sign-in for the same app, e.g. on another desk
    old = await _refresh(web, first["refresh_token"])
    if expires_old:
        assert old.status_code == 400 and old.json()["error"] == "invalid_grant"
    else:
        assert old.status_code == 200
    assert (await _refresh(web, other_app["refresh_token"], "another-app")).status_code == 200


@pytest.mark.asyncio
async def test_new_sign_in_expires_old_needs_rotating_tokens(sandbox: Sandbox, web: httpx.AsyncClient) -> None:
    sandbox.config.new_sign_in_expires_old = True
    sandbox.config.refresh_tokens = "long-lived"
    first = await _sign_in(web)
    await _sign_in(web)
    assert (await _refresh(web, first["refresh_token"])).status_code == 200


@pytest.mark.asyncio
@pytest.mark.parametrize("fault", ["429", "temporarily_unavailable"])
async def test_token_endpoint_faults_then_recovers(sandbox: Sandbox, web: httpx.AsyncClient, fault: str) -> None:
    tokens = await _sign_in(web)
    switched = await web.post("/_sandbox/oauth", json={"token_fault_next": 2, "token_fault": fault})
    assert switched.status_code == 200 and switched.json()["token_fault_next"] == 2
    for _ in range(2):
        answer = await _refresh(web, tokens["refresh_token"])
        if fault == "429":
            assert answer.status_code == 429 and answer.json()["errorCode"] == "E0000047"
        else:
            assert answer.status_code == 400 and answer.json()["error"] == "temporarily_unavailable"
    assert (await _refresh(web, tokens["refresh_token"])).status_code == 200  # the token was not spent
    state = (await web.get("/_sandbox/oauth")).json()
    assert state["token_refused"] == 2 and state["token_fault_next"] == 0


@pytest.mark.asyncio
async def test_token_endpoint_rate_limit_per_app(sandbox: Sandbox, web: httpx.AsyncClient) -> None:
    first = await _sign_in(web)
    other = await _sign_in(web, client_id="another-app")
    assert (await web.post("/_sandbox/oauth", json={"token_rate_limit": 1})).status_code == 200
    ok = await _refresh(web, first["refresh_token"])
    assert ok.status_code == 200
    assert (await _refresh(web, ok.json()["refresh_token"])).status_code == 429  # same second, same app
    assert (await _refresh(web, other["refresh_token"], "another-app")).status_code == 200  # per app
    sandbox.clock.advance(1.0)
    assert (await _refresh(web, ok.json()["refresh_token"])).status_code == 200
    bad = await web.post("/_sandbox/oauth", json={"token_fault": "teapot"})
    assert bad.status_code == 400
