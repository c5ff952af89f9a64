"""Fixtures for signing in through a real browser: an X screen, the sandbox over loopback, a real Secret Service
keyring, the desktop's default web browser (headless Chromium), and the ccdesk window in its own process."""

from __future__ import annotations

import contextlib
import json
import os
import queue
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from ccdesk.auth.token_store import KeyringTokenStore
from ccdesk.auth.tokenset import TokenSet
from ccdesk.preferences import Preferences
from ccdesk.sandbox.server import SandboxServer
from tests.auth.conftest import SecretService, secret_service  # noqa: F401 - the fixture, shared
from tests.browser.desktop import DefaultBrowser, Xvfb, missing_tools, stop_process

ROOT = Path(__file__).resolve().parents[2]
CLIENT_ID = "ccdesk-browser-test"
# The API key of the app registered for the device flow (the `device_client_id` setting where ccdesk has it; a
# ccdesk without it ignores the key and uses CLIENT_ID for codes too).
DEVICE_CLIENT_ID = "ccdesk-browser-test-device"
CONTACTS = 25
# What a desktop session may set that would make xdg-open or Qt pick another browser than the test's default.
DESKTOP_VARS = ("XDG_", "PYTHON_KEYRING", "QT_", "BROWSER", "DEFAULT_BROWSER", "DESKTOP_SESSION", "KDE_",
                "GNOME_DESKTOP", "WAYLAND_DISPLAY", "DISPLAY")


@pytest.fixture(scope="module")
def xvfb() -> Iterator[Xvfb]:
    missing = missing_tools()
    if missing:
        pytest.skip(f"needs {', '.join(missing)} (bash tools/setup.sh --test installs them)")
    screen = Xvfb()
    yield screen
    screen.stop()


@pytest.fixture
def sandbox(start_sandbox: Callable[..., SandboxServer]) -> SandboxServer:
    """The sandbox's OAuth server and API; sign-ins wait for a person's answer (no auto-approve)."""
    return start_sandbox(contacts=CONTACTS, seed=5, rate_limit=0, auto_approve=False)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class DeskApp:
    """The ccdesk window in a child process (tests/browser/app_child.py) on the X screen, asked over a pipe."""

    def __init__(self, home: Path, env: dict[str, str]) -> None:
        self.home = home
        self.stderr_path = home / "app-stderr.log"
        self._stderr = self.stderr_path.open("w")
        self.proc = subprocess.Popen([sys.executable, "-m", "tests.browser.app_child"], cwd=ROOT, env=env,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._stderr, text=True)
        self._replies: queue.Queue[dict[str, Any]] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            if line.startswith("@@ "):
                self._replies.put(json.loads(line[3:]))

    def ask(self, command: str, timeout: float = 15) -> dict[str, Any]:
        assert self.proc.stdin is not None
        if self.proc.poll() is not None:
            raise AssertionError(f"ccdesk exited with {self.proc.returncode}:\n{self.stderr()}")
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        try:
            reply = self._replies.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"ccdesk did not answer {command!r}:\n{self.stderr()}") from None
        assert "error" not in reply, f"{command!r}: {reply['error']}"
        return reply

    def wait_for(self, what: str, check: Callable[[dict[str, Any]], object], timeout: float = 30) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            shown = self.ask("state")
            if check(shown):
                return shown
            if time.monotonic() > deadline:
                raise AssertionError(f"ccdesk never showed {what}; it shows {shown}\n{self.stderr()}")
            time.sleep(0.1)

    def sign_in_screen(self, page: str = "start") -> dict[str, Any]:
        """Wait for that page of the sign-in screen (the start page: also for an earlier attempt to have ended)."""
        return self.wait_for(f"the sign-in screen's {page} page", lambda s: s["sign_in"] is not None and (
            s["sign_in"]["page"] == page and (page != "start" or not s["sign_in"]["busy"])))["sign_in"]

    def stderr(self) -> str:
        self._stderr.flush()
        return self.stderr_path.read_text(errors="replace")[-3000:]

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                self.ask("quit", timeout=5)
                self.proc.wait(15)
            except (AssertionError, subprocess.TimeoutExpired, BrokenPipeError):
                pass
        stop_process(self.proc)

    def release(self) -> None:
        """Close the pipes once nothing holds them: the browser the app opened inherited its stdout."""
        self._reader.join(5)
        streams = [self.proc.stdin] + ([self.proc.stdout] if not self._reader.is_alive() else [])
        for stream in streams:
            if stream is not None:
                with contextlib.suppress(BrokenPipeError):
                    stream.close()
        self._stderr.close()


