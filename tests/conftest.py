"""Test-wide setup: headless Qt, a fresh home per test (no test touches the real user's config, data or keyring,
nor another test's), and the sandbox fixtures every area uses (tests/sandboxes.py)."""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before any Qt import

import pytest

from ccdesk.sandbox.server import SandboxServer
from tests.sandboxes import sandboxes

HOME_DIRS = (("XDG_CONFIG_HOME", "config"), ("XDG_DATA_HOME", "data"), ("XDG_STATE_HOME", "state"),
             ("XDG_CACHE_HOME", "cache"))


def _set_home(home: Path, setenv: Callable[[str, str], None]) -> None:
    setenv("HOME", str(home))
    setenv("XDG_CONFIG_DIRS", str(home / "etc-xdg"))  # no machine-wide settings from /etc/xdg
    for var, sub in HOME_DIRS:
        setenv(var, str(home / sub))


# For what runs at import and in session- or module-scoped fixtures; each test then gets its own (below).
_set_home(Path(tempfile.mkdtemp(prefix="ccdesk-test-home-")), os.environ.__setitem__)
# Tests that need a keyring set one up themselves (in-memory, or a real Secret Service on a private D-Bus).
os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
os.environ.pop("DBUS_SESSION_BUS_ADDRESS", None)


@pytest.fixture(autouse=True)
def fresh_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """HOME, the XDG folders and Qt's QSettings in a folder of this test's own: preferences, caches, logs and
    window settings never leak from one test into another. Child processes inherit it."""
    home = tmp_path_factory.mktemp("home")
    _set_home(home, monkeypatch.setenv)
    qt_core = sys.modules.get("PySide6.QtCore")
    if qt_core is not None:  # QSettings reads XDG_CONFIG_HOME once per process: point it here explicitly
        settings = qt_core.QSettings
        for fmt in (settings.Format.NativeFormat, settings.Format.IniFormat):
            settings.setPath(fmt, settings.Scope.UserScope, str(home / "config"))
            settings.setPath(fmt, settings.Scope.SystemScope, str(home / "etc-xdg"))
    return home


@pytest.fixture
def sandbox_options() -> dict[str, Any]:
    """SandboxConfig options for this area's `start_sandbox` and `server` (a conftest or a module overrides it)."""
    return {}


@pytest.fixture
def start_sandbox(sandbox_options: dict[str, Any]) -> Iterator[Callable[..., SandboxServer]]:
    """`start_sandbox(**options)`: a sandbox on 127.0.0.1 with this area's options overridden by `options`;
    all are stopped after the test."""
    with sandboxes(**sandbox_options) as start:
        yield start


@pytest.fixture
def server(start_sandbox: Callable[..., SandboxServer]) -> SandboxServer:
    """A sandbox with this area's options."""
    return start_sandbox()
