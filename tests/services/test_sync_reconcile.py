"""Sync where the real service bites: paging links that expire (both passes and the full pull start again
from their bookmark), and email-only changes `updated_after` cannot see (reconciled on each sync). Every
test runs under both readings of the state after a resubscribe request."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

from ccdesk.sandbox.server import SandboxServer
from ccdesk.services.cache_pull import NEXT_HREF
from ccdesk.services.desk import Desk
from ccdesk.services.reconcile import LAST_COMPARE
from ccdesk.services.sync import CHANGES, OPTOUTS, SyncEngine

from .conftest import BOTH_READINGS, TOKEN, make_client

pytestmark = BOTH_READINGS


async def _synced(server: SandboxServer, tmp_path: Path) -> tuple[Desk, SyncEngine]:
    desk = Desk(make_client(server), tmp_path / "c.sqlite3")
    engine = SyncEngine(desk.db, desk.client)
    await engine.run()
    return desk, engine


async def _stale_link(desk: Desk, server: SandboxServer) -> str:
    """A next-page link, then links made older than the sandbox's lifetime for them."""
    page = await anext(desk.client.iter_contact_pages(status="all", limit=5))
    assert page.next_href
    server.sandbox.set_readings({"link_ttl_s": 0.05})
    await asyncio.sleep(0.1)
    return page.next_href


async def test_a_refused_stored_link_restarts_both_passes_from_their_checkpoint(
        server: SandboxServer, tmp_path: Path) -> None:
    desk, engine = await _synced(server, tmp_path)
    try:
        sb = server.sandbox
        alive = [c for c in sb.contact_ids(status="active")]
        opted_out_then_deleted, renamed = alive[5], alive[6]
        sb.contact_unsubscribes(opted_out_then_deleted, "Stop")
        headers = {"Authorization": f"Bearer {TOKEN}"}
        body = sb.contact_json(renamed)
        put = {"email_address": {"address": body["email_address"]["address"]}, "first_name": "Renamed",
               "last_name": body.get("last_name"), "update_source": "Account"}
        async with httpx.AsyncClient(headers=headers) as http:
            assert (await http.put(f"{server.api_base}/contacts/{renamed}", json=put)).status_code == 200
            assert (await http.delete(f"{server.api_base}/contacts/{opted_out_then_deleted}")).status_code == 204
        href = await _stale_link(desk, server)
        for p in (OPTOUTS, CHANGES):  # both passes died after a page, long ago
            await desk.db.call(lambda s, p=p: s.set_state(p.next_href, href))
        result = await engine.run()
        assert result.links_refused == 2 and not result.fallback_used
        assert result.new_optouts == [opted_out_then_deleted]  # a status=unsubscribed fallback would miss it
        assert (await desk.db.call(lambda s: s.get_contact(renamed))).first_name == "Renamed"
        for p in (OPTOUTS, CHANGES):
            assert await desk.db.call(lambda s, p=p: s.get_state(p.next_href)) is None
        assert (await engine.run()).links_refused == 0
    finally:
        await desk.close()


async def test_a_refused_stored_link_restarts_the_full_pull(server: SandboxServer, tmp_path: Path) -> None:
    desk = Desk(make_client(server), tmp_path / "c.sqlite3")
    try:
        href = await _stale_link(desk, server)
        await desk.db.call(lambda s: s.set_state(NEXT_HREF, href))  # a pull that died after a page
        result = await desk.sync.run()  # the full pull, one page of 500: no link to expire
        assert result.full_pull and result.contacts_read == 300
        assert await desk.db.call(lambda s: s.count()) == 300
        assert await desk.db.call(lambda s: s.get_state(NEXT_HREF)) is None
    finally:
        await desk.close()


