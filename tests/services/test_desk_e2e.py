"""The services against the sandbox over real HTTP: full pull, the outbox and its failure paths."""

from __future__ import annotations

import asyncio
import copy
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from ccdesk.sandbox.server import SandboxServer
from ccdesk.services.cache_pull import NEXT_HREF
from ccdesk.services.desk import Desk
from ccdesk.services.outbox import ALREADY_SENT
from ccdesk.services.validation import InvalidInput
from ccdesk.store.rows import OutboxState

from .conftest import BOTH_READINGS, TOKEN, make_client

pytestmark = BOTH_READINGS


def sandbox_of(server: SandboxServer):
    return server.app.state.sandbox


def mailable_with_lists(server: SandboxServer) -> str:
    sb = sandbox_of(server)
    for cid in sb.contact_ids(status="active"):
        c = sb.contact_json(cid)
        if c["email_address"]["permission_to_send"] in ("explicit", "implicit") and c.get("list_memberships"):
            return cid
    raise AssertionError("seed has no mailable contact on a list")


async def test_full_pull_caches_every_contact_once_with_deleted_ones(desk: Desk, server: SandboxServer) -> None:
    result = await desk.sync.run()
    sb = sandbox_of(server)
    everyone = sb.contact_ids(status="all")
    assert result.full_pull and result.contacts_read == len(everyone) == 300
    assert await desk.db.call(lambda s: s.count()) == 300
    deleted = sb.contact_ids(status="deleted")
    counts = await desk.db.call(lambda s: s.status_counts())
    assert counts["deleted"] + sum(1 for cid in deleted if sb.contact_json(cid)["email_address"]
                                   ["permission_to_send"] == "unsubscribed") >= len(deleted)
    unsub = sb.contact_ids(status="unsubscribed")
    assert counts["unsubscribed"] >= len(unsub)
    live_lists = [lst for lst in sb.lists() if not lst.get("deleted_at")]
    assert len(await desk.db.call(lambda s: s.lists())) == len(live_lists)


async def test_cancelled_pull_resumes_from_the_stored_page(start_sandbox, tmp_path: Path) -> None:
    server = start_sandbox(contacts=1234)
    desk = Desk(make_client(server), tmp_path / "c.sqlite3")
    try:
        pages_seen = 0
        task: asyncio.Task | None = None

        def progress(_p) -> None:
            nonlocal pages_seen
            pages_seen += 1
            if pages_seen == 2 and task is not None:
                task.cancel()

        task = asyncio.ensure_future(desk.sync.run(progress))
        with pytest.raises(asyncio.CancelledError):
            await task
        assert await desk.db.call(lambda s: s.count()) == 1000
        assert await desk.db.call(lambda s: s.get_state(NEXT_HREF))
        sandbox_of(server).reset_request_counts()
        result = await desk.sync.run()
        assert result.full_pull and result.contacts_read == 234  # resumed: the 1000 stored are not read again
        assert sandbox_of(server).requests_matching("GET", "/v3/contacts") == 1
        assert await desk.db.call(lambda s: s.count()) == 1234
        assert await desk.db.call(lambda s: s.get_state(NEXT_HREF)) is None
    finally:
        await desk.close()


def _strip_volatile(contact: dict) -> dict:
    """Without what an unsubscribe owns (an unsubscribe takes the contact off every list, the service's rule)."""
    c = copy.deepcopy(contact)
    c.pop("update_source", None)
    c.pop("list_memberships", None)
    email = c["email_address"]
    for key in ("permission_to_send", "opt_out_reason", "opt_out_source", "opt_out_date", "updated_at",
                "confirm_status"):
        email.pop(key, None)
    return c


