"""Sign-in with the browser (Authorization Code + PKCE) end to end: ccdesk's loopback listener, a scripted browser,
and the sandbox's authorization server, all over real loopback HTTP."""

from __future__ import annotations

import asyncio
import socket
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest

from ccdesk.auth import (
    AuthConfig,
    OAuthServerError,
    SignInDenied,
    SignInError,
    SignInTimeout,
    sign_in_pkce,
)
from ccdesk.auth.loopback import LoopbackListener, _duration
from ccdesk.sandbox.oauth_apps import AppRegistry

from .conftest import CLIENT_ID, Sandbox, ScriptedBrowser


@pytest.mark.asyncio
async def test_sign_in_auto_approved(sandbox: Sandbox, browser: ScriptedBrowser) -> None:
    tokens = await sign_in_pkce(sandbox.auth_config(), browser.open, timeout_s=10, now=sandbox.clock.now)
    await asyncio.gather(*browser.tasks)

    issued = sandbox.tokens.lookup(tokens.access_token)
    assert issued is not None and issued.client_id == CLIENT_ID
    assert tokens.refresh_token and tokens.id_token is None  # offline_access asked for, openid not
    assert tokens.scopes == {"contact_data", "offline_access"}
    assert (tokens.expires_at - sandbox.clock.now()).total_seconds() == 86400
    assert browser.pages[-1].status_code == 200
    assert "You can close this tab and return to ccdesk" in browser.last_page
    query = parse_qs(urlsplit(browser.urls[0]).query)
    assert query["code_challenge_method"] == ["S256"] and len(query["state"][0]) >= 32
    assert query["scope"] == ["contact_data offline_access"] and "client_secret" not in query
    assert sandbox.oauth.token_requests["authorization_code"] == 1


@pytest.mark.asyncio
async def test_sign_in_through_the_approval_page(sandbox: Sandbox, browser: ScriptedBrowser) -> None:
    sandbox.config.auto_approve = False
    tokens = await sign_in_pkce(sandbox.auth_config(), browser.open, timeout_s=10, now=sandbox.clock.now)
    await asyncio.gather(*browser.tasks)
    assert sandbox.tokens.lookup(tokens.access_token) is not None


@pytest.mark.asyncio
async def test_fixed_redirect_port_is_used_exactly(sandbox: Sandbox, browser: ScriptedBrowser) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    redirect = f"http://127.0.0.1:{port}/oauth/callback"
    await sign_in_pkce(sandbox.auth_config(redirect_uri=redirect), browser.open, timeout_s=10)
    await asyncio.gather(*browser.tasks)
    assert parse_qs(urlsplit(browser.urls[0]).query)["redirect_uri"] == [redirect]


@pytest.mark.asyncio
async def test_deny_in_the_browser(sandbox: Sandbox) -> None:
    sandbox.config.auto_approve = False
    browser = ScriptedBrowser(decision="deny")
    with pytest.raises(SignInDenied, match="You declined access in the browser"):
        await sign_in_pkce(sandbox.auth_config(), browser.open, timeout_s=10)
    await asyncio.gather(*browser.tasks)
    assert "You declined access" in browser.last_page
    assert sandbox.oauth.token_requests.total() == 0


@pytest.mark.asyncio
async def test_wrong_state_is_ignored_until_the_timeout(sandbox: Sandbox) -> None:
    def forge(url: str) -> str:
        parts = urlsplit(url)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()} | {"state": "forged"}
        return parts._replace(query=urlencode(query)).geturl()

    browser = ScriptedBrowser(tamper=forge)
    with pytest.raises(SignInTimeout, match=r"1 answer.* ignored"):
        await sign_in_pkce(sandbox.auth_config(), browser.open, timeout_s=1.5)
    await asyncio.gather(*browser.tasks)
    assert browser.pages[-1].status_code == 400 and "does not belong" in browser.last_page
    assert sandbox.oauth.token_requests.total() == 0  # the code was never exchanged


