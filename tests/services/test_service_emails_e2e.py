"""End to end over real HTTP (desk services → outbox → sandbox under uvicorn, a real SQLite cache): unsubscribe,
remove from lists and resubscribe on contacts with every sub-resource, then `GET /_sandbox/emails` must hold
only the resubscribe emails that were asked for: no confirmation email from a PUT that put an unsubscribed
contact back on a list, and no second resubscribe email. Under both readings of the resubscribe state."""

from __future__ import annotations

import httpx
import pytest

from ccdesk.sandbox.server import SandboxServer
from ccdesk.services.desk import Desk
from ccdesk.services.validation import InvalidInput

from .conftest import BOTH_READINGS

pytestmark = BOTH_READINGS

SUB_RESOURCES = ("custom_fields", "phone_numbers", "street_addresses", "list_memberships", "notes", "taggings")


def every_sub_resource(server: SandboxServer, n: int) -> list[str]:
    sb = server.sandbox
    found = [cid for cid in sb.contact_ids(status="active")
             if all(sb.contact_json(cid).get(k) for k in SUB_RESOURCES)]
    assert len(found) >= n, "the seed has too few contacts with every sub-resource"
    return found[:n]


async def test_only_the_resubscribe_emails_asked_for_are_sent(desk: Desk, server: SandboxServer) -> None:
    sb = server.sandbox
    a, b, c, d, e, f = every_sub_resource(server, 6)
    for cid in (d, e):  # opted out by clicking a link in an email, long before
        sb.contact_unsubscribes(cid, "Too many emails")
    before = {cid: sb.contact_json(cid) for cid in (a, b, c, d, e, f)}
    await desk.sync.run()
    lists_of = {cid: before[cid]["list_memberships"] for cid in before}
    vip = sb.list_id("VIP")

    await desk.actions.unsubscribe([a], "Asked by phone", "Account")
    await desk.actions.unsubscribe([b, d], "Wrote to us", "Contact")  # d: already unsubscribed by the contact
    await desk.actions.remove_from_lists([c], lists_of[c][:1])
    await desk.actions.remove_from_lists([a, f], lists_of[f][:1])  # a is being unsubscribed meanwhile
    await desk.actions.request_resubscribe(d, [vip])
    outcomes = await desk.worker.drain()
    assert all(o.ok for o in outcomes), [o.message for o in outcomes]
    # the unsubscribed contacts are then taken off lists again (a selection, by activity)
    await desk.actions.remove_from_lists([a, b, c], [lists_of[a][-1], lists_of[b][-1]])
    assert all(o.ok for o in await desk.worker.drain())

    async with httpx.AsyncClient() as http:
        emails = (await http.get(f"{server.base_url}/_sandbox/emails")).json()["emails"]
    assert [(x["contact_id"], x["kind"], x["lists"]) for x in emails] == [(d, "resubscribe_confirmation", [vip])]
    assert emails[0]["address"] == before[d]["email_address"]["address"]

    after = {cid: sb.contact_json(cid) for cid in before}
    for cid in (a, b):
        assert after[cid]["email_address"]["permission_to_send"] == "unsubscribed"
        assert after[cid]["list_memberships"] == []
    assert after[c]["list_memberships"] == [x for x in lists_of[c] if x not in (lists_of[c][0], lists_of[a][-1],
                                                                                  lists_of[b][-1])]
    assert lists_of[f][0] not in after[f]["list_memberships"]
    assert after[d]["email_address"]["permission_to_send"] == sb.config.resubscribe_state
    for cid in before:  # every other sub-resource is as it was
        for key in ("custom_fields", "phone_numbers", "street_addresses", "notes", "taggings"):
            assert after[cid][key] == before[cid][key], (cid, key)
    # A second request is refused before anything is sent; the one email stays the only one.
    row = await desk.db.call(lambda s: s.get_contact(d))
    assert str(row.status) == "unsubscribed" and row.confirm_status == "pending"
    with pytest.raises(InvalidInput, match="already sent; only the contact can finish it"):
        await desk.actions.request_resubscribe(d, [vip])
    assert await desk.worker.drain() == []
    assert sb.emails_json() == emails
