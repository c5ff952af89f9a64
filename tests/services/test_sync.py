"""Incremental sync against the sandbox over loopback: opt-outs the contact makes, other changes, deletes,
idempotence and resuming after a crash."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from ccdesk.sandbox.server import SandboxServer
from ccdesk.services.desk import Desk
from ccdesk.services.sync import OPTOUTS, SyncEngine
from tests.sandboxes import subscribed

from .conftest import BOTH_READINGS, TOKEN, make_client

pytestmark = BOTH_READINGS


@contextlib.asynccontextmanager
async def synced_desk(server: SandboxServer, tmp_path: Path) -> AsyncIterator[tuple[Desk, SyncEngine]]:
    """A desk whose cache had its first full pull (which reports no 'new' opt-outs), and its sync engine."""
    desk = Desk(make_client(server), tmp_path / "c.sqlite3")
    try:
        engine = SyncEngine(desk.db, desk.client)
        first = await engine.run()
        assert first.full_pull and not first.new_optouts, "the first pull reports no 'new' opt-outs"
        yield desk, engine
    finally:
        await desk.close()



async def test_opt_out_by_the_contact_is_caught_once(server: SandboxServer, tmp_path: Path) -> None:
    async with synced_desk(server, tmp_path) as (desk, engine):
        sb = server.sandbox
        cid = subscribed(sb)[0]
        sb.contact_unsubscribes(cid, "Too many emails")
        result = await engine.run()
        assert not result.full_pull
        assert result.new_optouts == [cid]
        row = await desk.db.call(lambda s: s.get_contact(cid))
        assert str(row.status) == "unsubscribed" and row.opt_out_reason == "Too many emails"
        again = await engine.run()
        assert again.new_optouts == []


async def test_other_changes_and_deletes_are_caught(server: SandboxServer, tmp_path: Path) -> None:
    async with synced_desk(server, tmp_path) as (desk, engine):
        sb = server.sandbox
        alive = sb.contact_ids(status="active")
        renamed, deleted = alive[3], alive[4]
        body = sb.contact_json(renamed)
        put = {"email_address": {"address": body["email_address"]["address"]}, "first_name": "Renamed",
               "last_name": body.get("last_name"), "update_source": "Account"}
        headers = {"Authorization": f"Bearer {TOKEN}"}
        async with httpx.AsyncClient(base_url=server.api_base, headers=headers) as http:
            assert (await http.put(f"{server.api_base}/contacts/{renamed}", json=put)).status_code == 200
            assert (await http.delete(f"{server.api_base}/contacts/{deleted}")).status_code == 204
        await engine.run()
        row = await desk.db.call(lambda s: s.get_contact(renamed))
        assert row.first_name == "Renamed"
        gone = await desk.db.call(lambda s: s.get_contact(deleted))
        assert gone.deleted_at is not None


async def test_a_pass_interrupted_after_a_page_resumes_there(start_sandbox, tmp_path: Path) -> None:
    server = start_sandbox(contacts=1200)
    async with synced_desk(server, tmp_path) as (desk, engine):
        sb = server.sandbox
        # Pretend a previous run stored one page of an opt-out pass and then died.
        pages = desk.client.iter_contact_pages(status="all", limit=500, include=["list_memberships"])
        first = await anext(pages)
        await pages.aclose()
        assert first.next_href
        await desk.db.call(lambda s: s.set_state(OPTOUTS.next_href, first.next_href))
        await desk.db.call(lambda s: s.set_state(OPTOUTS.started, "2026-01-01T00:00:00+00:00"))
        sb.reset_request_counts()
        result = await engine.run()
        assert result.contacts_read >= 700  # the remaining pages of the resumed pass
        assert await desk.db.call(lambda s: s.get_state(OPTOUTS.next_href)) is None
        # The resumed pass's start, in the service's time (its Date has whole seconds: up to a second earlier).
        checkpoint = datetime.fromisoformat(await desk.db.call(lambda s: s.get_state(OPTOUTS.checkpoint)))
        start = datetime(2026, 1, 1, tzinfo=UTC)
        assert start - timedelta(seconds=2) <= checkpoint <= start, checkpoint


async def test_account_opt_outs_and_deleted_ones_appear_exactly_once(server: SandboxServer, tmp_path: Path) -> None:
    async with synced_desk(server, tmp_path) as (desk, engine):
        sb = server.sandbox
        alive = subscribed(sb)
        by_account, then_deleted = alive[10], alive[11]
        await desk.client.unsubscribe(by_account, "No longer a customer", "Account")
        await desk.client.unsubscribe(then_deleted, "Asked by phone", "Contact")
        headers = {"Authorization": f"Bearer {TOKEN}"}
        async with httpx.AsyncClient(base_url=server.api_base, headers=headers) as http:
            assert (await http.delete(f"{server.api_base}/contacts/{then_deleted}")).status_code == 204
        # Our own PUTs do not count as seen: only a sync records them as opt-outs.
        result = await engine.run()
        assert sorted(result.new_optouts) == sorted([by_account, then_deleted])
        row = await desk.db.call(lambda s: s.get_contact(then_deleted))
        assert str(row.status) == "unsubscribed" and row.deleted_at is not None
        assert (await engine.run()).new_optouts == []


async def test_throttling_and_server_errors_mid_sync_are_survived(start_sandbox, tmp_path: Path) -> None:
    server = start_sandbox(contacts=1600)
    async with synced_desk(server, tmp_path) as (desk, engine):
        sb = server.sandbox
        victims = subscribed(sb)[:30]
        for cid in victims:
            sb.contact_unsubscribes(cid, "mid-sync faults")
        sb.faults.update({"throttle_next": 1, "error_next": 2, "error_status": 502, "only": "^GET /v3/contacts"})
        result = await engine.run()
        assert sorted(result.new_optouts) == sorted(victims)
        assert desk.client.stats.retries >= 3


async def test_full_resync_drops_contacts_the_account_no_longer_has(server: SandboxServer, tmp_path: Path) -> None:
    async with synced_desk(server, tmp_path) as (desk, engine):
        phantom = {"contact_id": "99999999-9999-4999-8999-999999999999", "first_name": "Gone",
                   "email_address": {"address": "gone@example.com", "permission_to_send": "explicit"},
                   "created_at": "2020-01-01T00:00:00Z", "updated_at": "2020-01-01T00:00:00Z"}
        old = datetime.now(UTC) - timedelta(days=1)
        await desk.db.call(lambda s: s.upsert_contacts([phantom], old))
        before = await desk.db.call(lambda s: s.count())
        result = await engine.full_resync()
        assert result.forgotten == 1
        assert await desk.db.call(lambda s: s.get_contact(phantom["contact_id"])) is None
        assert await desk.db.call(lambda s: s.count()) == before - 1 == len(server.sandbox.contact_ids("all"))


async def test_an_opt_out_made_during_a_sync_is_reported_exactly_once(start_sandbox, tmp_path: Path) -> None:
    server = start_sandbox(contacts=2000)
    async with synced_desk(server, tmp_path) as (_desk, engine):
        sb = server.sandbox
        cid = subscribed(sb)[0]
        sb.faults.update({"latency_ms": 40})
        running = asyncio.ensure_future(engine.run())
        await asyncio.sleep(0.1)  # the sync is under way
        sb.contact_unsubscribes(cid, "clicked the link during a sync")
        during = await running
        sb.faults.update({"latency_ms": 0})
        after = await engine.run()
        assert (during.new_optouts + after.new_optouts).count(cid) == 1
        assert (await engine.run()).new_optouts == []


async def test_a_sync_killed_halfway_ends_with_the_same_cache(start_sandbox, tmp_path: Path) -> None:
    server = start_sandbox(contacts=1800)
    whole = Desk(make_client(server), tmp_path / "whole.sqlite3")
    broken = Desk(make_client(server), tmp_path / "broken.sqlite3")
    try:
        await SyncEngine(whole.db, whole.client).run()
        engine = SyncEngine(broken.db, broken.client)
        pages = 0
        task: asyncio.Task | None = None

        def progress(_p) -> None:  # type: ignore[no-untyped-def]
            nonlocal pages
            pages += 1
            if pages == 2 and task is not None:
                task.cancel()

        task = asyncio.ensure_future(engine.run(progress))
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await engine.run()

        def snapshot(s):  # type: ignore[no-untyped-def]
            rows = s.connection.execute(
                "SELECT c.contact_id, c.status, j.raw_json FROM contacts c JOIN contact_json j ON j.id = c.id "
                "ORDER BY c.contact_id").fetchall()
            members = s.connection.execute(
                "SELECT c.contact_id, m.list_id FROM memberships m JOIN contacts c ON c.id = m.contact_rowid "
                "ORDER BY 1, 2").fetchall()
            return rows, members

        assert await broken.db.call(snapshot) == await whole.db.call(snapshot)
    finally:
        await whole.close()
        await broken.close()


async def test_a_pc_clock_running_ahead_of_the_service_skips_no_change(start_sandbox, tmp_path: Path) -> None:
    """This PC's clock is 30 minutes ahead of Constant Contact's (more than the overlap): a bookmark on the PC's
    clock would ask for changes after a moment the service has not reached yet. Bookmarks follow the service's
    Date headers, so a rename and an opt-out made after the first sync are both caught by the next."""
    import time

    server = start_sandbox(clock=lambda: time.time() - 1800)
    async with synced_desk(server, tmp_path) as (desk, engine):
        sb = server.sandbox
        alive = subscribed(sb)
        renamed, opted_out = alive[0], alive[1]
        body = sb.contact_json(renamed)
        put = {"email_address": {"address": body["email_address"]["address"]}, "first_name": "Renamed",
               "last_name": body.get("last_name"), "update_source": "Account"}
        async with httpx.AsyncClient(headers={"Authorization": f"Bearer {TOKEN}"}) as http:
            assert (await http.put(f"{server.api_base}/contacts/{renamed}", json=put)).status_code == 200
        sb.contact_unsubscribes(opted_out, "Too many emails")
        result = await engine.run()
        assert result.new_optouts == [opted_out], result
        row = await desk.db.call(lambda s: s.get_contact(renamed))
        assert row.first_name == "Renamed"
        offset = desk.client.service_clock.offset
        assert offset is not None and abs(offset.total_seconds() + 1800) < 5, offset