async def test_email_only_changes_are_caught_by_one_sync(server: SandboxServer, tmp_path: Path) -> None:
    """A confirmed resubscribe (asked from this desk), a sign-up form opt-in and a resubscribe email sent from
    Constant Contact's web UI: none moves the contact's updated_at."""
    desk, engine = await _synced(server, tmp_path)
    try:
        sb = server.sandbox
        unsub = sb.contact_ids(status="unsubscribed")
        confirmed, signed_up, from_web_ui = unsub[0], unsub[1], unsub[2]
        vip = sb.list_id("VIP")
        await desk.actions.request_resubscribe(confirmed, [vip])
        assert [o.ok for o in await desk.worker.drain()] == [True]
        sb.confirm_resubscribe(confirmed)
        headers = {"Authorization": f"Bearer {TOKEN}"}
        async with httpx.AsyncClient(headers=headers) as http:
            address = sb.contact_json(signed_up)["email_address"]["address"]
            r = await http.post(f"{server.api_base}/contacts/sign_up_form",
                                json={"email_address": address, "list_memberships": [vip]})
            assert r.status_code == 200
            r = await http.put(f"{server.api_base}/contacts/resubscribe/{from_web_ui}", json={"list_ids": [vip]})
            assert r.status_code == 200
        # the full pull counts as a comparison; two hours later the next one is due
        assert await desk.db.call(lambda s: s.get_state(LAST_COMPARE)) is not None
        await desk.db.call(lambda s: s.set_state(LAST_COMPARE, None))
        result = await engine.run()
        for cid in (confirmed, signed_up):
            row = await desk.db.call(lambda s, cid=cid: s.get_contact(cid))
            assert str(row.status) == "mailable" and row.permission_to_send == "explicit", cid
        web = await desk.db.call(lambda s: s.get_contact(from_web_ui))
        assert str(web.status) == "unsubscribed"  # not mailable while it waits
        if sb.config.resubscribe_state == "pending_confirmation":  # it left the unsubscribed set: seen
            assert web.confirm_status == "pending"
            assert from_web_ui in result.reconciled
        # the next sync within the interval re-reads only the contacts still waiting for a confirmation
        sb.reset_request_counts()
        again = await engine.run()
        waiting = await desk.db.call(lambda s: s.awaiting_confirmation_ids())
        assert again.reconcile_requests == len(waiting)
        assert sb.requests_matching("GET", "/v3/contacts/") - sb.requests_matching("GET", "/v3/contacts/counts") \
            == len(waiting)
        await desk.db.call(lambda s: s.set_state(LAST_COMPARE, None))  # the interval has passed
        later = await engine.run()
        n_unsub = len(sb.contact_ids(status="unsubscribed"))
        # pages of status=unsubscribed, the waiting ones, and one count of the deleted contacts (no deletes: no list)
        assert later.reconcile_requests == -(-n_unsub // 500) + len(waiting) + 1
    finally:
        await desk.close()


@pytest.mark.parametrize("moves", [True, False], ids=["delete-moves-updated_at", "delete-keeps-updated_at"])
async def test_a_delete_is_seen_whatever_it_does_to_updated_at(start_sandbox, tmp_path: Path, moves: bool) -> None:
    """Where a delete leaves `updated_at` as it was, no `updated_after` pass sees it: the reconcile's count of
    the deleted contacts differs from the cache's, the deleted ones are listed, and the cache marks it deleted
    (at most `interval` late). Where it moves it, the changes pass sees it first and the count agrees."""
    server = start_sandbox(delete_moves_updated_at=moves)
    sb = server.sandbox
    desk, engine = await _synced(server, tmp_path)
    try:
        gone = sb.contact_ids(status="active")[0]
        async with httpx.AsyncClient(headers={"Authorization": f"Bearer {TOKEN}"}) as http:
            assert (await http.delete(f"{server.api_base}/contacts/{gone}")).status_code == 204
        await engine.run()  # within the interval: only the passes
        row = await desk.db.call(lambda s: s.get_contact(gone))
        assert (row.deleted_at is not None) is moves
        await desk.db.call(lambda s: s.set_state(LAST_COMPARE, None))  # the interval has passed
        result = await engine.run()
        row = await desk.db.call(lambda s: s.get_contact(gone))
        assert row.deleted_at is not None and str(row.status) in ("deleted", "unsubscribed")
        assert sb.requests_matching("GET", "/v3/contacts") > 0
        listed = result.reconcile_requests - 1 - -(-len(sb.contact_ids(status="unsubscribed")) // 500)
        assert listed == (0 if moves else 1), result  # the deleted ones listed only when the counts differed
    finally:
        await desk.close()


async def test_a_refused_link_while_comparing_lists_the_unsubscribed_again(start_sandbox, tmp_path: Path) -> None:
    server = start_sandbox(contacts=4500)  # more than 500 unsubscribed: the listing has a next link
    desk, engine = await _synced(server, tmp_path)
    try:
        sb = server.sandbox
        assert len(sb.contact_ids(status="unsubscribed")) > 500
        real = desk.client.iter_contact_pages
        listings = 0

        async def slow_first_listing(**kw):  # the first listing dawdles after its first page
            nonlocal listings
            listings += 1
            async for page in real(**kw):
                yield page
                if listings == 1 and kw.get("status") == "unsubscribed":
                    await asyncio.sleep(0.2)

        desk.client.iter_contact_pages = slow_first_listing  # type: ignore[method-assign]
        sb.set_readings({"link_ttl_s": 0.1})
        confirmed = sb.contact_ids(status="unsubscribed")[-1]  # on a later page
        vip = sb.list_id("VIP")
        await desk.client.request_resubscribe(confirmed, [vip])
        sb.confirm_resubscribe(confirmed)
        await desk.db.call(lambda s: s.set_state(LAST_COMPARE, None))
        rec = await engine.reconciler.run()
        assert listings == 2 and confirmed in rec.reread
        row = await desk.db.call(lambda s: s.get_contact(confirmed))
        assert row.permission_to_send == "explicit"
    finally:
        await desk.close()