async def test_unsubscribe_through_the_outbox_changes_nothing_else(desk: Desk, server: SandboxServer) -> None:
    await desk.sync.run()
    sb = sandbox_of(server)
    cid = mailable_with_lists(server)
    before = sb.contact_json(cid)
    queued = await desk.actions.unsubscribe([cid], "Asked by phone", "Account")
    assert len(queued.outbox_ids) == 1
    outcomes = await desk.worker.drain()
    assert [o.ok for o in outcomes] == [True]
    after = sb.contact_json(cid)
    assert after["email_address"]["permission_to_send"] == "unsubscribed"
    assert after["email_address"]["opt_out_reason"] == "Asked by phone"
    assert after["email_address"]["opt_out_source"] == "Account"
    assert _strip_volatile(after) == _strip_volatile(before)
    assert after["list_memberships"] == []
    assert sb.emails_json() == []  # no confirmation email: the PUT carried no lists
    row = await desk.db.call(lambda s: s.get_contact(cid))
    assert str(row.status) == "unsubscribed"
    journal = await desk.db.call(lambda s: s.audit(cid))
    assert {a.outcome for a in journal} >= {"queued", "sent"}


async def test_unsubscribing_a_contact_deleted_meanwhile_fails_and_does_not_restore_it(
        desk: Desk, server: SandboxServer) -> None:
    """Found by the property suite: the outbox's PUT restored a contact deleted in Constant Contact after our
    last sync. Now the item fails with a plain message and the contact stays as it was."""
    await desk.sync.run()
    sb = sandbox_of(server)
    cid = mailable_with_lists(server)
    await desk.actions.unsubscribe([cid], "Asked by phone", "Account")
    async with httpx.AsyncClient(headers={"Authorization": f"Bearer {TOKEN}"}) as other_user:
        assert (await other_user.delete(f"{server.api_base}/contacts/{cid}")).status_code == 204
    before = sb.contact_json(cid)
    outcomes = await desk.worker.drain()
    assert len(outcomes) == 1 and outcomes[0].final and not outcomes[0].ok
    assert "deleted in Constant Contact" in outcomes[0].message
    assert sb.contact_json(cid) == before
    row = await desk.db.call(lambda s: s.get_contact(cid))  # the window no longer says "can be mailed"
    assert row is not None and str(row.status) == "deleted" and row.list_ids == ()  # as the service has it


async def test_after_a_removal_from_lists_the_cache_shows_the_contact_as_it_is_now(
        desk: Desk, server: SandboxServer) -> None:
    """The contact unsubscribed itself (its email's link) after our last sync: once the removal is done the
    window says so, instead of "can be mailed" until the next sync."""
    await desk.sync.run()
    sb = sandbox_of(server)
    cid = mailable_with_lists(server)
    some_list = sb.contact_json(cid)["list_memberships"][0]
    sb.contact_unsubscribes(cid, "clicked the link")
    await desk.actions.remove_from_lists([cid], [some_list])
    outcomes = await desk.worker.drain()
    assert [o.ok for o in outcomes] == [True]
    row = await desk.db.call(lambda s: s.get_contact(cid))
    assert row is not None and str(row.status) == "unsubscribed" and some_list not in row.list_ids


async def test_second_unsubscribe_of_the_same_contact_is_skipped(desk: Desk, server: SandboxServer) -> None:
    await desk.sync.run()
    cid = mailable_with_lists(server)
    first = await desk.actions.unsubscribe([cid], "x", "Contact")
    second = await desk.actions.unsubscribe([cid], "x", "Contact")
    assert first.outbox_ids and not second.outbox_ids and second.skipped == [cid]


async def test_invalid_reason_is_refused_before_anything_is_queued(desk: Desk, server: SandboxServer) -> None:
    await desk.sync.run()
    cid = mailable_with_lists(server)
    with pytest.raises(InvalidInput):
        await desk.actions.unsubscribe([cid], "x" * 256, "Contact")
    assert await desk.db.call(lambda s: s.pending()) == []


