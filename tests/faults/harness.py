"""Fault injection against the sandbox over loopback, driving the real services (store, outbox, sync).

One *run* of a fault kind:
1. a fresh sandbox and cache; a full sync with no fault;
2. the account changes on its own (contacts unsubscribe themselves) and staff queue actions: unsubscribes,
   single removals from a list, one bulk removal (an activity), one resubscribe request;
3. the fault is switched on while the outbox sends (phase A) and again in the middle of a full re-read of
   the account, after its first page (phase B);
4. the fault is switched off; the outbox is given its back-off time (items are made due, as the worker's
   own timer would) until nothing is pending, then one more sync;
5. checks: **lost** = queued actions whose effect is not in the sandbox; **duplicated** = actions whose write
   reached the sandbox twice with different bodies (the same body twice has the same effect and is fine);
   **cache** = contacts whose cached status or lists disagree with the sandbox.

What a user would have seen (the first message from a failed send or sync) is kept for the table.
Process-level faults (SIGKILL, a locked database file, a full disk) are in `process_faults.py`.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import random
import tempfile
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ccdesk.api import CCClient, RateLimiter, RetryPolicy, StaticTokenProvider
from ccdesk.auth.session import AuthSession
from ccdesk.auth.token_store import MemoryTokenStore
from ccdesk.bootstrap.demo import signed_in_to_sandbox
from ccdesk.sandbox.app import SandboxConfig
from ccdesk.sandbox.server import SandboxServer
from ccdesk.services.desk import Desk
from ccdesk.services.outbox import ItemOutcome
from ccdesk.store.database import DeskDatabase
from ccdesk.store.derive import derive
from ccdesk.store.rows import OutboxState

TOKEN = "fault-token"
REASON = "Asked by phone (fault run)"


@dataclass
class RunResult:
    kind: str
    survived: bool
    lost: int
    duplicated: int
    cache_mismatches: int
    seen: str = ""          # what the user was told while the fault lasted
    note: str = ""          # why a run did not survive
    seconds: float = 0.0


@dataclass
class Expected:
    unsubscribed: dict[str, str] = field(default_factory=dict)   # contact id -> reason
    off_list: dict[str, str] = field(default_factory=dict)       # contact id -> list id
    resubscribe_requested: list[str] = field(default_factory=list)


Arm = Callable[["Run"], None]


@dataclass
class FaultKind:
    name: str
    arm: Arm
    disarm: Arm
    oauth: bool = False          # use a real OAuth session (for token expiry)
    client_timeout: float = 5.0


# Each run aims the fault at one kind of request, in turn: any, the resubscribe email, contact PUTs, activity
# POSTs, reads. A fault that only ever hit the first GET would prove little.
TARGETS = ("", "^PUT /v3/contacts/resubscribe/", "^PUT /v3/contacts/", "^POST /v3/activities/", "^GET /v3/")


def _faults(changes: dict[str, Any]) -> Arm:
    return lambda run: run.sb.faults.update({**changes, "only": run.target})


def _reset(run: Run) -> None:
    run.sb.faults.reset()


def _quota_on(run: Run) -> None:
    run.sb.limiter.daily_quota = 1  # every further request today: 429 quota_exceeded


def _quota_off(run: Run) -> None:
    run.sb.limiter.daily_quota = 0  # "the next day"


def _expire(run: Run) -> None:
    run.sb.tokens.expire_all()


def _nothing(run: Run) -> None:
    return None


KINDS: dict[str, FaultKind] = {k.name: k for k in (
    FaultKind("429 storm", _faults({"throttle_next": 40}), _reset),
    FaultKind("quota_exceeded", _quota_on, _quota_off),
    FaultKind("500", _faults({"error_next": 7, "error_status": 500}), _reset),
    FaultKind("502", _faults({"error_next": 7, "error_status": 502}), _reset),
    FaultKind("503", _faults({"error_next": 7, "error_status": 503}), _reset),
    FaultKind("dropped before handling", _faults({"drop_next": 7}), _reset),
    FaultKind("dropped after handling", _faults({"drop_after_next": 7}), _reset),
    FaultKind("timeout", _faults({"latency_ms": 700}), _reset, client_timeout=0.4),
    FaultKind("truncated body", _faults({"malformed_next": 7}), _reset),
    FaultKind("dropped mid-body", _faults({"cut_next": 7}), _reset),
    FaultKind("HTML body", _faults({"html_next": 7}), _reset),
    FaultKind("401 (token expired)", _expire, _nothing, oauth=True),
)}


class Run:
    """One run of one fault kind (see the module docstring)."""

    def __init__(self, kind: FaultKind, seed: int, workdir: Path, *, contacts: int = 1_100) -> None:
        self.kind, self.seed, self.workdir, self.contacts = kind, seed, workdir, contacts
        self.rng = random.Random(seed)
        self.target = TARGETS[(seed - 1) % len(TARGETS)]
        self.server = SandboxServer(SandboxConfig(contacts=contacts, seed=seed, rate_limit=0, tokens=[TOKEN],
                                                  auto_approve=kind.oauth, activity_seconds=0.05)).start()
        self.sb = self.server.sandbox
        self.messages: list[str] = []
        self.session: AuthSession | None = None
        self.desk: Desk | None = None

    async def _client(self) -> CCClient:
        retry = RetryPolicy(attempts=3, base_delay=0.01, max_delay=0.05)
        provider: Any = StaticTokenProvider(TOKEN)
        if self.kind.oauth:
            config, tokens = await signed_in_to_sandbox(self.server, "ccdesk-faults")
            self.session = AuthSession(config, MemoryTokenStore())
            await self.session.sign_in(tokens)
            provider = self.session
        return CCClient(provider, base_url=self.server.api_base, rate_limiter=RateLimiter(0), retry=retry,
                        timeout=self.kind.client_timeout)

    def _heard(self, outcome: ItemOutcome) -> None:
        if not outcome.ok:
            self.messages.append(outcome.message)

    async def execute(self) -> RunResult:
        started = time.monotonic()
        try:
            slug = "".join(ch if ch.isalnum() else "-" for ch in self.kind.name)
            self.desk = Desk(await self._client(), self.workdir / f"run-{slug}-{self.seed}.sqlite3")
            self.desk.worker.item_finished.connect(self._heard)
            result = await self._execute(self.desk)
        finally:
            if self.desk is not None:
                await self.desk.close()
            if self.session is not None:
                await self.session.aclose()
            self.server.stop()
        result.seconds = time.monotonic() - started
        return result

    async def _attempt(self, work: Awaitable[Any]) -> None:
        """Run a send or sync while the fault lasts; what it raises is what the user would be told."""
        try:
            await work
        except Exception as exc:
            self.messages.append(str(exc) or type(exc).__name__)

    async def _execute(self, desk: Desk) -> RunResult:
        await desk.sync.run()
        expected = await queue_actions(desk, self.sb, self.rng)
        # Phase A: the outbox sends while the fault is on.
        self.kind.arm(self)
        await self._attempt(desk.worker.drain())
        self.kind.disarm(self)
        # Phase B: the fault starts after the first page of a full re-read.
        armed = False

        def progress(p: Any) -> None:
            nonlocal armed
            if not armed and p.done >= 500:
                armed = True
                self.kind.arm(self)

        await self._attempt(desk.sync.run(progress, full=True))
        self.kind.disarm(self)
        await settle(desk)
        return await check(self.kind.name, self.sb, desk, expected, self.messages, self.target)

async def queue_actions(desk: Desk, sb: Any, rng: random.Random) -> Expected:
    """The account changes on its own, and staff queue unsubscribes, removals (single and bulk) and one
    resubscribe request. Returns what must be true in the sandbox once everything is sent."""
    mailable = [c for c in sb.contact_ids(status="active")
                if sb.contact_json(c)["email_address"]["permission_to_send"] in ("implicit", "explicit")]
    rng.shuffle(mailable)
    for cid in mailable[:3]:
        sb.contact_unsubscribes(cid, "Clicked the unsubscribe link")
    pool = mailable[3:]
    expected = Expected()
    unsub, pool = pool[:6], pool[6:]
    await desk.actions.unsubscribe(unsub, REASON, "Contact")
    expected.unsubscribed = dict.fromkeys(unsub, REASON)
    with_lists = [c for c in pool if sb.contact_json(c)["list_memberships"]]
    for cid in with_lists[:2]:
        lid = sb.contact_json(cid)["list_memberships"][0]
        await desk.actions.remove_from_lists([cid], [lid])
        expected.off_list[cid] = lid
    lid = sb.lists()[0]["list_id"]
    bulk = [c for c in with_lists[2:] if lid in sb.contact_json(c)["list_memberships"]][:10]
    await desk.actions.remove_from_lists(bulk, [lid])
    expected.off_list.update(dict.fromkeys(bulk, lid))
    unsubscribed = [c for c in sb.contact_ids(status="unsubscribed")
                    if sb.contact_json(c)["email_address"].get("confirm_status") != "pending"]
    if unsubscribed:
        await desk.actions.request_resubscribe(unsubscribed[0], [lid])
        expected.resubscribe_requested.append(unsubscribed[0])
    return expected


async def settle(desk: Desk, rounds: int = 30) -> None:
    """After the fault: give every back-off its time (items are made due, as the worker's timer would), send
    until nothing is pending, then sync once more."""
    desk.worker.resume()
    for _ in range(rounds):
        pending = await desk.db.call(lambda s: [i.id for i in s.pending()])
        if not pending:
            break
        await desk.db.call(functools.partial(DeskDatabase.due_now, item_ids=pending))
        await desk.worker.drain()
        await asyncio.sleep(0.05)  # activities complete on the sandbox's clock
    await desk.sync.run()


async def check(kind: str, sb: Any, desk: Desk, expected: Expected, messages: list[str],
                target: str = "") -> RunResult:
    """Lost, duplicated and cache mismatches (see the module docstring)."""
    lost = 0
    problems: list[str] = []
    for cid, reason in expected.unsubscribed.items():
        email = sb.contact_json(cid)["email_address"]
        if email["permission_to_send"] != "unsubscribed" or email.get("opt_out_reason") != reason:
            lost += 1
            problems.append(f"unsubscribe of {cid[:8]} not applied")
    for cid, lid in expected.off_list.items():
        if lid in sb.contact_json(cid)["list_memberships"]:
            lost += 1
            problems.append(f"removal of {cid[:8]} not applied")
    for cid in expected.resubscribe_requested:
        if sb.contact_json(cid)["email_address"].get("confirm_status") != "pending":
            lost += 1
            problems.append(f"resubscribe request for {cid[:8]} not sent")
    items = await desk.db.call(lambda s: s.outbox_items(limit=10_000))
    unfinished = [i for i in items if i.state is not OutboxState.DONE]
    if unfinished:
        problems.append(f"{len(unfinished)} outbox item(s) not done: {unfinished[0].state} "
                        f"{unfinished[0].last_error}")
    bodies: dict[str, set[str]] = defaultdict(set)
    for method, path, digest in list(sb.applied_write_log):
        if method == "PUT":
            bodies[path].add(digest)
    duplicated = sum(1 for digests in bodies.values() if len(digests) > 1)
    if duplicated:
        problems.append(f"{duplicated} contact(s) written twice with different bodies")
    mismatches = await cache_mismatches(desk, sb)
    if mismatches:
        problems.append(f"{mismatches} cached contact(s) differ from the sandbox")
    seen = next((m for m in messages if m), "nothing (handled silently)")
    if problems:
        problems.insert(0, f"target {target or 'any request'!r}")
    return RunResult(kind, not problems, lost, duplicated, mismatches, seen, "; ".join(problems))


async def cache_mismatches(desk: Desk, sb: Any) -> int:
    """Contacts whose cached status or lists differ from the sandbox, plus cached contacts it does not have."""
    truth = {cid: sb.contact_json(cid) for cid in sb.contact_ids(status="all")}

    def compare(s: Any) -> int:
        bad = 0
        for cid, contact in truth.items():
            row = s.get_contact(cid)
            lists = sorted(contact.get("list_memberships") or [])
            status = derive(contact).status(lists_known=True, list_count=len(lists))
            if row is None or row.status != status or sorted(row.list_ids) != lists:
                bad += 1
        return bad + max(0, s.count() - len(truth))

    return await desk.db.call(compare)


async def run_kind(name: str, seed: int, workdir: Path | None = None) -> RunResult:
    with contextlib.ExitStack() as stack:
        folder = workdir or Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="ccdesk-faults-")))
        return await Run(KINDS[name], seed, folder).execute()


def table(results: list[RunResult]) -> list[dict[str, Any]]:
    """Fault, runs, survived, lost, duplicated (summed over runs), and what the user saw."""
    rows: dict[str, dict[str, Any]] = {}
    for r in results:
        row = rows.setdefault(r.kind, {"fault": r.kind, "runs": 0, "survived": 0, "lost": 0, "duplicated": 0,
                                       "user_saw": r.seen, "problems": ""})
        row["runs"] += 1
        row["survived"] += int(r.survived)
        row["lost"] += r.lost
        row["duplicated"] += r.duplicated
        if r.note and not row["problems"]:
            row["problems"] = r.note
    return list(rows.values())


def print_table(rows: list[dict[str, Any]]) -> None:
    width = max([len("fault"), *(len(r["fault"]) for r in rows)])
    print(f"{'fault':<{width}}  runs  survived  lost  duplicated  what the user saw")
    for r in rows:
        print(f"{r['fault']:<{width}}  {r['runs']:>4}  {r['survived']:>8}  {r['lost']:>4}  {r['duplicated']:>10}  "
              f"{r['user_saw'][:90]}" + (f"  [{r['problems'][:120]}]" if r["problems"] else ""))


# --- the naive baseline -------------------------------------------------------------------------------------------

@dataclass
class _Bare:
    """What an Arm needs (the sandbox and the request kind aimed at), without a desk."""

    sb: Any
    target: str


async def naive_lost(name: str, seed: int) -> int:
    """The same fault against a plain sender: one GET and one PUT per unsubscribe with httpx, no retry, no
    outbox. Returns how many of its 8 unsubscribes never reached the account: what ccdesk's design prevents."""
    import httpx

    kind = KINDS[name]
    server = SandboxServer(SandboxConfig(contacts=300, seed=seed, rate_limit=0, tokens=[TOKEN],
                                         auto_approve=kind.oauth)).start()
    sb = server.sandbox
    token = TOKEN
    if kind.oauth:
        _config, tokens = await signed_in_to_sandbox(server, "ccdesk-faults-naive")
        token = tokens.access_token
    try:
        targets = [c for c in sb.contact_ids(status="active")
                   if sb.contact_json(c)["email_address"]["permission_to_send"] in ("implicit", "explicit")][:8]
        kind.arm(_Bare(sb, TARGETS[(seed - 1) % len(TARGETS)]))  # type: ignore[arg-type]
        async with httpx.AsyncClient(base_url=server.api_base + "/", timeout=kind.client_timeout,
                                     headers={"Authorization": f"Bearer {token}"}) as http:
            for cid in targets:
                with contextlib.suppress(httpx.HTTPError, ValueError, KeyError, TypeError):
                    contact = (await http.get(f"contacts/{cid}")).json()
                    email = dict(contact["email_address"], permission_to_send="unsubscribed", opt_out_reason=REASON)
                    body = {k: v for k, v in contact.items() if k in ("first_name", "last_name", "job_title",
                                                                      "company_name", "list_memberships")}
                    await http.put(f"contacts/{cid}", json={**body, "email_address": email,
                                                            "update_source": "Contact"})
        kind.disarm(_Bare(sb, ""))  # type: ignore[arg-type]
        return sum(sb.contact_json(c)["email_address"]["permission_to_send"] != "unsubscribed" for c in targets)
    finally:
        server.stop()
