"""Real-account start-up: sign in when there is no stored session, restore it next time, and come back to the
sign-in screen (with a message) when the session ends."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from ccdesk.auth.token_store import MemoryTokenStore
from ccdesk.preferences import Preferences
from ccdesk.sandbox.server import SandboxServer
from ccdesk.ui.account_gate import AccountGate
from tests.ui.waiting import until


@pytest.fixture
def sandbox_options() -> dict[str, Any]:
    return {"contacts": 5, "auto_approve": True}


async def test_sign_in_then_restore_then_signed_out_brings_the_screen_back(server: SandboxServer, qtbot) -> None:
    stores: dict[str, MemoryTokenStore] = {}
    tasks: set[asyncio.Task[None]] = set()

    async def visit(url: str) -> None:
        async with httpx.AsyncClient(follow_redirects=True, timeout=10) as http:
            await http.get(url)

    def browser(url: str) -> bool:
        tasks.add(asyncio.get_running_loop().create_task(visit(url)))
        return True

    prefs = Preferences(client_id="gate-test", auth_base=server.base_url, redirect_uri="http://127.0.0.1:0/callback")
    gate = AccountGate(prefs, open_url=browser, store_factory=lambda cid: stores.setdefault(cid, MemoryTokenStore()))
    quit_event = asyncio.Event()
    pending = asyncio.ensure_future(gate.signed_in_session(quit_event))
    await until(lambda: gate.screen is not None)
    assert gate.screen.browser_button.isEnabled()
    gate.screen.start_browser()
    session = await asyncio.wait_for(pending, 10)
    assert session is not None and session.signed_in and gate.screen is None

    again = AccountGate(prefs, open_url=browser, store_factory=lambda cid: stores[cid])
    restored = await again.signed_in_session(quit_event)
    assert restored is not None and restored.signed_in and again.screen is None, "no sign-in needed next time"

    told: list[str] = []
    again.watch(told.append)
    await again.sign_out()
    assert told and again.session is not None and not again.session.signed_in
    back: list[str] = []  # the window resumes the sender and the sync on this event
    again.signed_in_again.connect(lambda: back.append("resumed"))
    again.show_screen(told[0])
    again.screen.start_browser()
    await until(lambda: back == ["resumed"])
    assert again.session.signed_in and again.screen is None
    await again.session.aclose()
    await session.aclose()


async def test_closing_the_app_at_the_sign_in_screen(qtbot) -> None:
    gate = AccountGate(Preferences(client_id=""))
    quit_event = asyncio.Event()
    pending = asyncio.ensure_future(gate.signed_in_session(quit_event))
    await until(lambda: gate.screen is not None)
    assert gate.screen.settings_button.isVisibleTo(gate.screen)
    quit_event.set()
    assert await asyncio.wait_for(pending, 5) is None
    gate.screen.close()
    gate.screen.deleteLater()
    await asyncio.sleep(0.05)


async def test_device_key_offers_the_code_and_its_sign_in_is_the_desks(server: SandboxServer, qtbot) -> None:
    """With a device-flow app's key in Settings the screen offers "Sign in with a code"; a code sign-in is saved
    under that key, the browser key's old sign-in goes (one chain per desk), and the next start restores it."""
    stores: dict[str, MemoryTokenStore] = {}
    oauth = server.app.state.sandbox.tokens.oauth
    oauth.device_interval_s = 1
    prefs = Preferences(client_id="gate-browser", device_client_id="gate-device", auth_base=server.base_url,
                        redirect_uri="http://127.0.0.1:0/callback")
    gate = AccountGate(prefs, open_url=lambda _u: True,
                       store_factory=lambda cid: stores.setdefault(cid, MemoryTokenStore()))
    pending = asyncio.ensure_future(gate.signed_in_session(asyncio.Event()))
    await until(lambda: gate.screen is not None)
    assert gate.screen.device_button.isVisibleTo(gate.screen)
    gate.screen.start_device()
    session = await asyncio.wait_for(pending, 20)
    assert session is not None and session.config.client_id == "gate-device" and session.signed_in
    assert stores["gate-device"].load() is not None and stores["gate-browser"].load() is None
    again = AccountGate(prefs, store_factory=lambda cid: stores[cid])
    restored = await again.signed_in_session(asyncio.Event())
    assert restored is not None and restored.config.client_id == "gate-device" and again.screen is None
    for s in (session, restored):
        await s.aclose()


async def test_a_locked_keyring_is_named_on_the_sign_in_screen(qtbot) -> None:
    import keyring.errors

    from ccdesk.auth.token_store import KeyringTokenStore
    from tests.auth.conftest import MemoryKeyring

    class Locked(MemoryKeyring):
        def get_password(self, service: str, username: str) -> str | None:
            raise keyring.errors.KeyringLocked("Failed to unlock the collection!")

    gate = AccountGate(Preferences(client_id="locked-desk"),
                       store_factory=lambda cid: KeyringTokenStore(cid, backend=Locked()))
    quit_event = asyncio.Event()
    pending = asyncio.ensure_future(gate.signed_in_session(quit_event))
    await until(lambda: gate.screen is not None)
    shown = gate.screen.message.label.text()
    assert "keyring is locked" in shown and "FileNotFoundError" not in shown
    quit_event.set()
    assert await asyncio.wait_for(pending, 5) is None
    gate.screen.close()
    gate.screen.deleteLater()
    await asyncio.sleep(0.05)


