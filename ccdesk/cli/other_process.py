"""Who holds this cache's sync lock, in words a person can act on: "the ccdesk window (process 4121)" or
"`ccdesk sync` (process 977)". A command that waits for another process's sync says whom it waits for."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path, PureWindowsPath

from ccdesk.services.database_thread import DatabaseThread
from ccdesk.services.sync_once import lock_path
from ccdesk.store.process_lock import ProcessLock


def command_line(pid: int) -> list[str]:
    """The process's arguments where the system shows them (Linux /proc), else nothing."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return [part.decode(errors="replace") for part in raw.split(b"\0") if part]


def describe_process(pid: int | None, argv: Sequence[str] | None = None) -> str:
    """A ccdesk command is named by its command; ccdesk without one (or with options only) is the window."""
    if pid is None:
        return "another ccdesk process"
    args = list(command_line(pid) if argv is None else argv)
    for i, arg in enumerate(args):
        name = PureWindowsPath(arg).name.lower()  # both separators, on any system
        if name == "ccdesk" or (name.startswith("ccdesk") and name.endswith((".exe", ".py"))) or (
                arg == "ccdesk" and i > 0 and args[i - 1] == "-m"):
            rest = [a for a in args[i + 1:] if not a.startswith("-")]
            return f"`ccdesk {rest[0]}` (process {pid})" if rest else f"the ccdesk window (process {pid})"
    return f"another ccdesk process (process {pid})"


def sync_holder(db: DatabaseThread) -> str:
    """Whoever is syncing this cache just now (or last did)."""
    return describe_process(ProcessLock(lock_path(db)).holder_pid())
