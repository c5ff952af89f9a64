"""PUT /contacts/resubscribe/{id} (once, confirmation) and DELETE /contacts/{id} (soft delete)."""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx
import pytest

from ccdesk.sandbox import errors
from ccdesk.sandbox.app import SandboxConfig
from ccdesk.sandbox.state import RESUBSCRIBE_STATES, Sandbox

from .conftest import TOKEN, FakeClock
from .helpers import error_keys, one_contact

pytestmark = pytest.mark.asyncio


@pytest.fixture(params=RESUBSCRIBE_STATES)
def config(request: pytest.FixtureRequest, clock: FakeClock) -> SandboxConfig:
    """Every test here runs under both readings of the state after a resubscribe request."""
    return SandboxConfig(contacts=200, seed=1, rate_limit=0, tokens=[TOKEN], clock=clock,
                         resubscribe_state=request.param)


async def test_resubscribe_once_then_400(client: httpx.AsyncClient, sandbox: Sandbox) -> None:
    cid = one_contact(sandbox, "unsubscribed")
    lists = {"list_ids": [sandbox.list_id("Newsletter")]}
    r = await client.put(f"/v3/contacts/resubscribe/{cid}", json=lists)
    assert r.status_code == 200 and r.content == b""
    c = sandbox.contact_json(cid)
    # not mailable until the contact confirms, in either reading
    assert c["email_address"]["permission_to_send"] == sandbox.config.resubscribe_state
    assert c["email_address"]["confirm_status"] == "pending"
    assert c["email_address"]["opt_out_source"]  # the opt-out stands until then
    assert cid not in sandbox.contact_ids("active")
    r = await client.put(f"/v3/contacts/resubscribe/{cid}", json=lists)
    assert r.status_code == 400
    assert r.json() == errors.RESUBSCRIBE_ALREADY_SENT.body()


async def test_resubscribe_needs_an_unsubscribed_contact(client: httpx.AsyncClient, sandbox: Sandbox) -> None:
    cid = one_contact(sandbox, "active")
    r = await client.put(f"/v3/contacts/resubscribe/{cid}", json={"list_ids": [sandbox.list_id("Newsletter")]})
    assert r.status_code == 400
    assert r.json() == errors.RESUBSCRIBE_NOT_UNSUBSCRIBED.body()


@pytest.mark.parametrize("body", [{}, {"list_ids": []}, {"list_ids": ["nope"]},
                                  {"list_ids": ["00000000-0000-4000-8000-000000000000"]}])
async def test_resubscribe_body_validation(client: httpx.AsyncClient, sandbox: Sandbox, body: object) -> None:
    cid = one_contact(sandbox, "unsubscribed")
    r = await client.put(f"/v3/contacts/resubscribe/{cid}", json=body)
    assert r.status_code == 400
    # a refused request does not use up the one resubscribe email
    r = await client.put(f"/v3/contacts/resubscribe/{cid}", json={"list_ids": [sandbox.list_id("VIP")]})
    assert r.status_code == 200


async def test_resubscribe_unknown_contact_404(client: httpx.AsyncClient, sandbox: Sandbox) -> None:
    r = await client.put("/v3/contacts/resubscribe/00000000-0000-4000-8000-000000000000",
                         json={"list_ids": [sandbox.list_id("VIP")]})
    assert r.status_code == 404


async def test_confirmation_opts_in_and_adds_lists(client: httpx.AsyncClient, sandbox: Sandbox,
                                                   clock: FakeClock) -> None:
    cid = one_contact(sandbox, "unsubscribed")
    before = sandbox.contact_json(cid)
    vip = sandbox.list_id("VIP")
    assert (await client.put(f"/v3/contacts/resubscribe/{cid}", json={"list_ids": [vip]})).status_code == 200
    clock.advance(3600)
    after = sandbox.confirm_resubscribe(cid)
    e = after["email_address"]
    assert e["permission_to_send"] == "explicit" and e["opt_in_source"] == "Contact"
    assert e["confirm_status"] == "confirmed"
    assert not {"opt_out_date", "opt_out_source", "opt_out_reason"} & set(e)
    assert e["updated_at"] > before["email_address"]["updated_at"]
    assert vip in after["list_memberships"]
    assert after["updated_at"] == before["updated_at"]  # an email-status change
    # still only once, even after confirming and unsubscribing again
    sandbox.contact_unsubscribes(cid, "changed my mind")
    r = await client.put(f"/v3/contacts/resubscribe/{cid}", json={"list_ids": [vip]})
    assert r.status_code == 400


