"""Before opening: is the file ccdesk is told to use one it may open (and tighten), and who holds it locked?

ccdesk never changes a file it did not create: a file that is not an SQLite database, or that is another
program's database, is refused with what it looks like and what to do, and left exactly as it was.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import stat
from pathlib import Path

from ccdesk.file_kinds import known_kind
from ccdesk.sqlite_uri import read_only_uri

from .errors import StoreUnreadableError

SQLITE_MAGIC = b"SQLite format 3\x00"
CCDESK_TABLES = {"contacts", "sync_state", "audit"}
WHAT_TO_DO = ("Point --db at another file (or at none, to use the default), or move this file away if it "
              "really is ccdesk's and start again: ccdesk then reads the account afresh.")


def _looks_like(head: bytes) -> str:
    known = known_kind(head)
    if known is not None:
        return known
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        return "a file of another kind"
    if all(c.isprintable() or c in "\t\r\n" for c in text):
        return "a text file (CSV or notes, perhaps)"
    return "a file of another kind"


def check_before_open(path: Path) -> bool:
    """Raise StoreUnreadableError for a file ccdesk must not use. Returns True when ccdesk may set the file's
    permissions (it is new, empty, or already ccdesk's database)."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return True
    except OSError as exc:
        raise StoreUnreadableError(f"ccdesk cannot look at its local data file {path} ({exc.strerror}). "
                                   "Check the folder's permissions, or point --db elsewhere.") from exc
    if not stat.S_ISREG(st.st_mode):
        kind = "a folder" if stat.S_ISDIR(st.st_mode) else "not a regular file"
        raise StoreUnreadableError(f"{path} is {kind}, so it cannot hold ccdesk's local data. "
                                   "Point --db at a file (a new name is fine).")
    if st.st_size == 0:
        return True
    try:
        with open(path, "rb") as f:
            head = f.read(len(SQLITE_MAGIC))
    except PermissionError as exc:
        raise StoreUnreadableError(f"ccdesk may not read its local data file {path} (permission denied). "
                                   "It may belong to another user; run ccdesk as its owner, or point --db "
                                   "elsewhere.") from exc
    if head != SQLITE_MAGIC:
        raise StoreUnreadableError(f"{path} is not ccdesk's local data: it is {_looks_like(head)}, not an SQLite "
                                   f"database. Nothing was changed in it. {WHAT_TO_DO}")
    return _is_ccdesk_database(path)


def _is_ccdesk_database(path: Path) -> bool:
    """True for ccdesk's own database (or an empty one); refuses another program's SQLite database."""
    try:
        conn = sqlite3.connect(read_only_uri(path), uri=True, timeout=0.5)
        try:
            tables = {name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        finally:
            conn.close()
    except sqlite3.OperationalError as exc:
        if "locked" in str(exc) or "busy" in str(exc):
            return False  # opened for real below, where a lock is waited for and explained
        raise damaged(path, exc) from exc
    except sqlite3.DatabaseError as exc:
        raise damaged(path, exc) from exc
    if tables and not tables >= CCDESK_TABLES:
        raise StoreUnreadableError(f"{path} is an SQLite database of another program, not ccdesk's local data. "
                                   f"Nothing was changed in it. {WHAT_TO_DO}")
    return True


def damaged(path: Path, exc: BaseException) -> StoreUnreadableError:
    return StoreUnreadableError(
        f"ccdesk's local data file {path} is damaged (SQLite says: {exc}). Nothing was changed in it. Close "
        "ccdesk, rename the file (keep it: changes still queued in it were not sent) and start ccdesk again; it "
        "reads the account afresh. The Activity tab of the old file cannot be shown.")


def lock_holders(path: Path) -> list[str]:
    """Programs holding a write lock on the database (or on its WAL index: that is where a WAL writer's lock is),
    from /proc/locks; [] where that is not available. Read locks are left out: every open connection has one."""
    inodes: set[int] = set()
    for p in (path, Path(f"{path}-shm")):
        with contextlib.suppress(OSError):
            inodes.add(os.stat(p).st_ino)
    try:
        lines = Path("/proc/locks").read_text().splitlines()
    except OSError:
        return []
    pids: list[int] = []
    for line in lines:
        parts = line.split()
        if len(parts) < 6 or parts[1] == "->":
            continue
        pid, ident = parts[4], parts[5]
        if parts[3] == "WRITE" and pid.isdigit() and int(pid) != os.getpid() and ident.rsplit(":", 1)[-1].isdigit() \
                and int(ident.rsplit(":", 1)[-1]) in inodes and int(pid) not in pids:
            pids.append(int(pid))
    return [_describe(pid) for pid in pids]


def _describe(pid: int) -> str:
    try:
        name = Path(f"/proc/{pid}/comm").read_text().strip()
        cmd = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return f"process {pid}"
    words = [w.decode(errors="replace") for w in cmd if w]
    if any("ccdesk" in w for w in words):
        return f"another ccdesk ({' '.join(words[-3:])}, process {pid})"
    return f"{name} (process {pid})"


def locked_message(path: Path, waited_s: float) -> str:
    holders = lock_holders(path)
    who = (f"It is held by {', '.join(holders)}." if holders else
           "A database tool, a backup or sync program, an antivirus scan or another copy of ccdesk may hold it.")
    return (f"ccdesk's local data file {path} stayed locked by another program for {waited_s:.0f} seconds. {who} "
            "Close that program (or let it finish), then try again. Nothing was changed.")


def opening_error(path: Path, exc: sqlite3.Error, waited_s: float) -> Exception:
    """The plain-words error for what SQLite raised while opening (after its busy timeout ran out)."""
    from .errors import StoreUnavailableError

    text = str(exc).lower()
    if isinstance(exc, sqlite3.OperationalError):
        if "locked" in text or "busy" in text:
            return StoreUnavailableError(locked_message(path, waited_s))
        if "unable to open" in text:
            return StoreUnreadableError(f"ccdesk cannot open its local data file {path} ({exc}). Check that the "
                                        "folder exists and that this user may write to it, or point --db elsewhere.")
        return StoreUnavailableError.from_sqlite(exc) or damaged(path, exc)
    return damaged(path, exc)
