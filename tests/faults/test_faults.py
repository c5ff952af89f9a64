"""Every fault kind once (the benchmark and the soak run more), and controls that show the checks can fail."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from ccdesk.api import CCClient
from ccdesk.api.models import Contact
from ccdesk.services.outbox import OutboxWorker

from .harness import KINDS, TOKEN, check, queue_actions, run_kind, settle
from .process_faults import PROCESS_KINDS

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("name", list(KINDS))
async def test_network_and_service_faults(name: str, tmp_path: Path) -> None:
    seed = list(KINDS).index(name) + 1  # each kind aims at a different kind of request (see TARGETS)
    result = await run_kind(name, seed, tmp_path)
    assert result.survived, result.note
    assert result.lost == 0 and result.duplicated == 0 and result.cache_mismatches == 0
    assert "Traceback" not in result.seen


@pytest.mark.parametrize("name", list(PROCESS_KINDS))
async def test_process_and_disk_faults(name: str, tmp_path: Path) -> None:
    result = await PROCESS_KINDS[name](1, tmp_path)
    assert result.survived, result.note
    assert result.lost == 0 and result.duplicated == 0


async def test_the_checks_see_a_lost_a_duplicated_and_a_stale_contact(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """Controls: a sender that skips one action, one that writes a contact twice with different bodies, and a
    cache that misses a change: each is counted."""
    from ccdesk.sandbox.app import SandboxConfig
    from ccdesk.sandbox.server import SandboxServer
    from tests.services.conftest import make_client

    original_perform = OutboxWorker._perform
    skipped: list[str] = []

    async def lossy_perform(self: OutboxWorker, item):  # type: ignore[no-untyped-def]
        if item.kind == "unsubscribe" and not skipped:
            skipped.append(item.contact_id)
            return "pretended", None  # marked done, never sent: a lost action
        return await original_perform(self, item)

    original_unsubscribe = CCClient.unsubscribe

    async def twice(self: CCClient, contact_id: str, reason: str | None, source: str) -> Contact:  # type: ignore[override]
        contact = await self.get_contact(contact_id)
        body = {**contact.raw, "first_name": "Changed", "update_source": "Account"}
        body.pop("contact_id", None)
        await self.put_contact(contact_id, {k: v for k, v in body.items() if k in ("email_address", "first_name",
                                                                                   "update_source")})
        return await original_unsubscribe(self, contact_id, reason, source)  # type: ignore[arg-type]

    monkeypatch.setattr(OutboxWorker, "_perform", lossy_perform)
    monkeypatch.setattr(CCClient, "unsubscribe", twice)
    server = SandboxServer(SandboxConfig(contacts=300, seed=4, rate_limit=0, tokens=[TOKEN],
                                         activity_seconds=0.05)).start()
    try:
        from ccdesk.services.desk import Desk

        desk = Desk(make_client(server, TOKEN), tmp_path / "control.sqlite3")
        try:
            await desk.sync.run()
            expected = await queue_actions(desk, server.sandbox, random.Random(4))
            await settle(desk)
            victim = next(c for c in server.sandbox.contact_ids(status="active")
                          if c not in expected.unsubscribed and c not in expected.off_list)
            server.sandbox.contact_unsubscribes(victim)  # the cache has not seen this one
            result = await check("control", server.sandbox, desk, expected, [])
        finally:
            await desk.close()
    finally:
        server.stop()
    assert not result.survived
    assert result.lost >= 1 and result.duplicated >= 1 and result.cache_mismatches >= 1, result