async def test_confirm_by_control_endpoint(client: httpx.AsyncClient, sandbox: Sandbox) -> None:
    cid = one_contact(sandbox, "unsubscribed")
    r = await client.post(f"/_sandbox/contacts/{cid}/confirm_resubscribe")
    assert r.status_code == 400  # nothing pending
    await client.put(f"/v3/contacts/resubscribe/{cid}", json={"list_ids": [sandbox.list_id("VIP")]})
    r = await client.post(f"/_sandbox/contacts/{cid}/confirm_resubscribe")
    assert r.status_code == 200
    assert r.json()["email_address"]["permission_to_send"] == "explicit"


async def test_contact_unsubscribe_link_moves_only_the_email_date(client: httpx.AsyncClient, sandbox: Sandbox,
                                                                   clock: FakeClock) -> None:
    cid = one_contact(sandbox, "active")
    before = sandbox.contact_json(cid)
    clock.advance(10)
    r = await client.post(f"/_sandbox/contacts/{cid}/unsubscribe", json={"reason": "Too many emails"})
    assert r.status_code == 200
    e = r.json()["email_address"]
    assert (e["permission_to_send"], e["opt_out_source"], e["opt_out_reason"]) == (
        "unsubscribed", "Contact", "Too many emails")
    assert r.json()["updated_at"] == before["updated_at"]


async def test_delete_is_soft(client: httpx.AsyncClient, sandbox: Sandbox, clock: FakeClock) -> None:
    on_lists = next(c for c in sandbox.contact_ids("active") if sandbox.contact_json(c)["list_memberships"])
    assert (await client.delete(f"/v3/contacts/{on_lists}")).status_code == 204
    assert sandbox.contact_json(on_lists)["list_memberships"] == []
    cid = one_contact(sandbox, "unsubscribed")
    before = sandbox.contact_json(cid)
    clock.advance(86400)
    r = await client.delete(f"/v3/contacts/{cid}")
    assert r.status_code == 204 and r.content == b""
    after = sandbox.contact_json(cid)
    assert after["deleted_at"] == "2026-09-22"
    assert after["list_memberships"] == []
    assert after["email_address"] == before["email_address"]  # the unsubscribe is kept
    assert after["updated_at"] > before["updated_at"]
    r = await client.get(f"/v3/contacts/{cid}")
    assert r.status_code == 200 and r.json()["deleted_at"] == "2026-09-22"
    listed = {s: [c["contact_id"] for c in (await client.get(
        "/v3/contacts", params={"status": s, "limit": 500} if s else {"limit": 500})).json()["contacts"]]
        for s in ("", "all", "deleted", "unsubscribed")}
    assert cid not in listed[""] and cid not in listed["unsubscribed"]
    assert cid in listed["all"] and cid in listed["deleted"]
    r = await client.delete(f"/v3/contacts/{cid}")
    assert r.status_code == 404 and error_keys(r) == ["contacts.api.not_found"]


async def test_a_delete_keeps_updated_at_under_that_reading(client: httpx.AsyncClient, sandbox: Sandbox,
                                                           clock: FakeClock) -> None:
    sandbox.set_readings({"delete_moves_updated_at": False})
    cid = sandbox.contact_ids("active")[0]
    before = sandbox.contact_json(cid)
    clock.advance(86400)
    assert (await client.delete(f"/v3/contacts/{cid}")).status_code == 204
    after = sandbox.contact_json(cid)
    assert after["deleted_at"] and after["updated_at"] == before["updated_at"]
    since = (datetime.fromisoformat(before["updated_at"].replace("Z", "+00:00")) + timedelta(seconds=1)).isoformat()
    found = (await client.get("/v3/contacts", params={"status": "all", "updated_after": since, "limit": 500})).json()
    assert cid not in [c["contact_id"] for c in found["contacts"]]  # no updated_after read finds it


async def test_delete_with_a_non_json_body_is_415(client: httpx.AsyncClient, sandbox: Sandbox) -> None:
    cid = one_contact(sandbox)
    r = await client.request("DELETE", f"/v3/contacts/{cid}", content=b"x=1",
                             headers={"content-type": "application/x-www-form-urlencoded"})
    assert r.status_code == 415