@pytest.mark.asyncio
async def test_forged_callbacks_do_not_end_the_wait(sandbox: Sandbox) -> None:
    """No state, a wrong state, two codes, a foreign Host header: each is ignored, and the real answer that
    follows signs in."""
    real: list[str] = []
    listener_port: list[int] = []

    def hold(url: str) -> str:  # the real redirect is held back until the forgeries have been sent
        real.append(url)
        listener_port.append(urlsplit(url).port or 0)
        return url

    browser = ScriptedBrowser(tamper=hold)
    task = asyncio.create_task(sign_in_pkce(sandbox.auth_config(), lambda u: browser.urls.append(u) or True,
                                            timeout_s=20))
    while not browser.urls:
        await asyncio.sleep(0.01)
    port = urlsplit(parse_qs(urlsplit(browser.urls[0]).query)["redirect_uri"][0]).port
    base = f"http://127.0.0.1:{port}/callback"
    state = parse_qs(urlsplit(browser.urls[0]).query)["state"][0]
    async with httpx.AsyncClient(timeout=5) as web:
        for forged in (f"{base}?code=evil", f"{base}?code=evil&state=wrong",
                       f"{base}?code=evil&code=evil2&state={state}", f"{base}?state={state}&state={state}&code=x"):
            assert (await web.get(forged)).status_code == 400
        rebound = await web.get(f"{base}?code=evil&state={state}", headers={"Host": f"attacker.example:{port}"})
        assert rebound.status_code == 400
    assert not task.done()
    await browser.visit(browser.urls[0])  # now the real browser comes back
    tokens = await task
    assert sandbox.tokens.lookup(tokens.access_token) is not None
    assert sandbox.oauth.token_requests["authorization_code"] == 1


@pytest.mark.asyncio
async def test_localhost_redirect_is_accepted_but_only_127_0_0_1_listens(sandbox: Sandbox) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    redirect = f"http://localhost:{port}/callback"
    sandbox.oauth.apps = AppRegistry([f"{CLIENT_ID}=pkce:{redirect}"])  # registered exactly like this
    def opener(url: str) -> bool:
        assert parse_qs(urlsplit(url).query)["redirect_uri"] == [redirect]
        return browser.open(url)

    browser = ScriptedBrowser()
    tokens = await sign_in_pkce(sandbox.auth_config(redirect_uri=redirect), opener, timeout_s=10)
    await asyncio.gather(*browser.tasks)
    assert sandbox.tokens.lookup(tokens.access_token) is not None
    assert any(v.startswith(f"http://localhost:{port}/callback?") for v in browser.visited)  # Host: localhost


@pytest.mark.asyncio
async def test_timeout_when_the_browser_never_answers(sandbox: Sandbox) -> None:
    opened: list[str] = []
    with pytest.raises(SignInTimeout, match=r"No answer from the browser within 0\.2 seconds"):
        await sign_in_pkce(sandbox.auth_config(), opened.append, timeout_s=0.2)
    assert len(opened) == 1


def test_timeout_message_in_minutes() -> None:
    assert _duration(180) == "3 minutes" and _duration(60) == "1 minute" and _duration(0.5) == "0.5 seconds"


@pytest.mark.asyncio
async def test_browser_that_fails_to_open(sandbox: Sandbox) -> None:
    def broken(url: str) -> None:
        raise OSError("no browser")

    with pytest.raises(SignInError, match="could not open the web browser"):
        await sign_in_pkce(sandbox.auth_config(), broken, timeout_s=5)


@pytest.mark.asyncio
async def test_refused_exchange_is_reported(sandbox: Sandbox) -> None:
    """The code arrives, but the server refuses it (here: it expired before the exchange)."""
    def late(url: str) -> str:
        sandbox.clock.advance(301)  # codes live about 5 minutes
        return url

    browser = ScriptedBrowser(tamper=late)
    with pytest.raises(OAuthServerError, match="did not accept the sign-in") as caught:
        await sign_in_pkce(sandbox.auth_config(), browser.open, timeout_s=10)
    await asyncio.gather(*browser.tasks)
    assert caught.value.error == "invalid_grant"


# ---- the loopback listener on its own ---------------------------------------------------------------------------

