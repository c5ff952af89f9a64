"""Whether a process of this PC is still running, asked the way each system answers it, and when it started (a pid
can be handed to another process once its own has ended).

Not `os.kill(pid, 0)` on Windows: there signal 0 is CTRL_C_EVENT, so Python sends a Ctrl+C to the process's
console group (or fails with an OSError when the two share no console, the usual case for the window and a
scheduled job), and never says whether the process exists.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Iterator
from typing import Any

PROCESS_QUERY_LIMITED_INFORMATION = 0x1000
ERROR_ACCESS_DENIED = 5
STILL_ACTIVE = 259


def process_exists(pid: int) -> bool:
    if sys.platform == "win32":  # pragma: no cover - tests call windows_process_exists with a stand-in kernel32
        import ctypes

        return windows_process_exists(pid, _kernel32(), ctypes.get_last_error)  # type: ignore[attr-defined]
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by another user
    except OSError:
        return False
    return True


def process_started(pid: int) -> str | None:
    """When a process started, as an opaque stamp: the same process always gives the same one, a later process
    that got the same pid (Windows hands pids out again quickly) another. None where it cannot be told."""
    if sys.platform == "win32":  # pragma: no cover - tests call windows_process_started with a stand-in kernel32
        return windows_process_started(pid, _kernel32())
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as f:
            return f.read().rsplit(")", 1)[1].split()[19]  # field 22 of stat(5): starttime, ticks after boot
    except (OSError, IndexError):
        return None  # no /proc (macOS), or the process is gone


@contextlib.contextmanager
def _opened(kernel32: Any, pid: int) -> Iterator[int]:
    """OpenProcess for querying (0 when it fails: see the last error), closed again afterwards."""
    handle = kernel32.OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, False, pid)
    try:
        yield handle
    finally:
        if handle:
            kernel32.CloseHandle(handle)


def windows_process_started(pid: int, kernel32: Any) -> str | None:
    """GetProcessTimes' creation time (a FILETIME, 100 ns units)."""
    import ctypes
    from ctypes import wintypes

    with _opened(kernel32, pid) as handle:
        times = [wintypes.FILETIME() for _ in range(4)]  # creation, exit, kernel, user
        if not handle or not kernel32.GetProcessTimes(handle, *(ctypes.byref(t) for t in times)):
            return None
        return str(times[0].dwHighDateTime << 32 | times[0].dwLowDateTime)


def windows_process_exists(pid: int, kernel32: Any, last_error: Callable[[], int]) -> bool:
    """OpenProcess, then GetExitCodeProcess: a process that has not ended reports STILL_ACTIVE. Access denied
    means it exists (another user's); an unknown pid fails with ERROR_INVALID_PARAMETER."""
    import ctypes
    from ctypes import wintypes

    with _opened(kernel32, pid) as handle:
        if not handle:
            return last_error() == ERROR_ACCESS_DENIED
        code = wintypes.DWORD()
        if not kernel32.GetExitCodeProcess(handle, ctypes.byref(code)):
            return True  # it exists (we hold a handle) and cannot be asked: do not take its work
        return code.value == STILL_ACTIVE


def _kernel32() -> Any:  # pragma: no cover - Windows only
    import ctypes
    from ctypes import wintypes

    k = ctypes.WinDLL("kernel32", use_last_error=True)  # type: ignore[attr-defined]
    k.OpenProcess.restype = wintypes.HANDLE
    k.OpenProcess.argtypes = (wintypes.DWORD, wintypes.BOOL, wintypes.DWORD)
    k.GetExitCodeProcess.restype = wintypes.BOOL
    k.GetExitCodeProcess.argtypes = (wintypes.HANDLE, ctypes.POINTER(wintypes.DWORD))
    k.GetProcessTimes.restype = wintypes.BOOL
    k.GetProcessTimes.argtypes = (wintypes.HANDLE, *([ctypes.POINTER(wintypes.FILETIME)] * 4))
    k.CloseHandle.argtypes = (wintypes.HANDLE,)
    return k
