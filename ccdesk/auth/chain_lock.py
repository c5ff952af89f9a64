"""A lock shared by every ccdesk process of this user on this desk, held while the sign-in chain is renewed.

With rotating refresh tokens a refresh token works once, so two processes must never spend the same one: the
one that takes the lock second re-reads the keyring and finds the tokens the first one saved. The lock is an
advisory lock on a small file in the user's state directory (flock on POSIX, msvcrt on Windows); the operating
system drops it when the holder exits, even on a crash, so a killed process never leaves the desk locked.
Waiting polls (non-blocking attempts), so it never ties up a thread and stays cancellable.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import sys
import time
from pathlib import Path
from types import TracebackType

import platformdirs

POLL_S = 0.05
DEFAULT_TIMEOUT_S = 60.0


def lock_dir() -> Path:
    return Path(platformdirs.user_state_dir("ccdesk", appauthor=False)) / "locks"


def lock_path(client_id: str) -> Path:
    digest = hashlib.sha256(client_id.encode("utf-8")).hexdigest()[:16]
    return lock_dir() / f"sign-in-{digest}.lock"


def _try_lock(fd: int) -> bool:
    if sys.platform == "win32":  # pragma: no cover - Windows only
        import msvcrt

        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
            return True
        except OSError:
            return False
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False


def _unlock(fd: int) -> None:
    if sys.platform == "win32":  # pragma: no cover - Windows only
        import msvcrt

        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
        return
    import fcntl

    fcntl.flock(fd, fcntl.LOCK_UN)


class ChainLockTimeout(TimeoutError):
    """Another ccdesk process held the sign-in lock for longer than the timeout."""


class ChainLock:
    """`async with ChainLock(client_id): ...`: one holder at a time across processes (and within one process)."""

    def __init__(self, client_id: str, *, path: Path | None = None, timeout_s: float = DEFAULT_TIMEOUT_S) -> None:
        self.path = path or lock_path(client_id)
        self.timeout_s = timeout_s
        self._fd: int | None = None
        self.waited_s = 0.0

    async def __aenter__(self) -> ChainLock:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o600)
        started = time.monotonic()
        try:
            while not _try_lock(fd):
                if time.monotonic() - started > self.timeout_s:
                    raise ChainLockTimeout(f"another ccdesk process has been renewing the sign-in for over "
                                           f"{self.timeout_s:.0f} s")
                await asyncio.sleep(POLL_S)
        except BaseException:
            os.close(fd)
            raise
        self.waited_s = time.monotonic() - started
        self._fd = fd
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            try:
                _unlock(fd)
            finally:
                os.close(fd)


class NoLock:
    """For a store that only this process can see (memory, "this session only"): nothing to share."""

    async def __aenter__(self) -> NoLock:
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None