async def test_after_a_sign_out_the_other_way_of_signing_in_is_the_one_the_client_uses(server: SandboxServer,
                                                                                        qtbot) -> None:
    """Signed in with the browser, signed out, signed in with a code: the window's API client (built once at
    start) sends with the code's sign-in, its end is still noticed, and the screen shown then offers the browser
    way with the browser app's key (it offered the device app's, which the sign-in page refused)."""
    from ccdesk.api import CCClient, RateLimiter

    stores: dict[str, MemoryTokenStore] = {}
    tasks: set[asyncio.Task[None]] = set()

    def browser(url: str) -> bool:
        async def visit() -> None:
            async with httpx.AsyncClient(follow_redirects=True, timeout=10) as http:
                await http.get(url)
        tasks.add(asyncio.get_running_loop().create_task(visit()))
        return True

    server.app.state.sandbox.tokens.oauth.device_interval_s = 1
    prefs = Preferences(client_id="gate-browser", device_client_id="gate-device", auth_base=server.base_url,
                        redirect_uri="http://127.0.0.1:0/callback")
    gate = AccountGate(prefs, open_url=browser, store_factory=lambda cid: stores.setdefault(cid, MemoryTokenStore()))
    pending = asyncio.ensure_future(gate.signed_in_session(asyncio.Event()))
    await until(lambda: gate.screen is not None)
    gate.screen.start_browser()
    first = await asyncio.wait_for(pending, 10)
    assert first is not None and first.config.client_id == "gate-browser"
    client = CCClient(gate, base_url=server.api_base, rate_limiter=RateLimiter(0))
    told: list[str] = []
    gate.watch(told.append)
    await gate.sign_out()
    assert len(told) == 1
    again: list[str] = []
    gate.signed_in_again.connect(lambda: again.append("in"))
    gate.show_screen(told[0])
    gate.screen.start_device()
    await until(lambda: again == ["in"], 20)
    assert gate.session is not None and gate.session.config.client_id == "gate-device"
    assert await gate.access_token() == gate.session.tokens.access_token  # type: ignore[union-attr]
    assert [lst async for lst in client.iter_lists()]  # the client sends with the code's sign-in
    await gate.sign_out()
    assert len(told) == 2  # the new session's end reaches the window too
    gate.show_screen(told[1])
    assert gate.screen.config is not None and gate.screen.config.client_id == "gate-browser"
    gate.show_screen("again")  # a second Sign out while it is shown: the same screen, not a second one
    await client.aclose()
    gate.screen.close()
    for s in {first, gate.session, gate.device_session} - {None}:
        await s.aclose()  # type: ignore[union-attr]


async def test_settings_saved_while_a_change_is_sent_do_not_sign_the_window_out(server: SandboxServer,
                                                                                 qtbot) -> None:
    """The window's client asks the gate for tokens; Settings rebuild the gate's sessions from the keyring (a read
    that takes a moment). A request sent meanwhile must find the sign-in, not "You are not signed in"."""
    from ccdesk.api import CCClient, RateLimiter

    class SlowKeyring(MemoryTokenStore):
        async def aload(self):  # type: ignore[no-untyped-def]
            await asyncio.sleep(0.3)  # a real keyring is read on a thread
            return self.load()

    stores: dict[str, MemoryTokenStore] = {}
    prefs = Preferences(client_id="gate-slow", auth_base=server.base_url, redirect_uri="http://127.0.0.1:0/callback")

    async def visit(url: str) -> None:
        async with httpx.AsyncClient(follow_redirects=True, timeout=10) as http:
            await http.get(url)

    tasks: set[asyncio.Task[None]] = set()
    gate = AccountGate(prefs, open_url=lambda url: bool(tasks.add(asyncio.ensure_future(visit(url)))) or True,
                       store_factory=lambda cid: stores.setdefault(cid, SlowKeyring()))
    pending = asyncio.ensure_future(gate.signed_in_session(asyncio.Event()))
    await until(lambda: gate.screen is not None)
    gate.screen.start_browser()
    assert await asyncio.wait_for(pending, 10) is not None
    client = CCClient(gate, base_url=server.api_base, rate_limiter=RateLimiter(0))
    rebuilding = asyncio.ensure_future(gate._reconfigure())  # Settings → OK
    await asyncio.sleep(0.05)
    assert [lst async for lst in client.iter_lists()]  # sent during the rebuild, with the sign-in
    await rebuilding
    assert gate.signed_in
    await client.aclose()
    await gate.session.aclose()  # type: ignore[union-attr]


def test_after_a_sign_in_with_the_other_key_requests_count_against_that_key(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from types import SimpleNamespace

    from ccdesk.api import CCClient, StaticTokenProvider
    from ccdesk.api.shared_budget import SharedBudget
    from ccdesk.app import follow_sign_in_key
    from ccdesk.bootstrap.account import account_limiter

    client = CCClient(StaticTokenProvider("t"), base_url="http://127.0.0.1:9/v3",
                      rate_limiter=SharedBudget("gate-browser", tmp_path / "budget.sqlite3"))
    gate = SimpleNamespace(session=SimpleNamespace(config=SimpleNamespace(client_id="gate-device")),
                           prefs=Preferences())
    follow_sign_in_key(client, gate, account_limiter)
    assert isinstance(client.rate_limiter, SharedBudget) and client.rate_limiter.api_key == "gate-device"
    same = client.rate_limiter
    follow_sign_in_key(client, gate, account_limiter)
    assert client.rate_limiter is same  # the same key: the same budget, with its window
