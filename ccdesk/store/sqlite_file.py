"""Opening the SQLite file: location, owner-only permissions, pragmas, transactions."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path

import platformdirs

from .file_check import check_before_open

DB_FILENAME = "ccdesk.sqlite3"
BUSY_TIMEOUT_MS = 10_000


def default_db_path() -> Path:
    """``<user data dir>/ccdesk.sqlite3``, e.g. ``~/.local/share/ccdesk/`` on Linux."""
    return Path(platformdirs.user_data_dir("ccdesk", appauthor=False)) / DB_FILENAME


def _ensure_private_dir(directory: Path) -> None:
    """Create missing directories as 0700. Existing ones are left alone (they may be shared, e.g. /tmp)."""
    missing: list[Path] = []
    d = directory
    while not d.exists():
        missing.append(d)
        d = d.parent
    for d in reversed(missing):
        with contextlib.suppress(FileExistsError):
            d.mkdir(mode=0o700)
        if os.name == "posix":
            os.chmod(d, 0o700)  # mkdir's mode is filtered by the umask


def _ensure_private_file(path: Path) -> None:
    """Create the database file 0600 before SQLite opens it (SQLite would use the umask, often 0644).

    SQLite gives the -wal and -shm files the same mode as the database file. An existing file is tightened only
    when it is empty or already ccdesk's database; any other file is refused untouched (StoreUnreadableError).
    """
    may_tighten = check_before_open(path)
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600))
    if os.name == "posix" and may_tighten:
        mode = stat.S_IMODE(os.stat(path).st_mode)
        if mode & 0o077:
            os.chmod(path, 0o600)


def connect(path: str | os.PathLike[str]) -> sqlite3.Connection:
    """Open (creating if needed) the database in autocommit mode with the pragmas ccdesk relies on."""
    p = Path(path)
    _ensure_private_dir(p.parent)
    _ensure_private_file(p)
    conn = sqlite3.connect(p, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000)
    try:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            raise sqlite3.OperationalError(f"could not switch {p} to WAL mode (got {mode!r})")
        conn.execute("PRAGMA foreign_keys = ON")
        # FULL: a queued unsubscribe must survive a power cut, not just a crash. One fsync per
        # transaction is cheap because sync writes a whole page (500 contacts) per transaction.
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA temp_store = MEMORY")
        conn.execute("PRAGMA cache_size = -65536")  # 64 MiB
    except BaseException:
        conn.close()
        raise
    return conn


class Transactions:
    """Nestable write transactions on one autocommit connection.

    The outermost level is ``BEGIN IMMEDIATE`` (takes the write lock up front, so two writers wait on
    busy_timeout instead of failing with SQLITE_BUSY on lock upgrade); inner levels are savepoints.
    """

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        self._depth = 0

    @property
    def active(self) -> bool:
        return self._depth > 0

    @contextlib.contextmanager
    def __call__(self) -> Iterator[sqlite3.Connection]:
        conn = self._conn
        if self._depth == 0:
            conn.execute("BEGIN IMMEDIATE")
        else:
            conn.execute(f"SAVEPOINT sp{self._depth}")
        self._depth += 1
        try:
            yield conn
        except BaseException:
            self._depth -= 1
            if self._depth == 0:
                conn.execute("ROLLBACK")
            else:
                conn.execute(f"ROLLBACK TO sp{self._depth}")
                conn.execute(f"RELEASE sp{self._depth}")
            raise
        else:
            self._depth -= 1
            if self._depth == 0:
                try:
                    conn.execute("COMMIT")
                except BaseException:
                    if conn.in_transaction:
                        conn.execute("ROLLBACK")
                    raise
            else:
                conn.execute(f"RELEASE sp{self._depth}")
