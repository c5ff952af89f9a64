"""How long ago this process started (for the cold-start figure: launch to main window)."""

from __future__ import annotations

import os


def seconds_since_process_start() -> float | None:
    """Wall-clock seconds since the OS started this process (Linux /proc); None where unknown."""
    try:
        with open(f"/proc/{os.getpid()}/stat", encoding="ascii") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        start_ticks = int(fields[19])  # field 22 of stat(5): starttime, in clock ticks after boot
        with open("/proc/uptime", encoding="ascii") as f:
            uptime = float(f.read().split()[0])  # seconds since boot, to 1/100 s (btime is whole seconds)
        return max(0.0, uptime - start_ticks / os.sysconf("SC_CLK_TCK"))
    except (OSError, ValueError, IndexError):
        return None
