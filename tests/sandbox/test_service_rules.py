"""The rules where the real service bites (docs/sandbox.md, "Where the service bites"): an unsubscribe takes
the contact off every list, the service's own emails are recorded, the readings behind switches, links that
expire."""

from __future__ import annotations

import httpx
import pytest

from ccdesk.sandbox.state import Sandbox

from .conftest import FakeClock
from .helpers import one_contact

pytestmark = pytest.mark.asyncio


def on_lists(sandbox: Sandbox) -> str:
    return next(c for c in sandbox.contact_ids("active") if len(sandbox.contact_json(c)["list_memberships"]) >= 2)


def core_put(contact: dict, **email: object) -> dict:
    """A PUT with the core fields, the address and the change only (no sub-resources)."""
    body = {k: contact[k] for k in ("first_name", "last_name", "job_title", "company_name", "birthday_month",
                                    "birthday_day", "anniversary") if k in contact}
    return {**body, "email_address": {"address": contact["email_address"]["address"], **email},
            "update_source": "Account"}


async def emails(client: httpx.AsyncClient) -> list[dict]:
    r = await client.get("/_sandbox/emails")
    assert r.status_code == 200
    return r.json()["emails"]


async def test_seeded_unsubscribed_contacts_are_on_no_list(sandbox: Sandbox) -> None:
    ids = sandbox.contact_ids("unsubscribed")
    assert len(ids) > 10
    assert all(sandbox.contact_json(c)["list_memberships"] == [] for c in ids)


@pytest.mark.parametrize("how", ["put", "link"])
async def test_an_unsubscribe_takes_the_contact_off_every_list(client: httpx.AsyncClient, sandbox: Sandbox,
                                                              clock: FakeClock, how: str) -> None:
    cid = on_lists(sandbox)
    before = sandbox.contact_json(cid)
    clock.advance(60)
    if how == "put":
        r = await client.put(f"/v3/contacts/{cid}", json=core_put(before, permission_to_send="unsubscribed"))
    else:
        r = await client.post(f"/_sandbox/contacts/{cid}/unsubscribe", json={})
    assert r.status_code == 200
    after = sandbox.contact_json(cid)
    assert after["list_memberships"] == []
    assert after["email_address"]["permission_to_send"] == "unsubscribed"
    # still an email-status change: updated_after does not see it (the forum thread behind ccdesk)
    assert after["updated_at"] == before["updated_at"]
    assert after["taggings"] == before["taggings"] and after["notes"] == before["notes"]
    assert await emails(client) == []


async def test_account_putting_an_unsubscribed_contact_on_lists_sends_a_confirmation(
        client: httpx.AsyncClient, sandbox: Sandbox) -> None:
    """The old client's unsubscribe PUT echoed the lists it had read: the service mails the contact."""
    cid = on_lists(sandbox)
    before = sandbox.contact_json(cid)
    body = {**core_put(before, permission_to_send="unsubscribed"), "list_memberships": before["list_memberships"]}
    r = await client.put(f"/v3/contacts/{cid}", json=body)
    assert r.status_code == 200 and r.json()["list_memberships"] == []  # not added back
    sent = await emails(client)
    assert [(e["contact_id"], e["address"], e["kind"], sorted(e["lists"])) for e in sent] == [
        (cid, before["email_address"]["address"], "list_add_confirmation", sorted(before["list_memberships"]))]
    assert sent[0]["time"].endswith("Z")
    # the contact themself: no email; an empty list (what it is on) is not an add either
    cid2 = one_contact(sandbox, "unsubscribed")
    c2 = sandbox.contact_json(cid2)
    r = await client.put(f"/v3/contacts/{cid2}", json={**core_put(c2), "list_memberships": []})
    assert r.status_code == 200
    r = await client.put(f"/v3/contacts/{cid2}", json={**core_put(c2), "update_source": "Contact",
                                                       "list_memberships": [sandbox.list_id("VIP")]})
    assert r.status_code == 200 and r.json()["list_memberships"] == []
    assert len(await emails(client)) == 1
    assert (await client.delete("/_sandbox/emails")).status_code == 204
    assert await emails(client) == []


