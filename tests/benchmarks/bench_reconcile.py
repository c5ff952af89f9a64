"""What catching email-only changes costs a sync, and whether it catches them (issue 13, client item 4).

`reconcile_requests_100k`: the requests the reconcile step adds to one sync on an account of N contacts with
~12 % unsubscribed (the seed's share), on a sync where the unsubscribed set is compared (every 2 hours) and
3 resubscribe requests are waiting for their contacts: the pages of `status=unsubscribed` (500 each) plus one
GET per waiting contact. `reconcile_stale_contacts`: after 50 contacts confirmed a resubscribe email asked
from this desk and 50 opted back in through a sign-up form, how many are still stale after one sync.

    python tests/benchmarks/run.py --only reconcile [--quick | --selftest]
"""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

import httpx

from ccdesk.api import CCClient, RateLimiter, RetryPolicy, StaticTokenProvider
from ccdesk.sandbox.app import SandboxConfig
from ccdesk.sandbox.server import SandboxServer
from ccdesk.services.desk import Desk
from ccdesk.services.reconcile import LAST_COMPARE

Row = tuple[str, float | None, str, str, str]
TOKEN = "bench-reconcile-token"


async def _due(desk: Desk) -> None:
    """As if the 2-hour interval had passed."""
    await desk.db.call(lambda s: s.set_state(LAST_COMPARE, None))


async def _resubscribe(desk: Desk, ids: list[str], list_id: str) -> None:
    for cid in ids:
        await desk.actions.request_resubscribe(cid, [list_id])
    outcomes = await desk.worker.drain()
    assert all(o.ok for o in outcomes), [o.message for o in outcomes if not o.ok]


async def _measure(n: int, workdir: Path) -> list[Row]:
    config = SandboxConfig(contacts=n, seed=3, rate_limit=0, daily_quota=0, tokens=[TOKEN], activity_seconds=0.05)
    with SandboxServer(config) as server:
        sb = server.sandbox
        client = CCClient(StaticTokenProvider(TOKEN), base_url=server.api_base, rate_limiter=RateLimiter(0),
                          retry=RetryPolicy(attempts=5, base_delay=0.01, max_delay=0.05))
        desk = Desk(client, workdir / "reconcile.sqlite3")
        try:
            await desk.sync.run()  # the first full pull
            await desk.sync.run()  # a first incremental sync (the pull counted as the first comparison)
            unsub = sb.contact_ids(status="unsubscribed")
            vip = sb.list_id("VIP")
            waiting, confirmed, signed_up = unsub[:3], unsub[3:53], unsub[53:103]
            await _resubscribe(desk, waiting, vip)
            await _due(desk)
            typical = await desk.sync.run()

            await _resubscribe(desk, confirmed, vip)
            for cid in confirmed:
                sb.confirm_resubscribe(cid)
            async with httpx.AsyncClient(headers={"Authorization": f"Bearer {TOKEN}"}) as http:
                for cid in signed_up:
                    address = sb.contact_json(cid)["email_address"]["address"]
                    r = await http.post(f"{server.api_base}/contacts/sign_up_form",
                                        json={"email_address": address, "list_memberships": [vip]})
                    r.raise_for_status()
            await _due(desk)
            sb.reset_request_counts()
            after = await desk.sync.run()
            sync_requests = sb.requests_matching()
            stale = 0
            for cid in [*confirmed, *signed_up]:
                truth = sb.contact_json(cid)["email_address"]
                row = await desk.db.call(lambda s, cid=cid: s.get_contact(cid))
                stale += (row.permission_to_send, row.confirm_status) != (truth["permission_to_send"],
                                                                            truth.get("confirm_status"))
        finally:
            await desk.close()
    n_unsub = len(unsub)
    label = f"{n:,} contacts, {n_unsub:,} unsubscribed ({n_unsub / n:.0%})"
    return [
        ("reconcile_requests_100k", typical.reconcile_requests, "requests", "<= 30",
         f"{label}: {-(-n_unsub // 500)} pages of status=unsubscribed + 1 GET per waiting request (3) + 1 count "
         "of the deleted contacts"),
        ("reconcile_stale_contacts", stale, "contacts", "0",
         f"50 confirmed a resubscribe, 50 opted in by a form; that sync: {after.reconcile_requests} reconcile "
         f"requests, {sync_requests} in all"),
    ]


def bench_reconcile(n: int) -> list[Row]:
    with tempfile.TemporaryDirectory(prefix="ccdesk-reconcile-") as tmp:
        return asyncio.run(_measure(n, Path(tmp)))


if __name__ == "__main__":
    for row in bench_reconcile(2_000):
        print(row)
