"""Generated contacts through the real action path (outbox → client → sandbox over loopback), and a count of the
fields each action changed that it does not own.

`run_property_suite(examples)` counts rather than asserts, so the benchmark can report `property_fields_lost`;
the tests assert on the same counts.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from hypothesis import HealthCheck, Phase, assume, given, settings
from hypothesis import strategies as st

from ccdesk.api import CCClient, RateLimiter, RetryPolicy, StaticTokenProvider
from ccdesk.sandbox.app import SandboxConfig
from ccdesk.sandbox.server import SandboxServer
from ccdesk.services.desk import Desk
from ccdesk.services.validation import InvalidInput, validate_reason
from ccdesk.store.database import DeskDatabase
from ccdesk.store.rows import OutboxState

from .strategies import contact_body, reasons

TOKEN = "property-token"
ACTIONS = ("unsubscribe", "remove_from_lists", "resubscribe")

# What each action may change. Everything else must come back exactly as it was.
OWNED: dict[str, tuple[str, ...]] = {
    # update_source: every PUT records who made it ("Account" or "Contact"); that is the PUT's own field.
    # list_memberships: the service takes an unsubscribed contact off every list (its rule, not the PUT's).
    "unsubscribe": ("updated_at", "update_source", "email_address.permission_to_send", "email_address.opt_out_source",
                    "email_address.opt_out_date", "email_address.opt_out_reason", "email_address.updated_at",
                    "list_memberships"),
    "remove_from_lists": ("updated_at", "update_source", "list_memberships"),
    # permission_to_send: pending_confirmation until the contact confirms, in one reading of the service.
    "resubscribe": ("updated_at", "email_address.confirm_status", "email_address.updated_at",
                    "email_address.permission_to_send"),
}


def flatten(value: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict):
        if not value and prefix:
            yield prefix, {}
        for key, item in value.items():
            yield from flatten(item, f"{prefix}.{key}" if prefix else key)
    elif isinstance(value, list):
        if not value:
            yield prefix, []
        for i, item in enumerate(value):
            yield from flatten(item, f"{prefix}[{i}]")
    else:
        yield prefix, value


def changed_fields(before: dict[str, Any], after: dict[str, Any], owned: tuple[str, ...]) -> list[str]:
    """Leaf paths that differ and that no owned field covers (an owned "list_memberships" covers its items)."""
    a, b = dict(flatten(before)), dict(flatten(after))
    diff = [p for p in a.keys() | b.keys() if a.get(p, ...) != b.get(p, ...)]

    def covered(path: str) -> bool:
        return any(path == o or path.startswith((o + ".", o + "[")) for o in owned)

    return sorted(p for p in diff if not covered(p))


@dataclass
class Tally:
    examples: dict[str, int] = field(default_factory=lambda: dict.fromkeys(ACTIONS, 0))
    fields_lost: int = 0
    failures: int = 0
    lost_paths: list[str] = field(default_factory=list)


class Bench:
    """One sandbox and one desk (store + outbox) on a private event loop, shared by every example."""

    def __init__(self, workdir: str, resubscribe_state: str = "pending_confirmation") -> None:
        self.server = SandboxServer(SandboxConfig(contacts=20, seed=5, rate_limit=0, tokens=[TOKEN],
                                                  activity_seconds=0.02,
                                                  resubscribe_state=resubscribe_state)).start()
        self.sb = self.server.sandbox
        self.loop = asyncio.new_event_loop()
        client = CCClient(StaticTokenProvider(TOKEN), base_url=self.server.api_base, rate_limiter=RateLimiter(0),
                          retry=RetryPolicy(attempts=2, base_delay=0.01, max_delay=0.02))
        self.desk = Desk(client, f"{workdir}/property.sqlite3")
        self.list_ids = [lst["list_id"] for lst in self.sb.lists() if not lst.get("deleted_at")]
        self.tag_ids = list(self.sb.tags())
        self.field_ids = list(self.sb.custom_fields())
        self.tally = Tally()

    def close(self) -> None:
        self.loop.run_until_complete(self.desk.close())
        self.loop.close()
        self.server.stop()

    def example(self, action: str, body: dict[str, Any], reason: str, asked_by: str, pick: int) -> list[str]:
        sb = self.sb
        cid = sb.add_contact(body)
        if action == "resubscribe":
            sb.contact_unsubscribes(cid, "Clicked the unsubscribe link")
        before = sb.contact_json(cid)
        ok = self.loop.run_until_complete(self._act(action, cid, before, reason, asked_by, pick))
        after = sb.contact_json(cid)
        lost = changed_fields(before, after, OWNED[action])
        self.tally.examples[action] += 1
        self.tally.fields_lost += len(lost)
        self.tally.failures += 0 if ok else 1
        self.tally.lost_paths += [f"{action}: {p}" for p in lost]
        return lost

    async def _act(self, action: str, cid: str, before: dict[str, Any], reason: str, asked_by: str,
                   pick: int) -> bool:
        desk = self.desk
        now = datetime.now(UTC)
        await desk.db.call(functools.partial(DeskDatabase.upsert_contacts, contacts=[before], fetched_at=now))
        if action == "unsubscribe":
            queued = await desk.actions.unsubscribe([cid], reason, asked_by)  # type: ignore[arg-type]
        elif action == "remove_from_lists":
            current = before.get("list_memberships") or []
            drop = [current[pick % len(current)]] if current else [self.list_ids[pick % len(self.list_ids)]]
            queued = await desk.actions.remove_from_lists([cid], drop)
        else:
            queued = await desk.actions.request_resubscribe(cid, [self.list_ids[pick % len(self.list_ids)]])
        await desk.worker.drain()
        items = await desk.db.call(lambda s: [s.get_outbox_item(i) for i in queued.outbox_ids])
        return all(i is not None and i.state is OutboxState.DONE for i in items)


def _usable(reason: str) -> str:
    try:
        return validate_reason(reason or "x")
    except InvalidInput:
        assume(False)  # reason validation is its own property (tests/services/test_validation.py)
        raise


def run_property_suite(examples: int, workdir: str | None = None,
                       resubscribe_state: str = "pending_confirmation") -> dict[str, Any]:
    """`examples` generated contacts, split over the three actions. Returns the figures (never asserts)."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="ccdesk-property-") as tmp:
        bench = Bench(workdir or tmp, resubscribe_state)
        try:
            per_action = max(1, examples // len(ACTIONS))
            for action in ACTIONS:
                _run_action(bench, action, per_action)
        finally:
            bench.close()
    t = bench.tally
    return {"property_examples": sum(t.examples.values()), "property_fields_lost": t.fields_lost,
            "property_failures": t.failures, "per_action": t.examples, "lost_paths": t.lost_paths[:20]}


def _run_action(bench: Bench, action: str, examples: int) -> None:
    @settings(max_examples=examples, deadline=None, database=None, derandomize=False,
              phases=(Phase.generate,), suppress_health_check=list(HealthCheck))
    @given(body=contact_body(bench.list_ids, bench.tag_ids, bench.field_ids), reason=reasons,
           asked_by=st.sampled_from(["Contact", "Account"]), pick=st.integers(0, 1_000))
    def one(body: dict[str, Any], reason: str, asked_by: str, pick: int) -> None:
        bench.example(action, body, _usable(reason), asked_by, pick)

    one()
