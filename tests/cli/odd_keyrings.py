"""Keyring backends a desk may have, for commands run in a subprocess (PYTHON_KEYRING_BACKEND=tests.cli.odd_keyrings.X).

PlaintextKeyring mimics keyrings.alt's file backend (base64 in `keyring_pass.cfg`, a `file_path` attribute),
without installing keyrings.alt into the shared venv (installing it makes it the default everywhere).
LockedKeyring behaves as a Secret Service whose collection stays locked (the unlock prompt was dismissed)."""

from __future__ import annotations

import base64
import os

import keyring.backend
import keyring.errors


class PlaintextKeyring(keyring.backend.KeyringBackend):
    priority = 0  # type: ignore[assignment]  # never chosen unless named

    def __init__(self) -> None:
        super().__init__()
        self.file_path = os.path.join(os.environ["HOME"], "keyring_pass.cfg")

    def get_password(self, service: str, username: str) -> str | None:
        try:
            with open(self.file_path, encoding="utf-8") as f:
                for line in f:
                    key, _, value = line.rstrip("\n").partition("=")
                    if key == f"{service}:{username}":
                        return base64.b64decode(value).decode()
        except FileNotFoundError:
            return None
        return None

    def set_password(self, service: str, username: str, password: str) -> None:
        with open(self.file_path, "a", encoding="utf-8") as f:
            f.write(f"{service}:{username}={base64.b64encode(password.encode()).decode()}\n")

    def delete_password(self, service: str, username: str) -> None:
        raise keyring.errors.PasswordDeleteError("not supported here")


class LockedKeyring(keyring.backend.KeyringBackend):
    priority = 0  # type: ignore[assignment]

    def get_password(self, service: str, username: str) -> str | None:
        raise keyring.errors.KeyringLocked("Failed to unlock the collection!")

    def set_password(self, service: str, username: str, password: str) -> None:
        raise keyring.errors.KeyringLocked("Failed to unlock the collection!")

    def delete_password(self, service: str, username: str) -> None:
        raise keyring.errors.KeyringLocked("Failed to unlock the collection!")
