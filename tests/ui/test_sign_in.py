"""The sign-in screen against the sandbox's OAuth server over loopback: browser flow, device code, errors,
no API key yet, and no usable keyring (signed in for this session only)."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

import httpx
import keyring.backends.fail
import pytest

from ccdesk.auth.config import AuthConfig
from ccdesk.auth.session import AuthSession
from ccdesk.auth.token_store import KeyringTokenStore, MemoryTokenStore
from ccdesk.preferences import Preferences, redirect_problem
from ccdesk.sandbox.server import SandboxServer
from ccdesk.ui.sign_in import SignInScreen
from tests.ui.waiting import until

CLIENT = "ccdesk-ui-test"




@pytest.fixture
def sandbox_options() -> dict[str, Any]:
    return {"contacts": 5, "auto_approve": True}


def config_for(server: SandboxServer) -> AuthConfig:
    return AuthConfig(client_id=CLIENT, auth_base=server.base_url, redirect_uri="http://127.0.0.1:0/callback")


class ScriptedBrowser:
    """Opens the authorize URL like a browser would: follows the redirect to ccdesk's loopback listener."""

    def __init__(self, decide: str | None = None) -> None:
        self.urls: list[str] = []
        self.tasks: set[asyncio.Task[None]] = set()
        self.decide = decide

    def __call__(self, url: str) -> bool:
        self.urls.append(url)
        task = asyncio.get_running_loop().create_task(self._visit(url))
        self.tasks.add(task)
        return True

    async def finish(self) -> None:
        """Let the browser's requests end inside the test: a socket left open would outlive the test's loop."""
        if self.tasks:
            _done, pending = await asyncio.wait(self.tasks, timeout=5)
            for task in pending:
                task.cancel()
            await asyncio.gather(*self.tasks, return_exceptions=True)

    async def _visit(self, url: str) -> None:
        async with httpx.AsyncClient(follow_redirects=self.decide is None, timeout=10) as http:
            page = await http.get(url)
            if self.decide is None:
                return
            request_id = re.search(r'name="request_id" value="([^"]+)"', page.text).group(1)
            answer = await http.post(url.split("?")[0], data={"request_id": request_id, "decision": self.decide})
            await http.get(answer.headers["location"])  # the browser follows the 303 back to ccdesk


async def test_browser_sign_in_completes(server: SandboxServer, qtbot) -> None:
    session = AuthSession(config_for(server), MemoryTokenStore())
    browser = ScriptedBrowser()
    screen = SignInScreen(session, config_for(server), open_url=browser)
    qtbot.addWidget(screen)
    screen.show()
    done: list[bool] = []
    screen.signed_in.connect(lambda: done.append(True))
    screen.start_browser()
    await until(lambda: bool(done))
    assert session.signed_in and browser.urls and browser.urls[0] in screen.browser_url.text()
    await browser.finish()


async def test_declining_in_the_browser_says_so(server: SandboxServer, qtbot) -> None:
    server.app.state.sandbox.tokens.oauth.options.auto_approve = False
    session = AuthSession(config_for(server), MemoryTokenStore())
    browser = ScriptedBrowser(decide="deny")
    screen = SignInScreen(session, config_for(server), open_url=browser)
    qtbot.addWidget(screen)
    screen.show()
    screen.start_browser()
    await until(lambda: screen.error.isVisible())
    assert "declined" in screen.error.label.text().lower() and not session.signed_in
    assert screen.pages.currentIndex() == 0
    await browser.finish()


async def test_cancel_while_waiting_for_the_browser(server: SandboxServer, qtbot) -> None:
    server.app.state.sandbox.tokens.oauth.options.auto_approve = False
    session = AuthSession(config_for(server), MemoryTokenStore())
    screen = SignInScreen(session, config_for(server), open_url=lambda _u: True)
    qtbot.addWidget(screen)
    screen.show()
    screen.start_browser()
    await until(lambda: bool(screen.browser_url.text()))
    assert screen.pages.currentIndex() == 1
    screen.cancel()
    await until(lambda: screen.pages.currentIndex() == 0)
    assert not session.signed_in and not screen.error.isVisible()


