"""Token stores: the keyring layout (and splitting for Windows' size limit), no-backend detection, the memory
fallback, async wrappers off the event loop, and a real Secret Service (gnome-keyring on a private D-Bus)."""

from __future__ import annotations

import json
import os
import stat
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import keyring.errors
import pytest
from keyring.backends import chainer, fail, null

from ccdesk.auth import KeyringTokenStore, MemoryTokenStore, TokenSet, TokenStoreError
from ccdesk.auth.token_store import CHUNK_CHARS, SERVICE

from .conftest import MemoryKeyring, SecretService

CLIENT = "client-abc"


def _tokens(access_len: int = 40) -> TokenSet:
    return TokenSet("A" * (access_len - 8) + "accessXY", "refresh-token-value",
                    datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC), "contact_data offline_access", None)


def test_round_trip_in_one_entry(memory_keyring: MemoryKeyring) -> None:
    store = KeyringTokenStore(CLIENT, backend=memory_keyring)
    assert store.available() and store.persistent and store.load() is None
    store.save(_tokens())
    assert list(memory_keyring.entries) == [(SERVICE, CLIENT)]
    stored = json.loads(memory_keyring.entries[(SERVICE, CLIENT)])
    assert stored["v"] == 1 and stored["refresh_token"] == "refresh-token-value"
    assert store.load() == _tokens()
    store.clear()
    assert memory_keyring.entries == {} and store.load() is None
    store.clear()  # clearing nothing is fine


