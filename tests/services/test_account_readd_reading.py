"""ccdesk never adds anyone back, whichever reading of `opt_out_source: Account` the service takes (issue 19).

Under the spec's reading (the sandbox default) the account *may* put a contact it opted out itself back on lists
or make it mailable; a client that PUTs stale lists or a stale permission would quietly resubscribe people. Here
the desk does everything it can do to such contacts (a team opt-out, a second one, the contact's own request,
removing from lists, a resubscribe request, syncs) under both readings, and every one stays opted out and on
no list until the contact itself confirms."""

from __future__ import annotations

import pytest

from ccdesk.sandbox.server import SandboxServer
from ccdesk.services.desk import Desk


@pytest.mark.parametrize("readd", [True, False], ids=["spec-reading", "final-reading"])
async def test_the_desk_adds_nobody_back(desk: Desk, server: SandboxServer, readd: bool) -> None:
    sb = server.sandbox
    sb.set_readings({"account_optout_readd": readd})
    await desk.sync.run()
    on_lists = [c for c in sb.contact_ids("active") if len(sb.contact_json(c)["list_memberships"]) >= 2][:4]
    seeded = [c for c in sb.contact_ids("unsubscribed")
              if sb.contact_json(c)["email_address"]["opt_out_source"] == "Account"][:2]
    assert len(on_lists) == 4 and len(seeded) == 2
    lists_before = {c: sb.contact_json(c)["list_memberships"] for c in on_lists}

    await desk.actions.unsubscribe(on_lists, "Team decision", "Account")
    await desk.worker.drain()
    await desk.actions.unsubscribe([*on_lists, *seeded], "Again", "Account")  # nothing to do: skipped
    await desk.actions.unsubscribe(seeded[:1], "Wrote to us", "Contact")
    for cid in on_lists[:2]:  # stale local lists: the desk still believes they are members
        await desk.actions.remove_from_lists([cid], lists_before[cid][:1])
    await desk.actions.request_resubscribe(seeded[1], [sb.list_id("Newsletter")])
    await desk.worker.drain()
    await desk.sync.full_resync()

    for cid in [*on_lists, *seeded]:
        e = sb.contact_json(cid)["email_address"]
        assert e["permission_to_send"] in ("unsubscribed", "pending_confirmation"), (cid, e)
        assert sb.contact_json(cid)["list_memberships"] == [], cid
    assert [m["kind"] for m in sb.emails_json()] == ["resubscribe_confirmation"]  # no list-add confirmation
    rows = await desk.db.call(lambda s: [s.get_contact(c) for c in on_lists])
    assert all(str(r.status) == "unsubscribed" for r in rows)