async def _get(url: str) -> httpx.Response:
    async with httpx.AsyncClient(timeout=5) as web:
        return await web.get(url)


@pytest.mark.asyncio
async def test_listener_binds_loopback_only_and_ignores_other_paths() -> None:
    async with LoopbackListener("state-123", timeout_s=5) as listener:
        assert listener.redirect_uri.startswith("http://127.0.0.1:")
        assert listener._server is not None
        assert {s.getsockname()[0] for s in listener._server.sockets} == {"127.0.0.1"}
        favicon = await _get(f"http://127.0.0.1:{listener.port}/favicon.ico")
        assert favicon.status_code == 404
        ok = await _get(f"{listener.redirect_uri}?code=abc&state=state-123")
        assert ok.status_code == 200 and ok.headers["referrer-policy"] == "no-referrer"
        again = await _get(f"{listener.redirect_uri}?code=other&state=state-123")
        assert again.status_code == 400  # one-shot: a second callback does not count
        assert await listener.wait() == "abc"


@pytest.mark.asyncio
async def test_listener_error_callback_from_the_server() -> None:
    async with LoopbackListener("st", timeout_s=5) as listener:
        page = await _get(f"{listener.redirect_uri}?error=server_error&error_description=Boom&state=st")
        assert "Boom" in page.text
        with pytest.raises(OAuthServerError, match="could not sign you in: Boom") as caught:
            await listener.wait()
        assert caught.value.error == "server_error"


@pytest.mark.asyncio
async def test_listener_answers_on_localhost_name_but_binds_127_0_0_1() -> None:
    async with LoopbackListener("st", timeout_s=5, host_name="localhost") as listener:
        assert listener.redirect_uri.startswith("http://localhost:")
        assert listener._server is not None
        assert {s.getsockname()[0] for s in listener._server.sockets} == {"127.0.0.1"}
        page = await _get(f"http://127.0.0.1:{listener.port}/callback?code=c1&state=st")  # Host: 127.0.0.1:port
        assert page.status_code == 200 and await listener.wait() == "c1"


@pytest.mark.asyncio
@pytest.mark.parametrize(("query", "timeout_s", "error", "match"), [
    pytest.param("error=access_denied&state=nope", 0.5, SignInTimeout, "ignored", id="error-with-wrong-state"),
    pytest.param("state=st", 5, SignInError, "without an authorization code", id="no-code"),
])
async def test_listener_refuses_a_callback(query: str, timeout_s: float, error: type[Exception], match: str) -> None:
    async with LoopbackListener("st", timeout_s=timeout_s) as listener:
        await _get(f"{listener.redirect_uri}?{query}")
        with pytest.raises(error, match=match):
            await listener.wait()


@pytest.mark.asyncio
async def test_listener_port_in_use() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(SignInError, match=f"port {port}: another program is using it"):
            await LoopbackListener("st", port=port).start()


def test_auth_config_defaults_and_validation() -> None:
    config = AuthConfig("key")
    assert config.redirect_uri == "http://127.0.0.1:28461/callback" and config.redirect_port == 28461
    assert config.token_url == "https://authz.constantcontact.com/oauth2/default/v1/token"
    assert config.scope == "contact_data offline_access"
    with pytest.raises(ValueError, match="https"):
        AuthConfig("key", auth_base="http://authz.example.com")
    assert AuthConfig("key", redirect_uri="http://localhost:8000/cb").redirect_host == "localhost"
    with pytest.raises(ValueError, match=r"127\.0\.0\.1"):
        AuthConfig("key", redirect_uri="http://example.com:8000/cb")
    with pytest.raises(ValueError, match="client_id"):
        AuthConfig(" ")


@pytest.mark.asyncio
async def test_cancelling_the_sign_in_frees_the_port(sandbox: Sandbox) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = sandbox.auth_config(redirect_uri=f"http://127.0.0.1:{port}/callback")
    opened: list[str] = []
    task = asyncio.create_task(sign_in_pkce(config, opened.append, timeout_s=30))
    while not opened:
        await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    async with LoopbackListener("again", port=port) as listener:  # the user can start over at once
        assert listener.port == port