@pytest.mark.parametrize("state", ["pending_confirmation", "unsubscribed"])
async def test_resubscribe_sends_one_email_and_the_state_follows_the_switch(
        client: httpx.AsyncClient, sandbox: Sandbox, state: str) -> None:
    r = await client.post("/_sandbox/readings", json={"resubscribe_state": state})
    assert r.status_code == 200 and r.json()["resubscribe_state"] == state
    cid = one_contact(sandbox, "unsubscribed")
    vip = sandbox.list_id("VIP")
    assert (await client.put(f"/v3/contacts/resubscribe/{cid}", json={"list_ids": [vip]})).status_code == 200
    assert (await client.put(f"/v3/contacts/resubscribe/{cid}", json={"list_ids": [vip]})).status_code == 400
    e = sandbox.contact_json(cid)["email_address"]
    assert (e["permission_to_send"], e["confirm_status"]) == (state, "pending")
    assert (cid in sandbox.contact_ids("pending_confirmation")) == (state == "pending_confirmation")
    sent = await emails(client)
    assert [(x["contact_id"], x["kind"], x["lists"]) for x in sent] == [(cid, "resubscribe_confirmation", [vip])]
    # the account cannot undo the pending state; the contact's confirmation can
    c = sandbox.contact_json(cid)
    r = await client.put(f"/v3/contacts/{cid}", json=core_put(c, permission_to_send="explicit"))
    assert r.status_code == 400
    assert sandbox.confirm_resubscribe(cid)["email_address"]["permission_to_send"] == "explicit"


async def test_a_sign_up_form_ends_a_pending_resubscribe(client: httpx.AsyncClient, sandbox: Sandbox) -> None:
    cid = one_contact(sandbox, "unsubscribed")
    vip = sandbox.list_id("VIP")
    await client.put(f"/v3/contacts/resubscribe/{cid}", json={"list_ids": [vip]})
    address = sandbox.contact_json(cid)["email_address"]["address"]
    r = await client.post("/v3/contacts/sign_up_form", json={"email_address": address, "list_memberships": [vip]})
    assert r.status_code == 200
    e = sandbox.contact_json(cid)["email_address"]
    assert e["permission_to_send"] == "explicit" and "opt_out_source" not in e


async def test_readings_refuse_unknown_values(client: httpx.AsyncClient) -> None:
    for body in ({"resubscribe_state": "maybe"}, {"link_ttl_s": -1}, {"nope": 1},
                 {"contact_optout_overrides_account": "yes"}):
        r = await client.post("/_sandbox/readings", json=body)
        assert r.status_code == 400, body
    r = await client.get("/_sandbox/readings")
    assert r.json() == {"resubscribe_state": "pending_confirmation", "link_ttl_s": 0.0,
                        "contact_optout_overrides_account": False, "account_optout_readd": True,
                        "write_answers_with_subresources": True, "refresh_reuse_revokes": False,
                        "delete_moves_updated_at": True, "user_may_write": True}


@pytest.mark.parametrize("overrides", [False, True])
async def test_a_contacts_request_on_an_account_optout(client: httpx.AsyncClient, sandbox: Sandbox,
                                                       overrides: bool) -> None:
    await client.post("/_sandbox/readings", json={"contact_optout_overrides_account": overrides})
    cid = next(c for c in sandbox.contact_ids("unsubscribed")
               if sandbox.contact_json(c)["email_address"]["opt_out_source"] == "Account")
    before = sandbox.contact_json(cid)
    body = {**core_put(before, permission_to_send="unsubscribed", opt_out_reason="Asked by phone"),
            "update_source": "Contact"}
    r = await client.put(f"/v3/contacts/{cid}", json=body)
    assert r.status_code == 200
    e = r.json()["email_address"]
    assert e["opt_out_source"] == ("Contact" if overrides else "Account")
    assert e["opt_out_date"] == before["email_address"]["opt_out_date"]
    if overrides:
        assert e["opt_out_reason"] == "Asked by phone"


@pytest.mark.parametrize("path", ["/v3/contacts?limit=5&status=all", "/v3/contact_lists?limit=2"])
async def test_links_expire_when_switched_on(client: httpx.AsyncClient, clock: FakeClock, path: str) -> None:
    href = (await client.get(path)).json()["_links"]["next"]["href"]
    clock.advance(3600)
    assert (await client.get(href)).status_code == 200  # off by default: links never expire
    assert (await client.post("/_sandbox/readings", json={"link_ttl_s": 60})).status_code == 200
    fresh = (await client.get(path)).json()["_links"]["next"]["href"]
    clock.advance(59)
    assert (await client.get(fresh)).status_code == 200
    clock.advance(2)
    r = await client.get(fresh)
    assert r.status_code == 400 and "expired" in r.json()[0]["error_message"]
    assert (await client.get(href)).status_code == 400


async def test_a_refused_put_sends_no_email(client: httpx.AsyncClient, sandbox: Sandbox) -> None:
    cid = one_contact(sandbox, "unsubscribed")
    body = {**core_put(sandbox.contact_json(cid)), "list_memberships": [sandbox.list_id("VIP")],
            "taggings": ["00000000-0000-4000-8000-000000000000"]}  # an unknown tag: the PUT is refused
    r = await client.put(f"/v3/contacts/{cid}", json=body)
    assert r.status_code == 400
    assert await emails(client) == []
