"""Test-wide setup: headless Qt, and no test may touch the real user's config, data or keyring."""

from __future__ import annotations

import os
import tempfile

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before any Qt import

_home = tempfile.mkdtemp(prefix="ccdesk-test-home-")
os.environ["XDG_CONFIG_DIRS"] = os.path.join(_home, "etc-xdg")  # no machine-wide settings from /etc/xdg
for var, sub in (("XDG_CONFIG_HOME", "config"), ("XDG_DATA_HOME", "data"), ("XDG_STATE_HOME", "state"),
                 ("XDG_CACHE_HOME", "cache")):
    os.environ[var] = os.path.join(_home, sub)
# Tests that need a keyring set one up themselves (in-memory, or a real Secret Service on a private D-Bus).
os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
os.environ.pop("DBUS_SESSION_BUS_ADDRESS", None)
