"""A window-like process for the multi-process tests: restores the desk's sign-in from the keyring as the window
does, and syncs every `--every` seconds for `--seconds`, through the real client and store (no Qt).

Exit 0 if it stayed signed in all along, 3 if it was signed out, 1 on anything else. Prints one line per sync."""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

from ccdesk.api import CCClient, SignInRequired
from ccdesk.auth.session import AuthSession
from ccdesk.auth.token_store import KeyringTokenStore
from ccdesk.preferences import Preferences
from ccdesk.services.desk import Desk


async def main(db: Path, seconds: float, every: float) -> int:
    prefs = Preferences.load()
    session = await AuthSession.restore(prefs.auth_config(), KeyringTokenStore(prefs.client_id))
    if not session.signed_in:
        print("not signed in at start", flush=True)
        return 3
    desk = Desk(CCClient(session, base_url=prefs.api_base), db)
    code = 0
    try:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                await desk.sync.run(lambda _p: None)
                print("synced", flush=True)
            except SignInRequired as exc:
                print(f"signed out: {exc}", flush=True)
                code = 3
                break
            await asyncio.sleep(every)
        print(f"refreshes {session.refresh_count}", flush=True)
    finally:
        await desk.close()
        await session.aclose()
    return code


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--db", type=Path, required=True)
    p.add_argument("--seconds", type=float, default=20)
    p.add_argument("--every", type=float, default=0.5)
    a = p.parse_args()
    sys.exit(asyncio.run(main(a.db, a.seconds, a.every)))