def test_large_tokens_are_split_under_the_windows_limit() -> None:
    windows_like = MemoryKeyring(max_chars=1280)  # 2,560 bytes of UTF-16
    store = KeyringTokenStore(CLIENT, backend=windows_like)
    big = _tokens(access_len=3000)
    store.save(big)
    assert len(windows_like.entries) == 1 + -(-len(big.to_json()) // CHUNK_CHARS)
    assert all(len(v) <= CHUNK_CHARS for v in windows_like.entries.values())
    assert store.load() == big
    store.save(_tokens(access_len=3500))  # a new generation replaces the old parts
    assert store.load() == _tokens(access_len=3500)
    assert len(windows_like.entries) == 1 + -(-len(_tokens(3500).to_json()) // CHUNK_CHARS)
    store.save(_tokens())  # small again: back to one entry, old parts gone
    assert list(windows_like.entries) == [(SERVICE, CLIENT)]
    store.save(big)
    store.clear()
    assert windows_like.entries == {}


def test_missing_part_or_garbage_reads_as_signed_out(memory_keyring: MemoryKeyring) -> None:
    store = KeyringTokenStore(CLIENT, backend=memory_keyring)
    store.save(_tokens(access_len=2500))
    part = next(k for k in memory_keyring.entries if k[1] != CLIENT)
    del memory_keyring.entries[part]
    assert store.load() is None
    memory_keyring.entries[(SERVICE, CLIENT)] = "{not json"
    assert store.load() is None
    memory_keyring.entries[(SERVICE, CLIENT)] = json.dumps({"v": 99, "access_token": "x"})
    assert store.load() is None


class SavedMidRead(MemoryKeyring):
    """Runs `meanwhile` (another process's save) just before the first read of a part: after the reader has read
    the entry naming the parts, before it reads them."""

    def __init__(self) -> None:
        super().__init__()
        self.meanwhile: list[Callable[[], None]] = []

    def get_password(self, service: str, username: str) -> str | None:
        if username != CLIENT and self.meanwhile:
            self.meanwhile.pop()()
        return super().get_password(service, username)


def test_a_sign_in_saved_while_it_is_read_is_read_whole() -> None:
    """A scheduled job starting while the window saves renewed tokens (split in parts) reads the new ones, not
    "signed out": the save replaces the entry, then deletes the parts the reader was about to read."""
    keyring_ = SavedMidRead()
    window, job = KeyringTokenStore(CLIENT, backend=keyring_), KeyringTokenStore(CLIENT, backend=keyring_)
    window.save(_tokens(access_len=2500))
    renewed = _tokens(access_len=2600)
    keyring_.meanwhile.append(lambda: window.save(renewed))
    assert job.load() == renewed
    assert not keyring_.meanwhile  # the save did land between the two reads


def test_separate_entries_per_client(memory_keyring: MemoryKeyring) -> None:
    one, two = (KeyringTokenStore(c, backend=memory_keyring) for c in ("one", "two"))
    one.save(_tokens())
    assert two.load() is None
    two.clear()
    assert one.load() == _tokens()


@pytest.mark.parametrize("backend", [fail.Keyring(), null.Keyring(), chainer.ChainerBackend()])
def test_fail_and_null_backends_are_not_available(backend: keyring.backend.KeyringBackend) -> None:
    store = KeyringTokenStore(CLIENT, backend=backend)
    assert not store.available()
    assert store.backend_name()


def test_default_backend_in_tests_is_fail_and_memory_is_the_fallback() -> None:
    store = KeyringTokenStore(CLIENT)  # tests/conftest.py sets PYTHON_KEYRING_BACKEND=...fail.Keyring
    assert not store.available() and "fail" in store.backend_name()
    with pytest.raises(TokenStoreError, match="no usable keyring"):
        store.save(_tokens())
    fallback = MemoryTokenStore()
    assert fallback.available() and not fallback.persistent and "session only" in fallback.backend_name()
    fallback.save(_tokens())
    assert fallback.load() == _tokens()
    fallback.clear()
    assert fallback.load() is None


class LockedKeyring(MemoryKeyring):
    def set_password(self, service: str, username: str, password: str) -> None:
        raise keyring.errors.KeyringLocked("Failed to unlock the collection!")

    def get_password(self, service: str, username: str) -> str | None:
        raise keyring.errors.KeyringLocked("Failed to unlock the collection!")


def test_locked_keyring_gives_a_plain_error() -> None:
    store = KeyringTokenStore(CLIENT, backend=LockedKeyring())
    assert store.available()  # a locked keyring exists; whether the user unlocks it shows only when used
    with pytest.raises(TokenStoreError, match="keyring is locked") as caught:
        store.save(_tokens())
    assert "accessXY" not in caught.value.message
    with pytest.raises(TokenStoreError):
        store.load()


@pytest.mark.asyncio
async def test_async_wrappers_run_off_the_event_loop_thread(memory_keyring: MemoryKeyring) -> None:
    store = KeyringTokenStore(CLIENT, backend=memory_keyring)
    await store.asave(_tokens())
    assert await store.aload() == _tokens()
    await store.aclear()
    assert await store.aload() is None
    assert threading.get_ident() not in memory_keyring.threads


@pytest.mark.keyring
def test_real_secret_service(secret_service: SecretService) -> None:
    from keyring.backends import SecretService as secret_service_backend

    backend = secret_service_backend.Keyring()
    store = KeyringTokenStore("ccdesk-real-keyring-test", backend=backend)
    assert store.available() and store.backend_name() == "SecretService Keyring"
    small, big = _tokens(), _tokens(access_len=2600)
    store.save(small)
    assert store.load() == small
    assert backend.get_password(SERVICE, "ccdesk-real-keyring-test") == small.to_json()
    store.save(big)
    assert store.load() == big
    # A second store object (as after a restart) reads the same entry.
    assert KeyringTokenStore("ccdesk-real-keyring-test", backend=secret_service_backend.Keyring()).load() == big
    # The keyring file on disk is encrypted: the token text does not appear in it.
    for folder, _dirs, files in os.walk(secret_service.home):
        for name in files:
            if not stat.S_ISREG(os.lstat(os.path.join(folder, name)).st_mode):
                continue  # the daemon's control socket
            with open(os.path.join(folder, name), "rb") as fh:
                data = fh.read()
            assert b"accessXY" not in data and b"refresh-token-value" not in data
    store.clear()
    assert store.load() is None
    assert backend.get_password(SERVICE, "ccdesk-real-keyring-test") is None


@pytest.mark.keyring
@pytest.mark.asyncio
async def test_real_secret_service_async(secret_service: SecretService) -> None:
    from keyring.backends import SecretService as secret_service_backend

    store = KeyringTokenStore("ccdesk-real-keyring-async", backend=secret_service_backend.Keyring())
    await store.asave(_tokens())
    assert await store.aload() == _tokens()
    await store.aclear()
    assert await store.aload() is None


def test_expires_within() -> None:
    tokens = _tokens()
    assert tokens.expires_within(timedelta(minutes=5), tokens.expires_at - timedelta(minutes=4))
    assert not tokens.expires_within(timedelta(minutes=5), tokens.expires_at - timedelta(minutes=6))


class PlaintextFileKeyring(MemoryKeyring):
    """Behaves as keyrings.alt's PlaintextKeyring: base64 values in a file (`file_path`)."""

    def __init__(self, file_path: str) -> None:
        super().__init__()
        self.file_path = file_path

    def set_password(self, service: str, username: str, password: str) -> None:
        import base64

        with open(self.file_path, "a", encoding="utf-8") as f:
            f.write(f"{service}:{username}={base64.b64encode(password.encode()).decode()}\n")
        super().set_password(service, username, password)


class EncryptedKeyring(MemoryKeyring):
    """Named like keyrings.alt's password-file backend."""

    __module__ = "keyrings.alt.file"


def test_a_file_backend_chained_after_a_real_keyring_is_never_read(tmp_path: object) -> None:
    """keyrings.alt installed beside a real keyring joins keyring's chain: a sign-in the real keyring does not have
    (signed out, or never saved there) must not be read from the plaintext file an older setup left."""
    real, plaintext = MemoryKeyring(), PlaintextFileKeyring(os.path.join(str(tmp_path), "keyring_pass.cfg"))
    plaintext.entries[(SERVICE, CLIENT)] = _tokens().to_json()

    class Chain(chainer.ChainerBackend):
        backends = (real, plaintext)  # type: ignore[assignment]

    store = KeyringTokenStore(CLIENT, backend=Chain())
    assert store.available() and store.load() is None
    store.save(_tokens(access_len=60))
    assert real.entries and store.load() == _tokens(access_len=60)
    store.clear()
    assert store.load() is None and (SERVICE, CLIENT) in plaintext.entries  # the file is not ours to touch


@pytest.mark.parametrize("kind", ["plaintext", "encrypted-file"])
def test_file_backends_are_refused(tmp_path: object, kind: str) -> None:
    path = os.path.join(str(tmp_path), "keyring_pass.cfg")
    backend = PlaintextFileKeyring(path) if kind == "plaintext" else EncryptedKeyring()
    store = KeyringTokenStore(CLIENT, backend=backend)
    assert not store.available()
    assert "keeps passwords in a file" in (store.problem() or "")
    with pytest.raises(TokenStoreError):
        store.save(_tokens())
    with pytest.raises(TokenStoreError):
        store.load()
    assert not os.path.exists(path)


@pytest.mark.asyncio
async def test_a_plaintext_keyring_means_this_session_only(tmp_path: object) -> None:
    from ccdesk.auth import AuthConfig, AuthSession

    path = os.path.join(str(tmp_path), "keyring_pass.cfg")
    session = AuthSession(AuthConfig(CLIENT), KeyringTokenStore(CLIENT, backend=PlaintextFileKeyring(path)))
    events: list[str] = []
    session.events.connect(lambda e: events.append(e.message))
    assert await session.sign_in(_tokens()) is False
    assert isinstance(session.store, MemoryTokenStore) and session.signed_in
    assert "this session only" in events[-1] and "keeps passwords in a file" in (session.store_problem or "")
    assert not os.path.exists(path)  # no token ever reached the file
    await session.aclose()


def test_unloadable_backend_says_why(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "no.such.module.Keyring")
    import keyring.core

    monkeypatch.setattr(keyring.core, "_keyring_backend", None)
    store = KeyringTokenStore(CLIENT)
    problem = store.problem() or ""
    assert "cannot be loaded" in problem and "PYTHON_KEYRING_BACKEND=no.such.module.Keyring" in problem
    assert "unavailable" in store.backend_name()
