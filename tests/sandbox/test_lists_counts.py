"""GET /contact_lists, /contact_lists/{id} and /contacts/counts."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from ccdesk.sandbox.state import Sandbox

from .helpers import one_contact

pytestmark = pytest.mark.asyncio


def everyone(sandbox: Sandbox) -> list[dict[str, Any]]:
    return [sandbox.contact_json(c) for c in sandbox.contact_ids(status="all")]


async def test_lists_default_active_only(client: httpx.AsyncClient, sandbox: Sandbox) -> None:
    r = await client.get("/v3/contact_lists")
    names = [x["name"] for x in r.json()["lists"]]
    assert names == ["Newsletter", "Customers", "Events & Webinars", "Product Updates", "Free Members", "VIP"]
    assert "lists_count" not in r.json() and "_links" not in r.json()
    assert all("membership_count" not in x for x in r.json()["lists"])


@pytest.mark.parametrize(("status", "count"), [("all", 7), ("deleted", 1), ("active", 6), ("active,deleted", 7)])
async def test_list_status(client: httpx.AsyncClient, status: str, count: int) -> None:
    r = await client.get("/v3/contact_lists", params={"status": status, "include_count": "true"})
    assert r.status_code == 200 and r.json()["lists_count"] == count == len(r.json()["lists"])
    if status == "deleted":
        assert "deleted_at" in r.json()["lists"][0]


async def test_membership_counts(client: httpx.AsyncClient, sandbox: Sandbox) -> None:
    contacts = everyone(sandbox)
    for kind in ("all", "active"):
        r = await client.get("/v3/contact_lists", params={"include_membership_count": kind})
        for item in r.json()["lists"]:
            members = [c for c in contacts if item["list_id"] in c["list_memberships"]]
            if kind == "active":
                members = [c for c in members if c["email_address"]["permission_to_send"]
                           in ("explicit", "implicit", "not_set")]
            assert item["membership_count"] == len(members), (kind, item["name"])
    vip = sandbox.list_id("VIP")
    r = await client.get(f"/v3/contact_lists/{vip}", params={"include_membership_count": "all"})
    assert r.json()["membership_count"] == sum(vip in c["list_memberships"] for c in contacts)


async def test_membership_counts_follow_changes(client: httpx.AsyncClient, sandbox: Sandbox) -> None:
    vip = sandbox.list_id("VIP")
    before = (await client.get(f"/v3/contact_lists/{vip}", params={"include_membership_count": "all"})).json()
    member = next(c for c in sandbox.contact_ids() if vip in sandbox.contact_json(c)["list_memberships"])
    assert (await client.delete(f"/v3/contacts/{member}")).status_code == 204
    after = (await client.get(f"/v3/contact_lists/{vip}", params={"include_membership_count": "all"})).json()
    assert after["membership_count"] == before["membership_count"] - 1


async def test_name_filter_is_exact(client: httpx.AsyncClient) -> None:
    assert [x["name"] for x in (await client.get("/v3/contact_lists", params={"name": "VIP"})).json()["lists"]] == [
        "VIP"]
    assert (await client.get("/v3/contact_lists", params={"name": "vip"})).json()["lists"] == []


async def test_sms_channel_has_no_lists(client: httpx.AsyncClient) -> None:
    assert (await client.get("/v3/contact_lists", params={"channel_type": "sms"})).json()["lists"] == []


@pytest.mark.parametrize(
    "params",
    [{"limit": "0"}, {"limit": "501"}, {"limit": "x"}, {"status": "gone"}, {"include_membership_count": "some"},
     {"include_count": "1"}, {"channel_type": "fax"}, {"include_sms_membership_count": "maybe"}, {"colour": "x"}],
)
async def test_list_parameter_validation(client: httpx.AsyncClient, params: dict[str, str]) -> None:
    assert (await client.get("/v3/contact_lists", params=params)).status_code == 400


async def test_get_list(client: httpx.AsyncClient, sandbox: Sandbox) -> None:
    vip = sandbox.list_id("VIP")
    r = await client.get(f"/v3/contact_lists/{vip}")
    assert r.status_code == 200 and r.json()["name"] == "VIP" and r.json()["favorite"] is True
    for bad in ("nope", "00000000-0000-4000-8000-000000000000"):
        r = await client.get(f"/v3/contact_lists/{bad}")
        assert r.status_code == 404 and isinstance(r.json(), list)
    assert (await client.get(f"/v3/contact_lists/{vip}", params={"include_membership_count": "x"})).status_code == 400


async def test_counts(client: httpx.AsyncClient, sandbox: Sandbox) -> None:
    contacts = [c for c in everyone(sandbox) if "deleted_at" not in c]

    def n(permission: str) -> int:
        return sum(c["email_address"]["permission_to_send"] == permission for c in contacts)

    r = await client.get("/v3/contacts/counts")
    assert r.json() == {"total": len(contacts), "explicit": n("explicit"), "implicit": n("implicit"),
                        "pending": n("pending_confirmation"), "unsubscribed": n("unsubscribed")}


async def test_new_subscriber_count(client: httpx.AsyncClient, sandbox: Sandbox) -> None:
    base = (await client.get("/v3/contacts/counts", params={"include": "new_subscriber"})).json()["new_subscriber"]
    sandbox.add_contact(email_address={"address": "fresh@example.org", "permission_to_send": "explicit"})
    cid = one_contact(sandbox, "unsubscribed")
    r = await client.post("/v3/contacts/sign_up_form", json={
        "email_address": sandbox.contact_json(cid)["email_address"]["address"],
        "list_memberships": [sandbox.list_id("VIP")]})
    assert r.status_code == 200
    r = await client.get("/v3/contacts/counts", params={"include": "new_subscriber"})
    assert r.json()["new_subscriber"] == base + 2
    assert (await client.get("/v3/contacts/counts", params={"include": "old"})).status_code == 400
