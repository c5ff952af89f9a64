"""Where the sign-in is kept between runs: the OS keyring, or only memory ("this session only").

Tokens are never written to a file, the settings, SQLite or a log: only to the keyring, or kept in memory.

Keyring layout: service "ccdesk", user name = the app's client_id, value = `TokenSet.to_json()`. Windows Credential
Manager caps a value at 2,560 bytes, and keyring stores it as UTF-16 (1,280 characters), while a Constant Contact
access token is a JWT of about a kilobyte. So a value longer than `CHUNK_CHARS` is split: the main entry then holds
`{"ccdesk_split": {"gen": G, "parts": N}}` and the text is in entries "<client_id>#<G>#<i>". A save writes the new
parts first, then switches the main entry (the commit point), then deletes the old parts, so a crash half-way
never leaves a mix of old and new tokens.

Keyring calls can block (an unlock prompt, a slow D-Bus): the `a*` methods run them in a worker thread.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager, suppress

import keyring
import keyring.backend
import keyring.errors
from keyring.backend import KeyringBackend
from keyring.backends import chainer

from .keyring_health import backend_label, backend_problem, failure_cause
from .tokenset import TokenSet

log = logging.getLogger(__name__)

SERVICE = "ccdesk"
CHUNK_CHARS = 1000
MAX_PARTS = 64
LOAD_TRIES = 3  # reads of a sign-in another process is saving meanwhile


class TokenStoreError(Exception):
    """The keyring refused (locked and the prompt dismissed, no backend, D-Bus gone...). `message` is plain words;
    `cause` is the reason alone."""

    def __init__(self, message: str, cause: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.cause = cause or message


class TokenStore(ABC):
    """save/load/clear one TokenSet, plus async wrappers that keep blocking calls off the event loop."""

    def __init__(self) -> None:
        self._alock = asyncio.Lock()  # async callers' operations happen in the order they were asked for

    @abstractmethod
    def save(self, tokens: TokenSet) -> None: ...

    @abstractmethod
    def load(self) -> TokenSet | None: ...

    @abstractmethod
    def clear(self) -> None: ...

    @abstractmethod
    def backend_name(self) -> str: ...

    @abstractmethod
    def available(self) -> bool: ...

    @property
    def persistent(self) -> bool:
        """Whether the sign-in survives a restart of ccdesk."""
        return True

    async def asave(self, tokens: TokenSet) -> None:
        async with self._alock:
            await asyncio.to_thread(self.save, tokens)

    async def aload(self) -> TokenSet | None:
        async with self._alock:
            return await asyncio.to_thread(self.load)

    async def aclear(self) -> None:
        async with self._alock:
            await asyncio.to_thread(self.clear)


class MemoryTokenStore(TokenStore):
    """Keeps the sign-in for this session only (no usable keyring, or the user chose not to use it)."""

    def __init__(self) -> None:
        super().__init__()
        self._tokens: TokenSet | None = None

    def save(self, tokens: TokenSet) -> None:
        self._tokens = tokens

    def load(self) -> TokenSet | None:
        return self._tokens

    def clear(self) -> None:
        self._tokens = None

    def backend_name(self) -> str:
        return "memory (this session only)"

    def available(self) -> bool:
        return True

    @property
    def persistent(self) -> bool:
        return False

    async def asave(self, tokens: TokenSet) -> None:
        self.save(tokens)

    async def aload(self) -> TokenSet | None:
        return self.load()

    async def aclear(self) -> None:
        self.clear()


class KeyringTokenStore(TokenStore):
    """The OS keyring (Windows Credential Manager, macOS Keychain, Secret Service) through `keyring`.

    `backend` defaults to keyring's choice at call time; tests pass one.
    """

    def __init__(self, client_id: str, *, service: str = SERVICE,
                 backend: KeyringBackend | None = None) -> None:
        super().__init__()
        if not client_id:
            raise ValueError("client_id is required")
        self.client_id = client_id
        self.service = service
        self._backend = backend

    def keyring(self) -> KeyringBackend:
        """The backend to use; TokenStoreError (with the real cause) when none can be loaded or it is refused."""
        with _keyring_errors("open"):
            backend = self._backend or keyring.get_keyring()
        problem = backend_problem(backend)
        if problem is not None:
            raise _store_error("use", problem)
        if isinstance(backend, chainer.ChainerBackend):
            # keyrings.alt installed beside a real keyring joins the chain: reads of an entry the real keyring
            # lacks would fall through to its file. Only the first usable backend, where writes go anyway.
            backend = next(b for b in backend.backends if backend_problem(b) is None)
        return backend

    def problem(self) -> str | None:
        """Why the keyring cannot hold the sign-in (plain words), or None when it can be used."""
        try:
            self.keyring()
        except TokenStoreError as exc:
            return exc.cause
        return None

    def backend_name(self) -> str:
        try:
            return backend_label(self._backend or keyring.get_keyring())
        except Exception as exc:
            return f"unavailable ({failure_cause(exc)})"

    def available(self) -> bool:
        return self.problem() is None

    def save(self, tokens: TokenSet) -> None:
        kr = self.keyring()
        text = tokens.to_json()
        with _keyring_errors("save the sign-in to"):
            old_parts = self._parts_of(kr.get_password(self.service, self.client_id))
            new_parts: list[str] = []
            if len(text) <= CHUNK_CHARS:
                kr.set_password(self.service, self.client_id, text)
            else:
                gen = secrets.token_hex(4)
                chunks = [text[i:i + CHUNK_CHARS] for i in range(0, len(text), CHUNK_CHARS)]
                for i, chunk in enumerate(chunks):
                    new_parts.append(self._part_name(gen, i))
                    kr.set_password(self.service, new_parts[-1], chunk)
                kr.set_password(self.service, self.client_id,
                                json.dumps({"ccdesk_split": {"gen": gen, "parts": len(chunks)}}))
            self._delete_quietly(kr, [p for p in old_parts if p not in new_parts])
        log.info("Saved the sign-in to the %s (%d characters%s)", self.backend_name(), len(text),
                 ", split" if len(text) > CHUNK_CHARS else "")

    def load(self) -> TokenSet | None:
        kr = self.keyring()
        with _keyring_errors("read the sign-in from"):
            head = kr.get_password(self.service, self.client_id)
            # Another process's save replaces the entry, then deletes the old parts: parts missing under an
            # entry that has changed meanwhile mean "read the new one", not "incomplete".
            for _ in range(LOAD_TRIES):
                if head is None:
                    return None
                text = self._joined(kr, head)
                if text is not None:
                    head = text
                    break
                again = kr.get_password(self.service, self.client_id)
                if again == head:
                    log.warning("The saved sign-in in the %s is incomplete; ignoring it", self.backend_name())
                    return None
                head = again
            else:
                log.warning("The saved sign-in in the %s kept changing while it was read; ignoring it",
                            self.backend_name())
                return None
        try:
            return TokenSet.from_json(head)
        except ValueError as exc:
            log.warning("The saved sign-in in the %s is unreadable (%s); ignoring it", self.backend_name(), exc)
            return None

    def _joined(self, kr: KeyringBackend, head: str) -> str | None:
        """The saved text under `head`: itself, or its parts joined (None when a part is missing)."""
        split = _split_header(head)
        if split is None:
            return head
        gen, count = split
        pieces = [kr.get_password(self.service, self._part_name(gen, i)) for i in range(count)]
        return None if any(p is None for p in pieces) else "".join(p for p in pieces if p is not None)

    def clear(self) -> None:
        kr = self.keyring()
        with _keyring_errors("remove the sign-in from"):
            head = kr.get_password(self.service, self.client_id)
            if head is None:
                return
            self._delete_quietly(kr, [self.client_id, *self._parts_of(head)])
        log.info("Removed the sign-in from the %s", self.backend_name())

    def _part_name(self, gen: str, index: int) -> str:
        return f"{self.client_id}#{gen}#{index}"

    def _parts_of(self, head: str | None) -> list[str]:
        split = _split_header(head) if head else None
        return [self._part_name(split[0], i) for i in range(split[1])] if split else []

    def _delete_quietly(self, kr: KeyringBackend, names: list[str]) -> None:
        for name in names:
            with suppress(keyring.errors.PasswordDeleteError):
                kr.delete_password(self.service, name)


def _split_header(head: str) -> tuple[str, int] | None:
    if '"ccdesk_split"' not in head:
        return None
    try:
        info = json.loads(head)["ccdesk_split"]
        gen, parts = str(info["gen"]), int(info["parts"])
    except (ValueError, KeyError, TypeError):
        return None
    return (gen, parts) if 0 < parts <= MAX_PARTS else None


@contextmanager
def _keyring_errors(doing: str) -> Iterator[None]:
    """Turn whatever a backend raises (keyring errors, D-Bus errors...) into a TokenStoreError in plain words."""
    try:
        yield
    except TokenStoreError:
        raise
    except Exception as exc:
        raise _store_error(doing, failure_cause(exc)) from exc


def _store_error(doing: str, why: str) -> TokenStoreError:
    log.warning("Could not %s the keyring: %s", doing, why)
    return TokenStoreError(f"Could not {doing} the system keyring: {why}.", why)
