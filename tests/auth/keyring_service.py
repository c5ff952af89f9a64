"""A real gnome-keyring Secret Service on a private D-Bus session bus, for tests and benchmarks (no pytest here)."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass

PASSWORD = "test-keyring-password"


@dataclass
class SecretService:
    home: str
    bus_address: str


class KeyringUnavailable(RuntimeError):
    """dbus-daemon or gnome-keyring-daemon is missing or did not start."""


@contextmanager
def private_secret_service(attempts: int = 4) -> Iterator[SecretService]:
    """Start dbus-daemon and an unlocked gnome-keyring-daemon; DBUS_SESSION_BUS_ADDRESS points at the bus only
    while inside; both daemons are ended by their pid. On a loaded machine (CI beside other test processes) the
    daemon sometimes never unlocks its collection: a fresh pair of daemons is tried, `attempts` times in all."""
    missing = [tool for tool in ("dbus-daemon", "gnome-keyring-daemon") if shutil.which(tool) is None]
    if missing:
        raise KeyringUnavailable(f"needs {' and '.join(missing)} (apt-get install gnome-keyring dbus)")
    with ExitStack() as stack:
        for attempt in range(attempts):
            try:
                service = stack.enter_context(_daemons())
                break
            except KeyringUnavailable:
                if attempt == attempts - 1:
                    raise
                time.sleep(1 + attempt)
        yield service


@contextmanager
def _daemons() -> Iterator[SecretService]:
    home = tempfile.mkdtemp(prefix="ccdesk-keyring-home-")
    env = {**os.environ, "HOME": home, "XDG_DATA_HOME": os.path.join(home, ".local", "share")}
    for var in ("DBUS_SESSION_BUS_ADDRESS", "XDG_RUNTIME_DIR", "GNOME_KEYRING_CONTROL"):
        env.pop(var, None)  # never talk to (or put a socket beside) the real user's session keyring
    # A private control directory (without XDG_RUNTIME_DIR gnome-keyring puts its control socket under
    # XDG_CACHE_HOME, which concurrent test runs of this user may share): otherwise a daemon can find another
    # run's socket, hand that daemon the password, and this bus never gets an unlocked login collection.
    env["XDG_CACHE_HOME"] = os.path.join(home, ".cache")
    bus = subprocess.Popen(["dbus-daemon", "--session", "--nofork", "--nosyslog", "--print-address=1"],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, text=True)
    daemon: subprocess.Popen[str] | None = None
    saved = os.environ.get("DBUS_SESSION_BUS_ADDRESS")
    try:
        address = bus.stdout.readline().strip() if bus.stdout else ""
        if not address:
            raise KeyringUnavailable("dbus-daemon did not start")
        env["DBUS_SESSION_BUS_ADDRESS"] = address
        daemon = subprocess.Popen(["gnome-keyring-daemon", "--foreground", "--unlock", "--components=secrets"],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                  env=env, text=True)
        assert daemon.stdin is not None and daemon.stdout is not None
        daemon.stdin.write(PASSWORD)  # must be non-empty, or creating the collection fails
        daemon.stdin.close()
        control = daemon.stdout.readline().strip()
        if not control.startswith("GNOME_KEYRING_CONTROL="):
            raise KeyringUnavailable("gnome-keyring-daemon did not start")
        env["GNOME_KEYRING_CONTROL"] = control.split("=", 1)[1]
        os.environ["DBUS_SESSION_BUS_ADDRESS"] = address
        _wait_for_unlocked_login(env)
        yield SecretService(home, address)
    finally:
        if saved is None:
            os.environ.pop("DBUS_SESSION_BUS_ADDRESS", None)
        else:
            os.environ["DBUS_SESSION_BUS_ADDRESS"] = saved
        for proc in (daemon, bus):
            if proc is not None and proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(5)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(5)
        for stream in (bus.stdout, daemon.stdout if daemon else None):
            if stream is not None:
                stream.close()
        shutil.rmtree(home, ignore_errors=True)


def _wait_for_unlocked_login(env: dict[str, str], timeout_s: float = 15.0) -> None:
    """The daemon creates the "login" collection from the password shortly after it starts; a first write that
    comes sooner would try to create a collection through a prompt, which is dismissed headless. On a loaded
    machine it was sometimes left locked: it is then unlocked through the daemon's control socket."""
    import secretstorage

    deadline = time.monotonic() + timeout_s
    connection = secretstorage.dbus_init()
    try:
        while time.monotonic() < deadline:
            try:
                login = [c for c in secretstorage.get_all_collections(connection)
                         if c.collection_path.endswith("/login")]
            except Exception:  # the service may not be registered on the bus yet
                login = []
            if login and not login[0].is_locked():
                return
            if login:
                subprocess.run(["gnome-keyring-daemon", "--unlock"], input=PASSWORD, env=env, text=True,
                               capture_output=True, timeout=10)
            time.sleep(0.05)
    finally:
        connection.close()
    raise KeyringUnavailable("gnome-keyring-daemon did not unlock its login collection")
