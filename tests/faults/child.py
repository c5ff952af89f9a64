"""A second ccdesk process for the process-level faults (killed, locked file). Usage:

    python -m tests.faults.child send DB API_BASE     # send what is queued, then exit
    python -m tests.faults.child sync DB API_BASE     # one sync (the first one is the full pull)
    python -m tests.faults.child lock DB SECONDS      # hold an exclusive lock on the file for that long
"""

from __future__ import annotations

import asyncio
import sqlite3
import sys
import time

from ccdesk.api import CCClient, RateLimiter, RetryPolicy, StaticTokenProvider
from ccdesk.services.desk import Desk

TOKEN = "fault-token"


async def _with_desk(db: str, api_base: str, mode: str) -> None:
    client = CCClient(StaticTokenProvider(TOKEN), base_url=api_base, rate_limiter=RateLimiter(0),
                      retry=RetryPolicy(attempts=3, base_delay=0.01, max_delay=0.05))
    desk = Desk(client, db)
    try:
        print("ready", flush=True)
        if mode == "send":
            await desk.worker.drain()
        else:
            await desk.sync.run()
    finally:
        await desk.close()


def main(argv: list[str]) -> int:
    mode = argv[0]
    if mode in ("send", "sync"):
        asyncio.run(_with_desk(argv[1], argv[2], mode))
    elif mode == "lock":
        conn = sqlite3.connect(argv[1], isolation_level=None)
        conn.execute("BEGIN EXCLUSIVE")
        print("locked", flush=True)
        time.sleep(float(argv[2]))
        conn.execute("COMMIT")
        conn.close()
    else:
        raise SystemExit(f"unknown mode {mode!r}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
