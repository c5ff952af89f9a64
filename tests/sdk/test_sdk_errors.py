"""401 and 429 answers as the official SDK models them, and an access token from the sandbox's own OAuth server
(a confidential client authenticating with HTTP Basic) that the SDK uses and a client can decode."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from constant_contact_api_client.exceptions import ApiException, UnauthorizedException

from .conftest import TOKEN, SandboxProcess, Sdk, jwt_claims, start

UNAUTHORIZED = {"error_key": "unauthorized", "error_message": "Unauthorized"}
CLIENT, SECRET, REDIRECT = "sdk-confidential-app", "app-secret", "http://127.0.0.1:40998/callback"


def test_a_wrong_token_is_401_as_the_sdk_models_it(sdk: Sdk) -> None:
    wrong = Sdk(sdk.sandbox, token="not-a-token")
    with pytest.raises(UnauthorizedException) as caught:
        wrong.contacts.get_all_contacts(limit=1)
    assert caught.value.status == 401 and json.loads(caught.value.body) == UNAUTHORIZED


def test_throttled_429_then_the_same_call_succeeds(sdk: Sdk) -> None:
    sdk.control("POST", "/faults", {"throttle_next": 1})
    with pytest.raises(ApiException) as caught:
        sdk.contacts.get_contact_counts()
    assert caught.value.status == 429 and type(caught.value) is ApiException  # the SDK has no 429 subclass
    assert json.loads(caught.value.body) == {"error_key": "throttled", "error_message": "Too Many Requests"}
    assert caught.value.headers.get("Retry-After") is None  # none documented
    assert sdk.contacts.get_contact_counts().total > 0  # the fault was for one request only


@pytest.fixture(scope="module")
def limited() -> Iterator[SandboxProcess]:
    """The real limits, small: 2 requests per second and 6 a day."""
    yield from start("--contacts", "20", "--rate-limit", "2", "--daily-quota", "6", "--token", TOKEN)


def test_the_real_rate_limit_and_daily_quota(limited: SandboxProcess) -> None:
    api = Sdk(limited)
    statuses = []
    for _ in range(3):  # three calls within a second: the third is over 2/s
        try:
            api.contacts.get_contact_counts()
            statuses.append(200)
        except ApiException as exc:
            statuses.append(exc.status)
            assert json.loads(exc.body)["error_key"] == "throttled"
    assert statuses == [200, 200, 429]
    time.sleep(1.1)
    answers = []
    for _ in range(6):  # spaced under 2/s: only the quota can refuse them now
        try:
            api.lists.get_all_lists()
            answers.append("ok")
        except ApiException as exc:
            assert exc.status == 429
            answers.append(json.loads(exc.body)["error_key"])
        time.sleep(0.55)
    assert answers == ["ok"] * 4 + ["quota_exceeded"] * 2  # the throttled call used no quota


def _basic() -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{CLIENT}:{SECRET}".encode()).decode()}


def _sign_in(sandbox: SandboxProcess) -> dict[str, str]:
    """The server flow of a confidential app: authorize (auto-approved), then the token request with Basic."""
    with httpx.Client(base_url=sandbox.base_url, timeout=10) as web:
        r = web.get("/oauth2/default/v1/authorize", params={
            "client_id": CLIENT, "redirect_uri": REDIRECT, "response_type": "code",
            "scope": "contact_data offline_access", "state": "st"})
        assert r.status_code == 302, r.text
        code = parse_qs(urlsplit(r.headers["location"]).query)["code"][0]
        r = web.post("/oauth2/default/v1/token", headers=_basic(),
                     data={"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT})
        assert r.status_code == 200, r.text
        return r.json()  # type: ignore[no-any-return]


def test_the_sdk_with_a_jwt_from_the_sandboxs_oauth_server(sdk: Sdk) -> None:
    tokens = _sign_in(sdk.sandbox)
    claims = jwt_claims(tokens["access_token"])  # what an integration that decodes the token reads
    assert claims["cid"] == CLIENT and claims["exp"] - claims["iat"] == tokens["expires_in"] == 86400
    assert claims["scope"] == "contact_data offline_access" and claims["sub"]
    api = Sdk(sdk.sandbox, token=tokens["access_token"])
    assert api.contacts.get_all_contacts(limit=2).contacts
    sdk.control("POST", "/tokens/expire")
    with pytest.raises(UnauthorizedException) as caught:
        api.contacts.get_all_contacts(limit=2)
    assert json.loads(caught.value.body) == UNAUTHORIZED
    sdk.control("POST", "/tokens", {"token": TOKEN})  # the fixed token back for the other tests


def test_the_secret_in_the_form_body_is_refused(sdk: Sdk) -> None:
    with httpx.Client(base_url=sdk.sandbox.base_url, timeout=10) as web:
        r = web.post("/oauth2/default/v1/token", data={"grant_type": "authorization_code", "code": "x",
                                                       "redirect_uri": REDIRECT, "client_id": CLIENT,
                                                       "client_secret": SECRET})
    assert r.status_code == 401 and r.json()["error"] == "invalid_client"
    assert "HTTP Basic" in r.json()["error_description"]
