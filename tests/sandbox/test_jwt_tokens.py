"""Access tokens are JWTs (claims a client may read) that the sandbox still validates itself; the token endpoint
takes a confidential client's secret in HTTP Basic only (issue 19)."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from ccdesk.sandbox.jwt import JwtSigner, unverified_claims
from ccdesk.sandbox.server import SandboxServer

from .conftest import FakeClock

CLIENT = "sdk-test-app"
REDIRECT = "http://127.0.0.1:40999/callback"
TOKEN = "/oauth2/default/v1/token"


def _code(web: httpx.Client, scope: str = "contact_data offline_access") -> str:
    r = web.get("/oauth2/default/v1/authorize", params={
        "client_id": CLIENT, "redirect_uri": REDIRECT, "response_type": "code", "scope": scope, "state": "s"})
    assert r.status_code == 302, r.text
    return parse_qs(urlsplit(r.headers["location"]).query)["code"][0]


def _basic(secret: str = "s3cret") -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{CLIENT}:{secret}".encode()).decode()}


@pytest.fixture
def server(start_sandbox: Callable[..., SandboxServer], clock: FakeClock) -> SandboxServer:
    return start_sandbox(auto_approve=True, rate_limit=0, clock=clock, token_lifetime_s=3600)


def _sign_in(server: SandboxServer) -> dict[str, str]:
    with httpx.Client(base_url=server.base_url, timeout=5) as web:
        r = web.post(TOKEN, headers=_basic(), data={"grant_type": "authorization_code", "code": _code(web),
                                                    "redirect_uri": REDIRECT})
        assert r.status_code == 200, r.text
        return r.json()  # type: ignore[no-any-return]


def test_confidential_client_signs_in_with_basic_and_gets_a_jwt(server: SandboxServer, clock: FakeClock) -> None:
    body = _sign_in(server)
    claims = unverified_claims(body["access_token"])
    assert claims["exp"] == int(clock.now) + 3600 == claims["iat"] + body["expires_in"]
    assert claims["scope"] == body["scope"] == "contact_data offline_access"
    assert claims["scp"] == ["contact_data", "offline_access"]
    assert claims["cid"] == CLIENT and claims["sub"]
    assert claims["iss"] == f"{server.base_url}/oauth2/default"
    head = body["access_token"].split(".")[0]
    assert json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4))) == {
        "alg": "HS256", "typ": "JWT", "kid": "sandbox-at"}
    r = httpx.get(f"{server.api_base}/contacts", params={"limit": 1},
                  headers={"Authorization": f"Bearer {body['access_token']}"})
    assert r.status_code == 200, r.text


def test_a_jwt_is_still_checked_by_the_sandbox(server: SandboxServer, clock: FakeClock) -> None:
    token = _sign_in(server)["access_token"]

    def status(tok: str) -> int:
        return httpx.get(f"{server.api_base}/contacts/counts", headers={"Authorization": f"Bearer {tok}"}).status_code

    head, payload, sig = token.split(".")
    forged = JwtSigner().sign(unverified_claims(token))  # same claims, another key
    assert status(forged) == 401
    assert status(f"{head}.{payload}.{sig[:-2]}AA") == 401
    assert status(token) == 200
    clock.advance(3601)  # past `exp`
    assert status(token) == 401


def test_revoked_and_expired_jwts_are_refused(server: SandboxServer) -> None:
    token = _sign_in(server)["access_token"]
    server.sandbox.tokens.revoke(token)
    r = httpx.get(f"{server.api_base}/contacts/counts", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 401 and r.json() == {"error_key": "unauthorized", "error_message": "Unauthorized"}
    other = _sign_in(server)["access_token"]
    httpx.post(f"{server.base_url}/_sandbox/tokens/expire")
    r = httpx.get(f"{server.api_base}/contacts/counts", headers={"Authorization": f"Bearer {other}"})
    assert r.status_code == 401


@pytest.mark.parametrize("where", ["body", "query"])
def test_a_client_secret_outside_basic_is_refused(server: SandboxServer, where: str) -> None:
    with httpx.Client(base_url=server.base_url, timeout=5) as web:
        params = {"grant_type": "authorization_code", "code": _code(web), "redirect_uri": REDIRECT,
                  "client_id": CLIENT, "client_secret": "s3cret"}
        r = web.post(TOKEN, data=params) if where == "body" else web.post(TOKEN, params=params)
    assert r.status_code == 401
    assert r.json()["error"] == "invalid_client" and "HTTP Basic" in r.json()["error_description"]
