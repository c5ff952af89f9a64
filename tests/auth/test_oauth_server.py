"""The sandbox's authorization server on its own: authorize validation and the token endpoint's refusals."""

from __future__ import annotations

import base64
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from ccdesk.auth.pkce import PkcePair

from .conftest import CLIENT_ID, Sandbox

REDIRECT = "http://127.0.0.1:40111/callback"
AUTHORIZE = "/oauth2/default/v1/authorize"
TOKEN = "/oauth2/default/v1/token"


def _authorize_params(pkce: PkcePair | None, **overrides: str) -> dict[str, str]:
    params = {"client_id": CLIENT_ID, "redirect_uri": REDIRECT, "response_type": "code",
              "scope": "contact_data offline_access", "state": "xyz"}
    if pkce:
        params |= {"code_challenge": pkce.challenge, "code_challenge_method": "S256"}
    return params | overrides


async def _code(web: httpx.AsyncClient, pkce: PkcePair | None, **overrides: str) -> str:
    answer = await web.get(AUTHORIZE, params=_authorize_params(pkce, **overrides))
    assert answer.status_code == 302, answer.text
    query = parse_qs(urlsplit(answer.headers["location"]).query)
    assert query["state"] == ["xyz"]
    return query["code"][0]


def _exchange(pkce: PkcePair, code: str, **overrides: str) -> dict[str, str]:
    return {"grant_type": "authorization_code", "code": code, "client_id": CLIENT_ID, "redirect_uri": REDIRECT,
            "code_verifier": pkce.verifier} | overrides


@pytest.mark.asyncio
async def test_code_is_single_use_and_replay_revokes(sandbox: Sandbox, web: httpx.AsyncClient) -> None:
    pkce = PkcePair.new()
    code = await _code(web, pkce)
    first = await web.post(TOKEN, data=_exchange(pkce, code))
    assert first.status_code == 200 and first.headers["cache-control"] == "no-store"
    body = first.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 86400 and "id_token" not in body
    replay = await web.post(TOKEN, data=_exchange(pkce, code))
    assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"
    assert sandbox.tokens.lookup(body["access_token"]) is None  # tokens from a replayed code are revoked
    refreshed = await web.post(TOKEN, data={"grant_type": "refresh_token", "client_id": CLIENT_ID,
                                            "refresh_token": body["refresh_token"]})
    assert refreshed.json()["error"] == "invalid_grant"


@pytest.mark.asyncio
@pytest.mark.parametrize(("change", "error"), [
    ({"code_verifier": "x" * 43}, "invalid_grant"),  # wrong verifier
    ({"redirect_uri": "http://127.0.0.1:40112/callback"}, "invalid_grant"),
    ({"client_id": "someone-else"}, "invalid_grant"),
    ({"code_verifier": ""}, "invalid_request"),
    ({"grant_type": "password"}, "unsupported_grant_type"),
])
async def test_exchange_refusals(web: httpx.AsyncClient, change: dict[str, str], error: str) -> None:
    pkce = PkcePair.new()
    code = await _code(web, pkce)
    answer = await web.post(TOKEN, data=_exchange(pkce, code, **change))
    assert answer.status_code == 400
    assert answer.json()["error"] == error and answer.json()["error_description"]


@pytest.mark.asyncio
async def test_code_expires_after_five_minutes(sandbox: Sandbox, web: httpx.AsyncClient) -> None:
    pkce = PkcePair.new()
    code = await _code(web, pkce)
    sandbox.clock.advance(300)
    answer = await web.post(TOKEN, data=_exchange(pkce, code))
    assert answer.json()["error"] == "invalid_grant"


@pytest.mark.asyncio
async def test_parameters_in_the_query_string_are_accepted(web: httpx.AsyncClient) -> None:
    pkce = PkcePair.new()
    code = await _code(web, pkce)
    answer = await web.post(TOKEN, params=_exchange(pkce, code))
    assert answer.status_code == 200 and answer.json()["access_token"]


@pytest.mark.asyncio
async def test_json_body_is_refused(web: httpx.AsyncClient) -> None:
    answer = await web.post(TOKEN, json={"grant_type": "refresh_token"})
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_request"


@pytest.mark.asyncio
async def test_code_without_pkce_needs_client_authentication(web: httpx.AsyncClient) -> None:
    code = await _code(web, None)
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT, "client_id": CLIENT_ID}
    public = await web.post(TOKEN, data=form)
    assert public.status_code == 401 and public.json()["error"] == "invalid_client"
    code = await _code(web, None)
    basic = base64.b64encode(f"{CLIENT_ID}:secret".encode()).decode()
    confidential = await web.post(TOKEN, data=form | {"code": code}, headers={"Authorization": f"Basic {basic}"})
    assert confidential.status_code == 200


@pytest.mark.asyncio
async def test_openid_scope_yields_an_id_token(web: httpx.AsyncClient) -> None:
    pkce = PkcePair.new()
    code = await _code(web, pkce, scope="openid contact_data")
    body = (await web.post(TOKEN, data=_exchange(pkce, code))).json()
    assert body["id_token"].count(".") == 2 and "refresh_token" not in body


@pytest.mark.asyncio
@pytest.mark.parametrize("redirect", ["https://evil.example/cb", "http://127.0.0.1/cb", "http://10.0.0.1:80/cb",
                                      "http://127.0.0.1:5000/cb#frag", ""])
async def test_bad_redirect_uri_gets_an_error_page_not_a_redirect(web: httpx.AsyncClient, redirect: str) -> None:
    answer = await web.get(AUTHORIZE, params=_authorize_params(PkcePair.new(), redirect_uri=redirect))
    assert answer.status_code == 400 and "location" not in answer.headers
    assert answer.headers["content-type"].startswith("text/html")


