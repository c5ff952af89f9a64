"""Soak: mixed actions and syncs for a while against one flaky sandbox, then the fault table.

    python -m tests.faults.soak [--minutes 60] [--seed 1] [--json PATH]

One sandbox (2,000 contacts, the real 4 requests/s limit) and one desk run the whole time, as the window
does: the outbox sender and the sync run continuously, staff queue unsubscribes, removals and resubscribe
requests at random, contacts opt out by themselves, and every few seconds a random fault is switched on or
off. At the end the faults stop, everything is sent, one more sync runs, and the same checks as the fault
suite are made over every action of the whole run: lost, sent twice with a different effect, cache
mismatches. The table has one row per fault kind (how often it was switched on) and a total row.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import random
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from ccdesk.api import CCClient, RateLimiter, RetryPolicy, StaticTokenProvider
from ccdesk.sandbox.app import SandboxConfig
from ccdesk.sandbox.server import SandboxServer
from ccdesk.services.desk import Desk
from ccdesk.store.errors import StoreUnavailableError

from .harness import REASON, TOKEN, Expected, RunResult, check, print_table, settle

# (name, switches) for sandbox faults; "quota" is handled apart.
FAULTS: list[tuple[str, dict[str, Any]]] = [
    ("429 storm", {"throttle_next": 20}),
    ("500", {"error_next": 4, "error_status": 500}),
    ("502", {"error_next": 4, "error_status": 502}),
    ("503", {"error_next": 4, "error_status": 503}),
    ("dropped before handling", {"drop_next": 3}),
    ("dropped after handling", {"drop_after_next": 3}),
    ("timeout", {"latency_ms": 1_500}),
    ("truncated body", {"malformed_next": 3}),
    ("dropped mid-body", {"cut_next": 3}),
    ("HTML body", {"html_next": 3}),
]


class Soak:
    def __init__(self, seconds: float, seed: int, workdir: Path) -> None:
        self.seconds, self.rng = seconds, random.Random(seed)
        self.server = SandboxServer(SandboxConfig(contacts=2_000, seed=seed, rate_limit=4, tokens=[TOKEN],
                                                  activity_seconds=0.5)).start()
        self.sb = self.server.sandbox
        client = CCClient(StaticTokenProvider(TOKEN), base_url=self.server.api_base, rate_limiter=RateLimiter(4),
                          retry=RetryPolicy(attempts=4, base_delay=0.05, max_delay=0.5), timeout=1.0)
        self.desk = Desk(client, workdir / "soak.sqlite3")
        self.expected = Expected()
        self.switched: Counter[str] = Counter()
        self.actions = 0
        self.messages: list[str] = []
        self.touched: set[str] = set()

    async def run(self) -> tuple[RunResult, dict[str, int]]:
        desk = self.desk
        try:
            await desk.sync.run()
            desk.worker.item_finished.connect(lambda o: self.messages.append(o.message) if not o.ok else None)
            sender = asyncio.ensure_future(desk.worker.run())
            syncer = asyncio.ensure_future(self._sync_loop())
            deadline = time.monotonic() + self.seconds
            try:
                while time.monotonic() < deadline:
                    await self._step()
                    await asyncio.sleep(self.rng.uniform(0.2, 0.8))
            finally:
                for task in (syncer, sender):
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await task
            self.sb.faults.reset()
            self.sb.limiter.daily_quota = 0
            await settle(desk, rounds=200)
            result = await check("all faults, mixed", self.sb, desk, self.expected, self.messages)
            return result, dict(self.switched)
        finally:
            await desk.close()
            self.server.stop()

    async def _sync_loop(self) -> None:
        while True:
            with contextlib.suppress(Exception):  # a failed sync is retried by the next one, as in the app
                await self.desk.sync.run()
            await asyncio.sleep(self.rng.uniform(1.0, 3.0))

    async def _step(self) -> None:
        roll = self.rng.random()
        if roll < 0.25:
            self._switch_fault()
        elif roll < 0.35:
            self.sb.contact_unsubscribes(self._fresh("active"), "Clicked the unsubscribe link")
        else:
            with contextlib.suppress(StoreUnavailableError):
                await self._queue_action()

    def _switch_fault(self) -> None:
        self.sb.faults.reset()
        self.sb.limiter.daily_quota = 0
        if self.rng.random() < 0.3:
            return  # a quiet spell
        if self.rng.random() < 0.1:
            self.switched["quota_exceeded"] += 1
            self.sb.limiter.daily_quota = 1
            return
        name, switches = self.rng.choice(FAULTS)
        self.switched[name] += 1
        self.sb.faults.update(switches)

    def _fresh(self, status: str) -> str:
        """A contact no earlier step touched, so each action's expected effect is its own."""
        ids = self.sb.contact_ids(status=status)
        for _ in range(50):
            cid = self.rng.choice(ids)
            if cid not in self.touched:
                self.touched.add(cid)
                return cid
        raise RuntimeError("no untouched contact left")

    async def _queue_action(self) -> None:
        desk, sb = self.desk, self.sb
        kind = self.rng.random()
        if kind < 0.5:
            cid = self._fresh("active")
            if sb.contact_json(cid)["email_address"]["permission_to_send"] == "unsubscribed":
                return
            if (await desk.actions.unsubscribe([cid], REASON, "Contact")).outbox_ids:
                self.expected.unsubscribed[cid] = REASON
        elif kind < 0.8:
            count = 1 if self.rng.random() < 0.6 else self.rng.randint(2, 12)
            lid = self.rng.choice(sb.lists())["list_id"]
            ids = [c for c in (self._fresh("active") for _ in range(count))
                   if lid in sb.contact_json(c)["list_memberships"]]
            if ids and (await desk.actions.remove_from_lists(ids, [lid])).outbox_ids:
                self.expected.off_list.update(dict.fromkeys(ids, lid))
        else:
            cid = self._fresh("unsubscribed")
            if sb.contact_json(cid)["email_address"].get("confirm_status") == "pending":
                return
            lid = sb.lists()[0]["list_id"]
            with contextlib.suppress(Exception):  # already requested (cache behind): refused before sending
                if (await desk.actions.request_resubscribe(cid, [lid])).outbox_ids:
                    self.expected.resubscribe_requested.append(cid)
        self.actions += 1


