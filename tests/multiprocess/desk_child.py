"""A window-like ccdesk process without Qt: the same composition as the window (the keyring sign-in, the desk's
shared request budget, the outbox sender and the background sync), run until its first sync ends.

    python -m tests.multiprocess.desk_child window    # prints one JSON line: what the first sync did
    python -m tests.multiprocess.desk_child burst S   # another desk (set CCDESK_BUDGET_DIR): requests for S s

Like the window, it stays open after its first sync (its outbox sender keeps sending what any process queued)
until its stdin is closed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys

from ccdesk.cli.account import open_account
from ccdesk.services.desk import Desk
from ccdesk.services.sync import SyncResult


async def window_like() -> dict[str, object]:
    account = await open_account(argparse.Namespace(api_base=None, auth_base=None, db=None))
    desk = Desk(account.client, account.db_path)
    ended: asyncio.Future[dict[str, object]] = asyncio.get_running_loop().create_future()

    def finished(result: SyncResult) -> None:
        if not ended.done():
            ended.set_result({"ok": True, "reused": result.reused, "full_pull": result.full_pull,
                              "contacts_read": result.contacts_read})

    def failed(message: str) -> None:
        if not ended.done():
            ended.set_result({"ok": False, "error": message})

    desk.scheduler.finished.connect(finished)
    desk.scheduler.failed.connect(failed)
    try:
        desk.start()  # the outbox sender and the background sync, whose first run is right away
        first = await asyncio.wait_for(ended, 600)
        await asyncio.to_thread(sys.stdin.read)  # open until the parent closes our stdin
        return first
    finally:
        await desk.close()
        await account.session.aclose()


async def burst(seconds: float) -> dict[str, object]:
    """Another desk on the same API key: as many requests as its own budget allows, for `seconds`."""
    account = await open_account(argparse.Namespace(api_base=None, auth_base=None, db=None))
    client = account.client
    loop = asyncio.get_running_loop()
    end = loop.time() + seconds
    try:
        while loop.time() < end:
            await client.contact_counts()
    finally:
        await client.aclose()
        await account.session.aclose()
    return {"ok": True, "requests": client.stats.requests, "retries": client.stats.retries}


def main(argv: list[str]) -> int:
    if argv == ["window"]:
        print(json.dumps(asyncio.run(window_like())), flush=True)
    elif len(argv) == 2 and argv[0] == "burst":
        print(json.dumps(asyncio.run(burst(float(argv[1])))), flush=True)
    else:
        raise SystemExit(__doc__)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
