"""Whatever a PUT answers with (every sub-resource, or none: the sandbox's `write_answers_with_subresources`
reading, docs/sandbox.md), an unsubscribed contact's cached copy has no lists (unsubscribing takes a contact off
every list), as the service's own copy has none."""

from __future__ import annotations

from pathlib import Path

import pytest

from ccdesk.sandbox.server import SandboxServer
from ccdesk.services.desk import Desk
from tests.sandboxes import subscribed

from .conftest import make_client


@pytest.mark.parametrize("with_subresources", [True, False], ids=["full-answer", "bare-answer"])
async def test_an_unsubscribed_contacts_cached_lists_follow_the_service(start_sandbox, tmp_path: Path,
                                                                        with_subresources: bool) -> None:
    server: SandboxServer = start_sandbox(write_answers_with_subresources=with_subresources)
    sb = server.sandbox
    desk = Desk(make_client(server), tmp_path / "c.sqlite3")
    try:
        await desk.sync.run()
        cid = next(c for c in subscribed(sb) if sb.contact_json(c).get("list_memberships"))
        await desk.actions.unsubscribe([cid], "Asked by phone", "Contact")
        [outcome] = await desk.worker.drain()
        assert outcome.ok, outcome
        assert sb.contact_json(cid)["list_memberships"] == []  # the service took it off every list
        row = await desk.db.call(lambda s: s.get_contact(cid))
        assert str(row.status) == "unsubscribed" and row.list_ids == ()
    finally:
        await desk.close()