async def test_server_errors_keep_the_action_queued_and_it_goes_through_later(
        desk: Desk, server: SandboxServer) -> None:
    await desk.sync.run()
    sb = sandbox_of(server)
    cid = mailable_with_lists(server)
    sb.faults.update({"error_next": 50, "error_status": 503})
    await desk.actions.unsubscribe([cid], "Asked by email", "Contact")
    outcomes = await desk.worker.drain()
    assert len(outcomes) == 1 and not outcomes[0].ok and not outcomes[0].final
    [item] = await desk.db.call(lambda s: s.pending())
    assert item.state == OutboxState.PENDING and item.next_attempt_at > datetime.now(UTC)
    assert sb.contact_json(cid)["email_address"]["permission_to_send"] != "unsubscribed"
    sb.faults.update({"error_next": 0})
    later = datetime.now(UTC) + timedelta(hours=1)
    item_after = await desk.db.call(lambda s: s.next_due(later))
    assert item_after is not None
    await desk.db.call(lambda s: s.mark_retry(item_after.id, "test: due now", datetime.now(UTC)))
    outcomes = await desk.worker.drain()
    assert [o.ok for o in outcomes] == [True]
    assert sb.contact_json(cid)["email_address"]["permission_to_send"] == "unsubscribed"


async def test_expired_sign_in_pauses_the_outbox_and_keeps_the_action(desk: Desk, server: SandboxServer) -> None:
    await desk.sync.run()
    sb = sandbox_of(server)
    cid = mailable_with_lists(server)
    told: list[str] = []
    desk.worker.sign_in_required.connect(told.append)
    sb.tokens.expire_all()
    await desk.actions.unsubscribe([cid], "Asked by phone", "Contact")
    outcomes = await desk.worker.drain()
    assert len(outcomes) == 1 and not outcomes[0].final
    assert told and desk.worker.paused_reason
    assert len(await desk.db.call(lambda s: s.pending())) == 1
    assert sb.contact_json(cid)["email_address"]["permission_to_send"] != "unsubscribed"


async def test_refused_action_fails_with_the_server_message(desk: Desk, server: SandboxServer) -> None:
    await desk.sync.run()
    sb = sandbox_of(server)
    cid = sb.contact_ids(status="unsubscribed")[0]
    # Meanwhile the contact rejoined by themselves (a resubscribe email from Constant Contact's own UI, confirmed):
    # they are no longer unsubscribed, so the service refuses; that is final, with its message.
    await desk.client.request_resubscribe(cid, [sb.lists()[0]["list_id"]])
    sb.confirm_resubscribe(cid)
    await desk.actions.request_resubscribe(cid, [sb.lists()[0]["list_id"]])
    outcomes = await desk.worker.drain()
    assert len(outcomes) == 1 and outcomes[0].final and not outcomes[0].ok
    failed = await desk.db.call(lambda s: s.outbox_items("failed"))
    assert len(failed) == 1 and "not unsubscribed" in (failed[0].last_error or "")


async def test_resubscribe_already_pending_counts_as_sent(desk: Desk, server: SandboxServer) -> None:
    """The one resubscribe email already went out (an earlier attempt whose answer was lost, or from Constant
    Contact's own UI): the request is done and recorded, so ccdesk does not offer it again."""
    await desk.sync.run()
    sb = sandbox_of(server)
    cid = sb.contact_ids(status="unsubscribed")[0]
    await desk.client.request_resubscribe(cid, [sb.lists()[0]["list_id"]])
    await desk.actions.request_resubscribe(cid, [sb.lists()[0]["list_id"]])
    outcomes = await desk.worker.drain()
    assert [o.ok for o in outcomes] == [True] and outcomes[0].message == ALREADY_SENT
    assert await desk.db.call(lambda s: s.resubscribe_requested_at(cid)) is not None
    assert sb.applied_writes[f"PUT /v3/contacts/resubscribe/{cid}"] == 1  # the contact was read first
    row = await desk.db.call(lambda s: s.get_contact(cid))
    assert str(row.status) == "unsubscribed"  # not mailable while it waits, in either reading


