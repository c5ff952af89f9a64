"""A removal whose activity ends `failed` on Constant Contact's side (the sandbox's `fail_activities` fault): the
change is kept and tried again, not failed for good (removing a membership twice is harmless)."""

from __future__ import annotations

from pathlib import Path

from ccdesk.sandbox.server import SandboxServer
from ccdesk.services.desk import Desk
from ccdesk.store.rows import OutboxState
from tests.sandboxes import subscribed

from .conftest import make_client


async def test_a_failed_removal_activity_is_tried_again(server: SandboxServer, tmp_path: Path) -> None:
    sb = server.sandbox
    desk = Desk(make_client(server), tmp_path / "c.sqlite3")
    try:
        await desk.sync.run()
        cid = next(c for c in subscribed(sb) if sb.contact_json(c)["list_memberships"])
        list_id = sb.contact_json(cid)["list_memberships"][0]
        queued = await desk.actions.remove_from_lists([cid], [list_id])
        sb.fail_activities(1)
        [first] = await desk.worker.drain()
        assert not first.ok and not first.final and first.why == "temporary", first
        assert "failed" in first.message and "Nothing was lost" in first.message
        assert list_id in sb.contact_json(cid)["list_memberships"]  # nothing changed on the service
        [state] = [st for _i, _k, st in await desk.db.call(lambda s: s.outbox_states(queued.outbox_ids))]
        assert state is OutboxState.PENDING
        await desk.actions.send_waiting_now(queued.outbox_ids[0])
        [second] = await desk.worker.drain()
        assert second.ok, second
        names = await desk.db.call(lambda s: {row.list_id: row.name for row in s.lists(include_deleted=True)})
        assert second.message == f"Removed from 1 list: {names[list_id]}"  # the journal says which list
        assert list_id not in sb.contact_json(cid)["list_memberships"]
    finally:
        await desk.close()