def soak_table(result: RunResult, switched: dict[str, int]) -> list[dict[str, Any]]:
    ok = int(result.survived)
    rows = [{"fault": name, "runs": n, "survived": n * ok, "lost": "", "duplicated": "", "user_saw": "",
             "problems": ""} for name, n in sorted(switched.items())]
    rows.append({"fault": "total (checked at the end)", "runs": sum(switched.values()),
                 "survived": sum(switched.values()) * ok, "lost": result.lost, "duplicated": result.duplicated,
                 "user_saw": result.seen, "problems": result.note})
    return rows


async def soak(seconds: float, seed: int = 1) -> tuple[RunResult, dict[str, int], int]:
    with tempfile.TemporaryDirectory(prefix="ccdesk-soak-") as tmp:
        s = Soak(seconds, seed, Path(tmp))
        result, switched = await s.run()
        return result, switched, s.actions


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--minutes", type=float, default=60.0)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--json", type=Path)
    args = p.parse_args(argv)
    started = time.monotonic()
    result, switched, actions = asyncio.run(soak(args.minutes * 60, args.seed))
    rows = soak_table(result, switched)
    print(f"soak: {args.minutes:g} min, {actions} actions queued, {sum(switched.values())} fault switches, "
          f"{time.monotonic() - started:.0f} s in all; cache mismatches at the end: {result.cache_mismatches}")
    print_table(rows)
    if args.json:
        args.json.write_text(json.dumps({"rows": rows, "actions": actions, "survived": result.survived},
                                        indent=2) + "\n", encoding="utf-8")
    return 0 if result.survived else 1


if __name__ == "__main__":
    sys.exit(main())