class Desk:
    """Everything one test needs: the app, its default browser, the sandbox and the keyring the app uses."""

    def __init__(self, home: Path, server: SandboxServer, keyring: SecretService, display: str, *,
                 window: bool = True) -> None:
        from keyring.backends import SecretService as secret_service_backend

        self.home = home
        self.server = server
        self.port = free_port()
        self.redirect_uri = f"http://127.0.0.1:{self.port}/callback"
        self.browser = DefaultBrowser(home)
        prefs = Preferences(client_id=CLIENT_ID, auth_base=server.base_url, api_base=server.api_base,
                            redirect_uri=self.redirect_uri).save(home / "config" / "ccdesk" / "preferences.json")
        prefs.write_text(json.dumps({**json.loads(prefs.read_text()), "device_client_id": DEVICE_CLIENT_ID}))
        self.stores = {key: KeyringTokenStore(key, backend=secret_service_backend.Keyring())
                       for key in (CLIENT_ID, DEVICE_CLIENT_ID)}
        self.clear_keyring()
        (home / "tmp").mkdir()
        env = {k: v for k, v in os.environ.items() if not k.startswith(DESKTOP_VARS)}
        env.update(self.browser.env())
        env.update({"HOME": str(home), "XDG_STATE_HOME": str(home / "state"), "XDG_CACHE_HOME": str(home / "cache"),
                    "TMPDIR": str(home / "tmp"),  # ccdesk's one-instance socket lives there: keep it to this test
                    "DISPLAY": display, "QT_QPA_PLATFORM": "xcb", "DBUS_SESSION_BUS_ADDRESS": keyring.bus_address,
                    "PYTHONPATH": str(ROOT)})
        self.env = env
        self._app = DeskApp(home, env) if window else None

    @property
    def app(self) -> DeskApp:
        assert self._app is not None, "this desk has no window"
        return self._app

    @property
    def oauth(self) -> Any:
        return self.server.app.state.sandbox.tokens.oauth

    def stored_tokens(self, client_id: str | None = CLIENT_ID) -> TokenSet | None:
        """The sign-in saved under that API key (None: under either key) in the Secret Service keyring."""
        keys = [client_id] if client_id else list(self.stores)
        return next((t for t in (self.stores[k].load() for k in keys) if t is not None), None)

    def clear_keyring(self) -> None:
        for store in self.stores.values():
            store.clear()

    def close(self) -> None:
        try:
            if self._app is not None:
                self._app.close()
        finally:
            self.browser.close_all()
            if self._app is not None:
                self._app.release()
            self.clear_keyring()


@pytest.fixture
def desk(tmp_path: Path, sandbox: SandboxServer, secret_service: SecretService,  # noqa: F811
         xvfb: Xvfb) -> Iterator[Desk]:
    started = Desk(tmp_path / "home", sandbox, secret_service, xvfb.display)
    yield started
    started.close()


@pytest.fixture
def desk_without_window(tmp_path: Path, sandbox: SandboxServer, secret_service: SecretService,  # noqa: F811
                        xvfb: Xvfb) -> Iterator[Desk]:
    """The same desktop, for the `ccdesk sign-in` command (no window)."""
    started = Desk(tmp_path / "home", sandbox, secret_service, xvfb.display, window=False)
    yield started
    started.close()


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    """Where screenshots go: CCDESK_BROWSER_SHOTS (e.g. docs/images) when set, else the test's own directory."""
    return Path(os.environ.get("CCDESK_BROWSER_SHOTS") or tmp_path / "shots").resolve()
