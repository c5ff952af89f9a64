"""Which keyring backends may hold sign-in tokens, and the real cause, in plain words, when the keyring fails.

Refused: keyring's fail/null backends (nothing is kept) and every file-based backend (keyrings.alt's
PlaintextKeyring keeps tokens base64-only in `keyring_pass.cfg`; its "encrypted" file backends ask for a password
on a terminal and sit beside the data they guard). ccdesk then keeps the sign-in for this session only and says so.
"""

from __future__ import annotations

import os

import keyring.backend
import keyring.errors
from keyring.backends import chainer, fail, null

FILE_BACKEND_MODULES = ("keyrings.alt", "keyrings.cryptfile", "keyrings.gauth")


def backend_label(backend: keyring.backend.KeyringBackend) -> str:
    return str(getattr(backend, "name", type(backend).__name__))


def is_file_backend(backend: keyring.backend.KeyringBackend) -> bool:
    module = type(backend).__module__ or ""
    if module.startswith(FILE_BACKEND_MODULES):
        return True
    name = type(backend).__name__.lower()
    return hasattr(backend, "file_path") or "plaintext" in name or "encryptedkeyring" in name


def backend_problem(backend: keyring.backend.KeyringBackend) -> str | None:
    """Why ccdesk will not keep tokens in `backend`, or None when it may."""
    if isinstance(backend, chainer.ChainerBackend):
        usable = [b for b in backend.backends if backend_problem(b) is None]
        if usable:
            return None
        if any(is_file_backend(b) for b in backend.backends):
            return _file_problem(next(b for b in backend.backends if is_file_backend(b)))
        return "there is no usable keyring on this computer"
    if isinstance(backend, fail.Keyring | null.Keyring):
        return "there is no usable keyring on this computer"
    if is_file_backend(backend):
        return _file_problem(backend)
    return None


def _file_problem(backend: keyring.backend.KeyringBackend) -> str:
    return (f"the keyring backend in use ({backend_label(backend)}) keeps passwords in a file, not in a protected "
            "system keyring, so ccdesk will not store sign-in tokens in it")


def failure_cause(exc: BaseException) -> str:
    """The real cause of a keyring failure in plain words (never just the exception's class name)."""
    if isinstance(exc, keyring.errors.KeyringLocked) or "unlock" in str(exc).lower() \
            or "prompt dismissed" in str(exc).lower():
        return ("the keyring is locked and was not unlocked (unlock it in the desktop session, e.g. by logging in "
                "again, then retry)")
    if isinstance(exc, keyring.errors.NoKeyringError):
        return "there is no usable keyring on this computer"
    if isinstance(exc, ModuleNotFoundError | ImportError):
        name = os.environ.get("PYTHON_KEYRING_BACKEND", "")
        where = f"PYTHON_KEYRING_BACKEND={name}" if name else "the keyring configuration"
        return f"the keyring backend named by {where} cannot be loaded ({exc}); fix or remove that setting"
    text = f"{type(exc).__name__}: {exc}"
    if isinstance(exc, FileNotFoundError | ConnectionError) or "dbus" in text.lower() or "d-bus" in text.lower():
        bus = os.environ.get("DBUS_SESSION_BUS_ADDRESS", "")
        where = f" at {bus}" if bus else " (DBUS_SESSION_BUS_ADDRESS is not set)"
        return (f"the Secret Service keyring could not be reached over D-Bus{where}: {exc}. Run ccdesk inside "
                "the user's desktop session, or start and unlock a Secret Service such as gnome-keyring")
    return text
