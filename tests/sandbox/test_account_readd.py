"""The reading behind `account_optout_readd` (issue 19): with it on (the spec's `opt_out_source` text, the
default) the account may add back a contact it opted out itself; off, it may not. A contact's own opt-out is
final for the account under both, and a PUT that itself says "unsubscribed" never adds anyone back."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from ccdesk.sandbox import errors
from ccdesk.sandbox.state import Sandbox

from .conftest import FakeClock


def _optout(sandbox: Sandbox, source: str, skip: int = 0) -> str:
    ids = [c for c in sandbox.contact_ids("unsubscribed")
           if sandbox.contact_json(c)["email_address"]["opt_out_source"] == source]
    return ids[skip]


def _put(contact: dict[str, Any], lists: list[str] | None = None, **email: object) -> dict[str, Any]:
    body = {k: contact[k] for k in ("first_name", "last_name", "job_title", "company_name") if k in contact}
    body |= {"email_address": {"address": contact["email_address"]["address"], **email}, "update_source": "Account"}
    if lists is not None:
        body["list_memberships"] = lists
    return body


@pytest.fixture(params=[True, False], ids=["spec-reading", "final-reading"])
async def readd(request: pytest.FixtureRequest, client: httpx.AsyncClient) -> bool:
    r = await client.post("/_sandbox/readings", json={"account_optout_readd": request.param})
    assert r.status_code == 200 and r.json()["account_optout_readd"] is request.param
    return bool(request.param)


async def test_put_mailable(client: httpx.AsyncClient, sandbox: Sandbox, readd: bool) -> None:
    cid = _optout(sandbox, "Account")
    r = await client.put(f"/v3/contacts/{cid}", json=_put(sandbox.contact_json(cid), permission_to_send="implicit"))
    if readd:
        assert r.status_code == 200, r.text
        e = r.json()["email_address"]
        assert (e["permission_to_send"], e["opt_in_source"]) == ("implicit", "Account")
        assert "opt_out_source" not in e and "opt_out_date" not in e
    else:
        assert (r.status_code, r.json()) == (400, errors.REOPT_IN_REFUSED.body())
    own = _optout(sandbox, "Contact")
    r = await client.put(f"/v3/contacts/{own}", json=_put(sandbox.contact_json(own), permission_to_send="explicit"))
    assert (r.status_code, r.json()) == (400, errors.REOPT_IN_REFUSED.body())


async def test_put_onto_lists(client: httpx.AsyncClient, sandbox: Sandbox, readd: bool) -> None:
    vip = sandbox.list_id("VIP")
    cid = _optout(sandbox, "Account")
    r = await client.put(f"/v3/contacts/{cid}", json=_put(sandbox.contact_json(cid), lists=[vip]))
    assert r.status_code == 200, r.text
    after = sandbox.contact_json(cid)
    emails = (await client.get("/_sandbox/emails")).json()["emails"]
    if readd:
        assert after["list_memberships"] == [vip] and after["email_address"]["permission_to_send"] == "implicit"
        assert emails == []
    else:
        assert after["list_memberships"] == [] and after["email_address"]["permission_to_send"] == "unsubscribed"
        assert [m["kind"] for m in emails] == ["list_add_confirmation"]


async def test_a_put_that_says_unsubscribed_adds_nobody_back(client: httpx.AsyncClient, sandbox: Sandbox,
                                                             readd: bool) -> None:
    vip = sandbox.list_id("VIP")
    already = _optout(sandbox, "Account")
    body = _put(sandbox.contact_json(already), lists=[vip], permission_to_send="unsubscribed")
    assert (await client.put(f"/v3/contacts/{already}", json=body)).status_code == 200
    active = next(c for c in sandbox.contact_ids("active") if sandbox.contact_json(c)["list_memberships"])
    read = sandbox.contact_json(active)
    body = _put(read, lists=read["list_memberships"], permission_to_send="unsubscribed")
    assert (await client.put(f"/v3/contacts/{active}", json=body)).status_code == 200  # what a careless client sends
    for cid in (already, active):
        contact = sandbox.contact_json(cid)
        assert contact["email_address"]["permission_to_send"] == "unsubscribed" and contact["list_memberships"] == []


async def test_add_list_memberships_activity(client: httpx.AsyncClient, sandbox: Sandbox, clock: FakeClock,
                                             readd: bool) -> None:
    vip = sandbox.list_id("VIP")
    by_account, by_contact = _optout(sandbox, "Account"), _optout(sandbox, "Contact")
    r = await client.post("/v3/activities/add_list_memberships",
                          json={"source": {"contact_ids": [by_account, by_contact]}, "list_ids": [vip]})
    assert r.status_code == 201, r.text
    clock.advance(2)
    done = (await client.get(r.json()["_links"]["self"]["href"])).json()
    assert done["state"] == "completed"
    assert done["status"]["cannot_add_to_list_count"] == (1 if readd else 2)
    back = sandbox.contact_json(by_account)
    assert (back["list_memberships"] == [vip]) is readd
    assert (back["email_address"]["permission_to_send"] == "implicit") is readd
    assert sandbox.contact_json(by_contact)["list_memberships"] == []
