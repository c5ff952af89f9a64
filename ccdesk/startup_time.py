"""How long ago this process started (for the cold-start figure: launch to main window)."""

from __future__ import annotations

import os
import time


def seconds_since_process_start() -> float | None:
    """Wall-clock seconds since the OS started this process (Linux /proc); None where unknown."""
    try:
        with open(f"/proc/{os.getpid()}/stat", encoding="ascii") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        start_ticks = int(fields[19])  # field 22 of stat(5): starttime, in clock ticks after boot
        with open("/proc/stat", encoding="ascii") as f:
            boot = next(int(line.split()[1]) for line in f if line.startswith("btime "))
        started = boot + start_ticks / os.sysconf("SC_CLK_TCK")
        return max(0.0, time.time() - started)
    except (OSError, ValueError, IndexError, StopIteration):
        return None