async def test_resubscribe_whose_answer_was_lost_is_not_reported_as_refused(desk: Desk, server: SandboxServer) -> None:
    await desk.sync.run()
    sb = sandbox_of(server)
    cid = sb.contact_ids(status="unsubscribed")[0]
    await desk.actions.request_resubscribe(cid, [sb.lists()[0]["list_id"]])
    sb.faults.update({"drop_after_next": 1, "only": "^PUT /v3/contacts/resubscribe/"})  # sent, answer lost
    outcomes = await desk.worker.drain()
    assert [o.ok for o in outcomes] == [True], outcomes
    assert sb.contact_json(cid)["email_address"]["confirm_status"] == "pending"
    assert sb.applied_writes[f"PUT /v3/contacts/resubscribe/{cid}"] == 1


async def test_resubscribe_request_is_recorded_once(desk: Desk, server: SandboxServer) -> None:
    await desk.sync.run()
    sb = sandbox_of(server)
    cid = sb.contact_ids(status="unsubscribed")[0]
    lid = sb.lists()[0]["list_id"]
    await desk.actions.request_resubscribe(cid, [lid])
    assert [o.ok for o in await desk.worker.drain()] == [True]
    assert await desk.db.call(lambda s: s.resubscribe_requested_at(cid)) is not None
    assert sb.contact_json(cid)["email_address"]["permission_to_send"] == sb.config.resubscribe_state
    with pytest.raises(InvalidInput, match="already sent; only the contact can finish it"):
        await desk.actions.request_resubscribe(cid, [lid])


async def test_remove_from_lists_keeps_the_contact_subscribed(desk: Desk, server: SandboxServer) -> None:
    await desk.sync.run()
    sb = sandbox_of(server)
    cid = mailable_with_lists(server)
    before = sb.contact_json(cid)
    drop = before["list_memberships"][0]
    await desk.actions.remove_from_lists([cid], [drop])
    assert [o.ok for o in await desk.worker.drain()] == [True]
    after = sb.contact_json(cid)
    assert drop not in after["list_memberships"]
    assert after["email_address"]["permission_to_send"] == before["email_address"]["permission_to_send"]
    assert {k: v for k, v in after.items() if k not in ("list_memberships", "updated_at", "update_source")} == \
        {k: v for k, v in before.items() if k not in ("list_memberships", "updated_at", "update_source")}


async def test_lookup_of_an_address_not_in_the_cache(desk: Desk, server: SandboxServer) -> None:
    sb = sandbox_of(server)
    cid = sb.contact_ids()[5]
    email = sb.contact_json(cid)["email_address"]["address"]
    row = await desk.lookup_email(email.upper())
    assert row is not None and row.contact_id == cid
    assert await desk.lookup_email("nobody-here@example.org") is None


async def test_bulk_remove_uses_activities_of_at_most_500(start_sandbox, tmp_path: Path) -> None:
    server = start_sandbox(contacts=1500)
    sb = sandbox_of(server)
    desk = Desk(make_client(server), tmp_path / "c.sqlite3")
    try:
        await desk.sync.run()
        lid = sb.lists()[0]["list_id"]
        members = [r.contact_id for r in await desk.db.call(lambda s: s.search("", None, lid, limit=2000))]
        assert len(members) > 500, "the seed should put more than 500 contacts on the first list"
        progress: list[int] = []
        desk.worker.progress.connect(lambda _item, pct: progress.append(pct))
        queued = await desk.actions.remove_from_lists(members, [lid])
        assert len(queued.outbox_ids) == -(-len(members) // 500)
        outcomes = await desk.worker.drain()
        assert all(o.ok for o in outcomes)
        assert sb.requests_matching("POST", "/v3/activities/remove_list_memberships") == len(queued.outbox_ids)
        for cid in members[:20] + members[-20:]:
            contact = sb.contact_json(cid)
            assert lid not in contact["list_memberships"]
            assert contact["email_address"]["permission_to_send"] != "unsubscribed" or cid in \
                sb.contact_ids(status="unsubscribed")
        assert await desk.db.call(lambda s: s.count("", None, lid)) == 0
        assert progress and progress[-1] == 100
    finally:
        await desk.close()