@pytest.mark.asyncio
async def test_missing_client_id_gets_an_error_page(web: httpx.AsyncClient) -> None:
    answer = await web.get(AUTHORIZE, params=_authorize_params(PkcePair.new(), client_id=""))
    assert answer.status_code == 400 and "location" not in answer.headers


@pytest.mark.asyncio
@pytest.mark.parametrize(("change", "error"), [
    ({"code_challenge_method": "plain"}, "invalid_request"),
    ({"response_type": "token"}, "unsupported_response_type"),
    ({"scope": "contact_data nonsense"}, "invalid_scope"),
    ({"scope": ""}, "invalid_scope"),
    ({"state": ""}, "invalid_request"),
])
async def test_authorize_errors_redirect_back(web: httpx.AsyncClient, change: dict[str, str], error: str) -> None:
    answer = await web.get(AUTHORIZE, params=_authorize_params(PkcePair.new(), **change))
    assert answer.status_code == 302
    location = answer.headers["location"]
    assert location.startswith(REDIRECT)
    assert parse_qs(urlsplit(location).query)["error"] == [error]


@pytest.mark.asyncio
async def test_approval_page_deny_redirects_with_access_denied(sandbox: Sandbox, web: httpx.AsyncClient) -> None:
    sandbox.config.auto_approve = False
    page = await web.get(AUTHORIZE, params=_authorize_params(PkcePair.new()))
    assert page.status_code == 200 and "Approve" in page.text and "Deny" in page.text
    request_id = page.text.split('name="request_id" value="')[1].split('"')[0]
    denied = await web.post(AUTHORIZE, data={"request_id": request_id, "decision": "deny"})
    assert denied.status_code == 303
    query = parse_qs(urlsplit(denied.headers["location"]).query)
    assert query["error"] == ["access_denied"] and query["state"] == ["xyz"]
    again = await web.post(AUTHORIZE, data={"request_id": request_id, "decision": "approve"})
    assert again.status_code == 400  # one decision per request


@pytest.mark.asyncio
async def test_refresh_rotating_and_long_lived(sandbox: Sandbox, web: httpx.AsyncClient) -> None:
    pkce = PkcePair.new()
    first = (await web.post(TOKEN, data=_exchange(pkce, await _code(web, pkce)))).json()

    def refresh(token: str) -> dict[str, str]:
        return {"grant_type": "refresh_token", "client_id": CLIENT_ID, "refresh_token": token}

    rotated = (await web.post(TOKEN, data=refresh(first["refresh_token"]))).json()
    assert rotated["refresh_token"] != first["refresh_token"]
    assert (await web.post(TOKEN, data=refresh(first["refresh_token"]))).json()["error"] == "invalid_grant"

    sandbox.config.refresh_tokens = "long-lived"
    same = (await web.post(TOKEN, data=refresh(rotated["refresh_token"]))).json()
    assert same["refresh_token"] == rotated["refresh_token"]
    again = (await web.post(TOKEN, data=refresh(rotated["refresh_token"]))).json()
    assert again["refresh_token"] == rotated["refresh_token"] and again["access_token"] != same["access_token"]

    assert sandbox.oauth.invalidate_refresh_tokens() == 1
    gone = await web.post(TOKEN, data=refresh(rotated["refresh_token"]))
    assert gone.status_code == 400 and gone.json() == {
        "error": "invalid_grant", "error_description": "The refresh token is invalid or expired."}


@pytest.mark.asyncio
async def test_reuse_of_a_rotated_refresh_token_ends_the_chain_under_that_reading(
        sandbox: Sandbox, web: httpx.AsyncClient) -> None:
    """`refresh_reuse_revokes` (Okta's rotation): a rotated refresh token used again ends its sign-in: the
    newest refresh token and every access token issued since fail; another sign-in's tokens are untouched."""
    sandbox.config.refresh_reuse_revokes = True

    def refresh(token: str) -> dict[str, str]:
        return {"grant_type": "refresh_token", "client_id": CLIENT_ID, "refresh_token": token}

    pkce, other_pkce = PkcePair.new(), PkcePair.new()
    first = (await web.post(TOKEN, data=_exchange(pkce, await _code(web, pkce)))).json()
    other = (await web.post(TOKEN, data=_exchange(other_pkce, await _code(web, other_pkce)))).json()
    rotated = (await web.post(TOKEN, data=refresh(first["refresh_token"]))).json()
    assert sandbox.tokens.lookup(rotated["access_token"]) is not None
    reused = await web.post(TOKEN, data=refresh(first["refresh_token"]))
    assert reused.status_code == 400 and reused.json()["error"] == "invalid_grant"
    assert (await web.post(TOKEN, data=refresh(rotated["refresh_token"]))).json()["error"] == "invalid_grant"
    assert sandbox.tokens.lookup(rotated["access_token"]) is None
    assert sandbox.tokens.lookup(first["access_token"]) is None
    assert sandbox.tokens.lookup(other["access_token"]) is not None  # another sign-in: its own chain
    assert "access_token" in (await web.post(TOKEN, data=refresh(other["refresh_token"]))).json()


@pytest.mark.asyncio
async def test_access_tokens_expire_with_the_clock(sandbox: Sandbox, web: httpx.AsyncClient) -> None:
    sandbox.config.token_lifetime_s = 60
    pkce = PkcePair.new()
    body = (await web.post(TOKEN, data=_exchange(pkce, await _code(web, pkce)))).json()
    assert body["expires_in"] == 60
    assert sandbox.tokens.lookup(body["access_token"]) is not None
    sandbox.clock.advance(60)
    assert sandbox.tokens.lookup(body["access_token"]) is None
