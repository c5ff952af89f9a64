"""`ccdesk sign-in [--device] [--client-id]`, `ccdesk sign-out`, `ccdesk status` in real processes, against a sandbox
with registered apps (one for the browser, one for the device flow) and a real Secret Service keyring; and the
keyring failures a desk may have, each reported with its real cause."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from ccdesk.preferences import Preferences
from ccdesk.sandbox.app import SandboxConfig
from ccdesk.sandbox.server import SandboxServer
from tests.auth.conftest import SecretService, secret_service  # noqa: F401 - the fixture, shared
from tests.desk_home import ROOT, user_env

pytestmark = pytest.mark.keyring

BROWSER_KEY = "ccdesk-browser-app"
DEVICE_KEY = "ccdesk-device-app"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Desk:
    server: SandboxServer
    home: Path
    env: dict[str, str]
    redirect: str

    def cmd(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "ccdesk", *args, "--api-base", self.server.api_base,
                "--auth-base", self.server.base_url]

    def run(self, *args: str, env: dict[str, str] | None = None,
            timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return subprocess.run(self.cmd(*args), env=env or self.env, cwd=self.home, capture_output=True, text=True,
                              timeout=timeout)

    def status(self, env: dict[str, str] | None = None) -> tuple[int, dict[str, Any]]:
        proc = self.run("status", "--json", env=env)
        return proc.returncode, json.loads(proc.stdout)


@pytest.fixture
def desk(tmp_path: Path, secret_service: SecretService) -> Iterator[Desk]:  # noqa: F811
    port = _free_port()
    redirect = f"http://localhost:{port}/callback"  # registered with the name; ccdesk listens on 127.0.0.1
    config = SandboxConfig(contacts=40, seed=5, apps=[f"{BROWSER_KEY}=pkce:{redirect}", f"{DEVICE_KEY}=device"])
    server = SandboxServer(config).start()
    server.sandbox.tokens.oauth.device_interval_s = 1.0
    home = tmp_path / "home"
    env = user_env(home, secret_service.bus_address,
                   BROWSER=f"{sys.executable} {ROOT / 'tests' / 'cli' / 'fake_browser.py'} %s")
    Preferences(redirect_uri=redirect).save(home / "config" / "ccdesk" / "preferences.json")
    try:
        yield Desk(server, home, env, redirect)
    finally:
        subprocess.run([sys.executable, "-m", "ccdesk", "sign-out"], env=env, cwd=home, capture_output=True,
                       timeout=60)
        server.stop()


def _device_sign_in(desk: Desk, *extra: str) -> subprocess.CompletedProcess[str]:
    """Run `sign-in --device`, read the code it prints, approve it on the sandbox as the user would."""
    proc = subprocess.Popen(desk.cmd("sign-in", "--device", *extra), env=desk.env, cwd=desk.home,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    shown = ""
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            shown += line
            code = re.fullmatch(r"\s+([B-Z]{4}-[B-Z]{4})\s*", line)
            if code:
                desk.server.sandbox.tokens.oauth.approve_device(code.group(1))
                break
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    return subprocess.CompletedProcess(proc.args, proc.returncode, shown + out, err)


@pytest.mark.slow  # ~15-30 s
def test_device_sign_in_status_sync_sign_out(desk: Desk) -> None:
    code, before = desk.status()
    assert code == 3 and not before["signed_in"] and before["device_api_key"] is None
    done = _device_sign_in(desk, "--client-id", DEVICE_KEY)
    assert done.returncode == 0, done.stderr
    assert "/activate" in done.stdout and "enter the code" in done.stdout and "Signed in" in done.stdout
    assert Preferences.load(desk.home / "config" / "ccdesk" / "preferences.json").device_client_id == DEVICE_KEY
    code, info = desk.status()
    assert code == 0 and info["signed_in"] and info["api_key"] == DEVICE_KEY and info["flow"] == "device"
    assert info["keyring"] == "SecretService Keyring" and info["keyring_problem"] is None
    assert info["last_sync"] is None and info["waiting"] == 0
    synced = desk.run("sync")
    assert synced.returncode == 0, synced.stderr
    code, info = desk.status()
    assert info["last_sync"] and info["requests_today"] >= 1  # the desk-wide count for this API key
    human = desk.run("status")
    assert "Signed in to Constant Contact with API key ccdesk-device-app" in human.stdout
    assert "Last sync: 20" in human.stdout
    out = desk.run("sign-out")
    assert out.returncode == 0 and "Signed out" in out.stdout
    assert desk.status()[0] == 3
    again = desk.run("sync")
    assert again.returncode == 3 and "ccdesk sign-in" in again.stderr


@pytest.mark.slow  # ~15-30 s
def test_browser_sign_in_with_a_localhost_redirect(desk: Desk) -> None:
    done = desk.run("sign-in", "--client-id", BROWSER_KEY)
    assert done.returncode == 0, done.stderr
    assert "127.0.0.1" in done.stderr or "localhost" in done.stderr  # the address is printed too
    code, info = desk.status()
    assert code == 0 and info["api_key"] == BROWSER_KEY and info["flow"] == "browser"
    # A device sign-in afterwards replaces it: one sign-in chain per desk.
    assert _device_sign_in(desk, "--client-id", DEVICE_KEY).returncode == 0
    code, info = desk.status()
    assert info["api_key"] == DEVICE_KEY and info["browser_api_key"] == BROWSER_KEY


def test_device_flow_with_the_browser_apps_key_is_refused_plainly(desk: Desk) -> None:
    done = desk.run("sign-in", "--device", "--client-id", BROWSER_KEY)
    assert done.returncode == 1 and "device flow" in done.stderr and "Traceback" not in done.stderr


def test_sign_in_without_any_key_says_how(desk: Desk) -> None:
    done = desk.run("sign-in", "--device")
    assert done.returncode == 3 and "--client-id YOUR_API_KEY" in done.stderr


def _env_with(desk: Desk, **extra: str) -> dict[str, str]:
    Preferences(client_id=BROWSER_KEY, redirect_uri=desk.redirect).save(
        desk.home / "config" / "ccdesk" / "preferences.json")
    return {**desk.env, **extra}


@pytest.mark.parametrize(("backend", "bus", "cause"), [
    ("no.such.module.Keyring", None, "cannot be loaded"),
    ("keyring.backends.SecretService.Keyring", "unix:path=/nonexistent/ccdesk-bus", "could not be reached over D-Bus"),
    ("tests.cli.odd_keyrings.LockedKeyring", None, "keyring is locked"),
    ("tests.cli.odd_keyrings.PlaintextKeyring", None, "keeps passwords in a file"),
], ids=["unknown-backend", "no-dbus-socket", "locked-collection", "plaintext-file"])
def test_keyring_failures_say_the_real_cause(desk: Desk, backend: str, bus: str | None, cause: str) -> None:
    env = _env_with(desk, PYTHON_KEYRING_BACKEND=backend, PYTHONPATH=str(ROOT))
    if bus:
        env["DBUS_SESSION_BUS_ADDRESS"] = bus
    for args in (("sync",), ("status",), ("sign-in", "--device")):
        proc = desk.run(*args, env=env, timeout=60)
        assert proc.returncode == 3, (args, proc.stdout, proc.stderr)
        text = proc.stdout + proc.stderr
        assert cause in text, (args, text)
        assert "unexpected problem" not in text and "Traceback" not in text
    assert not (desk.home / "keyring_pass.cfg").exists()  # nothing was written in plain text


def test_browser_sign_in_without_a_browser_points_to_device(desk: Desk) -> None:
    env = {**desk.env, "BROWSER": "/nonexistent/browser %s"}
    done = desk.run("sign-in", "--client-id", BROWSER_KEY, "--timeout", "1", env=env)
    assert done.returncode == 1 and "No browser could be opened" in done.stderr and "--device" in done.stderr
    assert "No answer from the browser within 1 seconds" in done.stderr and "Traceback" not in done.stderr
