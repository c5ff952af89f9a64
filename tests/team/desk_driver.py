"""A window-like desk in team mode, without Qt: the composition the window uses (keyring sign-in, the team's
request budget, the team outbox sender and the team link listening for changes), driven line by line on stdin.

    python -m tests.team.desk_driver
    > sync                          {"ok": true, "from_team": ..., "contacts_read": ..., "requests": N}
    > unsubscribe CONTACT_ID        {"ok": true, "queued": [...]}
    > wait CONTACT_ID STATUS SECS   {"ok": true, "ms": ...}   (until this desk's local search shows STATUS)
    > outbox                        {"ok": true, "items": [[id, state, message], ...]}
    > count                         {"ok": true, "contacts": N}
    > pause                         the sender stops sending (as when the sign-in expired)
    > quit
Each answer is one JSON line on stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from typing import Any

from ccdesk.cli.account import open_account
from ccdesk.services.desk import Desk


async def _status(desk: Desk, cid: str) -> str | None:
    row = await desk.db.call(lambda s: s.get_contact(cid))
    return None if row is None else str(row.status)


async def handle(desk: Desk, words: list[str]) -> dict[str, Any]:
    cmd = words[0]
    if cmd == "sync":
        before = getattr(desk.client.rate_limiter, "requests_here", 0)
        result = await desk.sync.run()
        return {"ok": True, "from_team": result.from_team, "full_pull": result.full_pull,
                "contacts_read": result.contacts_read,
                "requests": getattr(desk.client.rate_limiter, "requests_here", 0) - before}
    if cmd == "unsubscribe":
        reason = " ".join(words[2:]) or "asked at the front desk"  # `unsubscribe CID [REASON...]`
        queued = await desk.actions.unsubscribe([words[1]], reason, "Contact")
        return {"ok": True, "queued": list(queued.outbox_ids), "skipped": list(queued.skipped)}
    if cmd == "wait":
        cid, status, limit = words[1], words[2], float(words[3])
        started = time.monotonic()
        while await _status(desk, cid) != status:
            if time.monotonic() - started > limit:
                return {"ok": False, "status": await _status(desk, cid)}
            await asyncio.sleep(0.02)
        return {"ok": True, "ms": (time.monotonic() - started) * 1000}
    if cmd == "outbox":
        items = await desk.db.call(lambda s: s.outbox_items())
        return {"ok": True, "items": [[i.id, str(i.state), i.last_error] for i in items]}
    if cmd == "count":
        return {"ok": True, "contacts": await desk.db.call(lambda s: s.count())}
    if cmd == "pause":  # as when the sign-in has expired: queued actions wait (and are handed over)
        desk.worker.pause("paused by the test")
        return {"ok": True}
    if cmd == "online":
        return {"ok": True, "online": bool(desk.team and desk.team.online), "problem": desk.team.problem
                if desk.team else ""}
    return {"ok": False, "error": f"unknown command {cmd}"}


async def main() -> None:
    account = await open_account(argparse.Namespace(api_base=None, auth_base=None, db=None))
    desk = Desk(account.client, account.db_path, team=account.team_link())
    desk.start(background_sync=False)
    loop = asyncio.get_running_loop()
    try:
        print(json.dumps({"ok": True, "ready": True, "team": desk.team is not None}), flush=True)
        while True:
            line = await loop.run_in_executor(None, sys.stdin.readline)
            words = line.split()
            if not words or words[0] == "quit":
                break
            try:
                answer = await handle(desk, words)
            except Exception as exc:  # the test reads it; the desk keeps running
                answer = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
            print(json.dumps(answer), flush=True)
    finally:
        await desk.close()
        await account.session.aclose()


if __name__ == "__main__":
    asyncio.run(main())