async def test_device_code_is_shown_and_sign_in_completes(server: SandboxServer, qtbot) -> None:
    oauth = server.app.state.sandbox.tokens.oauth
    oauth.options.auto_approve = False
    oauth.device_interval_s = 1
    session = AuthSession(config_for(server), MemoryTokenStore())
    screen = SignInScreen(None, None, open_url=lambda _u: True, device_session=session)
    qtbot.addWidget(screen)
    screen.show()
    assert screen.device_button.isVisible() and screen.device_button.isEnabled()
    done: list[bool] = []
    screen.signed_in.connect(lambda: done.append(True))
    screen.start_device()
    await until(lambda: screen.user_code.text() not in ("", "—"))
    assert "expires in" in screen.device_status.text()
    assert screen.device_url.text().startswith(server.base_url)
    oauth.approve_device(screen.user_code.text())
    await until(lambda: bool(done), 15)
    assert session.signed_in and screen.signed_in_session is session


async def test_expired_device_code_offers_a_new_one(server: SandboxServer, qtbot) -> None:
    oauth = server.app.state.sandbox.tokens.oauth
    oauth.options.auto_approve = False
    oauth.device_interval_s = 1
    oauth.device_expires_in_s = 2
    session = AuthSession(config_for(server), MemoryTokenStore())
    screen = SignInScreen(session, config_for(server), open_url=lambda _u: True, device_session=session)
    qtbot.addWidget(screen)
    screen.show()
    screen.start_device()
    await until(lambda: screen.new_code_button.isVisible() and screen._task is None, 15)
    assert "expired" in (screen.device_status.text() + screen.error.label.text()).lower()
    assert not session.signed_in


async def test_sign_in_with_a_code_only_when_a_device_key_is_set(server: SandboxServer, qtbot) -> None:
    session = AuthSession(config_for(server), MemoryTokenStore())
    screen = SignInScreen(session, config_for(server), open_url=lambda _u: True)
    qtbot.addWidget(screen)
    screen.show()
    assert screen.browser_button.isVisible() and not screen.device_button.isVisible()
    screen.start_device()  # nothing happens without the device-flow app's key
    await asyncio.sleep(0.05)
    assert screen.pages.currentIndex() == 0
    screen.set_config(session, config_for(server), AuthSession(config_for(server), MemoryTokenStore()))
    assert screen.device_button.isVisible()
    screen.grab().save("/tmp/ccdesk-sign-in-with-code.png")


def test_without_an_api_key_only_settings_is_offered(qtbot) -> None:
    screen = SignInScreen(None, None)
    qtbot.addWidget(screen)
    screen.show()
    screen.show()
    assert not screen.browser_button.isEnabled() and not screen.device_button.isEnabled()
    assert screen.settings_button.isVisible()


async def test_no_keyring_means_signed_in_for_this_session_only(server: SandboxServer, qtbot) -> None:
    store = KeyringTokenStore(CLIENT, backend=keyring.backends.fail.Keyring())
    session = AuthSession(config_for(server), store)
    browser = ScriptedBrowser()
    screen = SignInScreen(session, config_for(server), open_url=browser)
    qtbot.addWidget(screen)
    screen.show()
    screen.start_browser()
    await until(lambda: screen.pages.currentIndex() == 3)
    await browser.finish()
    assert "session only" in screen.session_only_text.text()
    assert session.signed_in and not session.store.persistent


def test_preferences_round_trip_and_never_hold_tokens(tmp_path: Path) -> None:
    path = tmp_path / "prefs.json"
    prefs = Preferences(client_id="abc-123", sync_interval_min=30)
    prefs.save(path)
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert Preferences.load(path) == prefs
    assert "token" not in path.read_text()
    path.write_text("{not json", encoding="utf-8")
    assert Preferences.load(path) == Preferences()
    assert redirect_problem("http://127.0.0.1:28461/callback") is None
    assert redirect_problem("https://example.com/cb") and redirect_problem("http://127.0.0.1/cb")
