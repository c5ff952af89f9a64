"""The one way ccdesk writes a file (exports, reports, the journal, settings, downloads): whole or not at all.

Any number of processes may write the same target at once. Each writes its own temporary file, created
exclusively (``O_CREAT | O_EXCL | O_NOFOLLOW``, a random name, so a link planted at a guessable name is never
followed or truncated) in the target's own folder, flushes it to disk and renames it over the target
(``os.replace``: atomic on one file system). The last writer wins and the target always holds one writer's
whole file. An existing target keeps its permission bits; a new one gets the usual ``0666 & ~umask``. A target
that is itself a symbolic link is replaced by the new file, never written through.

The rename and the moment it is recorded (:attr:`AtomicResult.saved_ns`) happen under an advisory lock on the
folder, so "the run that reports last" is the run whose file is there.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

try:
    import fcntl
except ImportError:  # Windows: os.replace is still atomic; the folder lock is only for the report order
    fcntl = None  # type: ignore[assignment]

TEMP_PREFIX = ".ccdesk-"
TEMP_SUFFIX = ".tmp"


class UnwritableTarget(OSError):
    """The target cannot be written. ``message`` says what and what to do, in plain words."""

    def __init__(self, message: str, errno_: int | None = None) -> None:
        super().__init__(errno_ or 0, message)
        self.message = message

    def __str__(self) -> str:  # the message alone, never "[Errno 28] ..."
        return self.message


@dataclass(frozen=True)
class AtomicResult:
    path: Path
    saved_ns: int  # time.time_ns() taken right after the rename, under the folder lock


def _explain(path: Path, exc: OSError) -> str:
    reason = exc.strerror or str(exc)
    return (f"Could not write {path.name} in {path.parent}: {reason}. Nothing was saved under that name; "
            "free some space or choose another folder or a shorter name, then try again.")


def _refuse_plainly(path: Path) -> None:
    """The usual reasons a target cannot be written, each in its own words (other OSErrors propagate)."""
    if len(os.fsencode(path.name)) > 255:
        raise UnwritableTarget(f"The file name is {len(os.fsencode(path.name))} bytes long; file names can have "
                               "at most 255. Choose a shorter name.")
    if path.is_dir():
        raise UnwritableTarget(f"{path} is a folder; give a file name inside it.")
    if not path.parent.is_dir():
        raise UnwritableTarget(f"The folder {path.parent} does not exist. Create it or choose another folder, "
                               "then try again.")


def check_writable(path: Path) -> None:
    """Raise :class:`UnwritableTarget` unless a file can be written at `path` (checked by creating and removing a
    temporary file beside it): used before work that cannot be repeated, such as sending changes."""
    path = Path(path)
    try:
        _refuse_plainly(path)
        fd, tmp = _create_temp(path.parent, 0o600)
        os.close(fd)
        os.unlink(tmp)
    except UnwritableTarget:
        raise
    except OSError as exc:
        raise UnwritableTarget(_explain(path, exc), exc.errno) from exc


@contextlib.contextmanager
def _folder_lock(folder: Path) -> Iterator[None]:
    fd = None
    if fcntl is not None:
        with contextlib.suppress(OSError):
            fd = os.open(folder, os.O_RDONLY)
            fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        yield
    finally:
        if fd is not None:
            os.close(fd)  # closing releases the lock


def _existing_mode(path: Path) -> int | None:
    """The permission bits of an existing regular file at `path` (kept by the new file); None for no file or a
    link (the link itself is replaced; its target is left alone)."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return None
    if stat.S_ISREG(st.st_mode):
        return stat.S_IMODE(st.st_mode)
    if stat.S_ISLNK(st.st_mode):
        return None
    raise UnwritableTarget(f"{path} is not a regular file; choose a file name.")


def _create_temp(folder: Path, perms: int) -> tuple[int, Path]:
    """A new, empty file with a random name in `folder`, created exclusively (O_EXCL: never an existing file
    or a link) with `perms` less the umask. Like tempfile.mkstemp, which always uses 0600, and without
    reading the umask (changing it to read it would race with other threads creating files)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    flags |= getattr(os, "O_BINARY", 0)
    for _attempt in range(100):
        tmp = folder / f"{TEMP_PREFIX}{secrets.token_hex(8)}{TEMP_SUFFIX}"
        try:
            return os.open(tmp, flags, perms), tmp
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temporary name in {folder}")


@contextlib.contextmanager
def atomic_write(path: Path, *, text: bool = True, encoding: str = "utf-8", newline: str | None = "",
                 result: list[AtomicResult] | None = None, new_mode: int | None = None) -> Iterator[IO[Any]]:
    """Write `path` atomically: yields an open temporary file; on a clean exit it is synced and renamed over
    `path`, on an exception it is removed and `path` is untouched. OSErrors become :class:`UnwritableTarget`.
    `result` (a list) receives the :class:`AtomicResult` when the file is in place. `new_mode` is the mode of a
    target that does not exist yet (default 0666; both less the umask); an existing one keeps its own."""
    path = Path(path)
    try:
        _refuse_plainly(path)
        keep = _existing_mode(path)
        fd, tmp = _create_temp(path.parent, 0o666 if new_mode is None else new_mode)
    except UnwritableTarget:
        raise
    except OSError as exc:
        raise UnwritableTarget(_explain(path, exc), exc.errno) from exc
    try:
        handle: IO[Any] = (os.fdopen(fd, "w", encoding=encoding, newline=newline) if text else os.fdopen(fd, "wb"))
        with handle:
            yield handle
            handle.flush()
            if keep is not None and hasattr(os, "fchmod"):
                os.fchmod(handle.fileno(), keep)
            os.fsync(handle.fileno())
        with _folder_lock(path.parent):
            os.replace(tmp, path)
            saved = time.time_ns()
        if result is not None:
            result.append(AtomicResult(path, saved))
    except BaseException as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        if isinstance(exc, OSError) and not isinstance(exc, UnwritableTarget):
            raise UnwritableTarget(_explain(path, exc), exc.errno) from exc
        raise


def write_atomically(path: Path, fill: Callable[[IO[Any]], None], **options: Any) -> AtomicResult:
    """Shorthand: ``fill(handle)`` writes the content; returns where and when it was saved."""
    out: list[AtomicResult] = []
    with atomic_write(path, result=out, **options) as handle:
        fill(handle)
    return out[0]
