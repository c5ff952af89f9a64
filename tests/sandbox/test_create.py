"""POST /contacts and POST /contacts/sign_up_form."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from ccdesk.sandbox.state import Sandbox

from .conftest import FakeClock
from .helpers import error_keys, one_contact

pytestmark = pytest.mark.asyncio


async def test_create_returns_201_contact_resource(client: httpx.AsyncClient, sandbox: Sandbox) -> None:
    newsletter = sandbox.list_id("Newsletter")
    body = {"create_source": "Account", "first_name": "Ada", "last_name": "Lovelace",
            "email_address": {"address": "ada@example.org", "permission_to_send": "explicit"},
            "list_memberships": [newsletter],
            "phone_numbers": [{"phone_number": "555-0100", "kind": "work"}]}
    r = await client.post("/v3/contacts", json=body)
    assert r.status_code == 201, r.text
    c = r.json()
    assert c["first_name"] == "Ada" and c["create_source"] == "Account" and c["update_source"] == "Account"
    assert c["email_address"]["permission_to_send"] == "explicit"
    assert c["email_address"]["opt_in_source"] == "Account"
    assert c["list_memberships"] == [newsletter]
    assert (await client.get(f"/v3/contacts/{c['contact_id']}")).status_code == 200
    r = await client.get("/v3/contacts", params={"email": "ADA@example.org"})
    assert [x["contact_id"] for x in r.json()["contacts"]] == [c["contact_id"]]


async def test_new_contacts_page_after_existing_ones(client: httpx.AsyncClient, sandbox: Sandbox) -> None:
    cid = sandbox.add_contact(first_name="Last")
    assert sandbox.contact_ids()[-1] == cid


async def test_default_permission_by_source(client: httpx.AsyncClient) -> None:
    for source, permission in (("Account", "implicit"), ("Contact", "explicit")):
        r = await client.post("/v3/contacts", json={"create_source": source,
                                                    "email_address": {"address": f"{source}@example.org"}})
        assert r.json()["email_address"]["permission_to_send"] == permission


@pytest.mark.parametrize(
    "body",
    [
        {"first_name": "No source"},
        {"create_source": "Robot", "first_name": "X"},
        {"create_source": "Account"},
        {"create_source": "Account", "first_name": "  "},
        {"create_source": "Account", "job_title": "Only a title"},
        {"create_source": "Account", "email_address": {}},
        {"create_source": "Account",
         "email_address": {"address": "x@example.org", "permission_to_send": "unsubscribed"}},
        {"create_source": "Account", "email_address": "x@example.org"},
        {"create_source": "Account", "first_name": "x", "list_memberships": ["00000000-0000-4000-8000-000000000000"]},
        {"create_source": "Account", "first_name": "x", "custom_fields": [{"custom_field_id": "bad"}]},
    ],
)
async def test_create_validation(client: httpx.AsyncClient, body: dict[str, Any]) -> None:
    r = await client.post("/v3/contacts", json=body)
    assert r.status_code == 400, r.text
    assert error_keys(r)[0] == "contacts.api.validation.error"


@pytest.mark.parametrize("status", ["active", "unsubscribed", "deleted"])
async def test_existing_email_is_409_even_if_deleted_or_unsubscribed(
    client: httpx.AsyncClient, sandbox: Sandbox, status: str
) -> None:
    cid = one_contact(sandbox, status)
    address = sandbox.contact_json(cid)["email_address"]["address"]
    r = await client.post("/v3/contacts", json={"create_source": "Account",
                                                "email_address": {"address": address.upper()}})
    assert r.status_code == 409
    assert r.json() == [{"error_key": "contacts.api.conflict",
                         "error_message": f"Validation failed: Email already exists for contact {cid}"}]


async def test_create_is_415_without_json(client: httpx.AsyncClient) -> None:
    r = await client.post("/v3/contacts", data={"create_source": "Account", "first_name": "x"})
    assert r.status_code == 415


async def test_sign_up_creates_with_contact_consent(client: httpx.AsyncClient, sandbox: Sandbox) -> None:
    newsletter = sandbox.list_id("Newsletter")
    r = await client.post("/v3/contacts/sign_up_form", json={
        "email_address": "new.signup@example.org", "first_name": "New", "list_memberships": [newsletter]})
    assert r.status_code == 201, r.text
    assert r.json()["action"] == "created"
    c = sandbox.contact_json(r.json()["contact_id"])
    assert c["email_address"]["permission_to_send"] == "explicit"
    assert c["email_address"]["opt_in_source"] == "Contact" and c["create_source"] == "Contact"
    assert c["list_memberships"] == [newsletter]


async def test_sign_up_updates_partially_appends_lists_and_reopts_in(
    client: httpx.AsyncClient, sandbox: Sandbox, clock: FakeClock
) -> None:
    cid = one_contact(sandbox, "unsubscribed")
    before = sandbox.contact_json(cid)
    vip = sandbox.list_id("VIP")
    clock.advance(60)
    r = await client.post("/v3/contacts/sign_up_form", json={
        "email_address": before["email_address"]["address"], "job_title": "Signed up", "list_memberships": [vip],
        "custom_fields": [{"custom_field_id": next(iter(sandbox.custom_fields())), "value": "2025"}]})
    assert r.status_code == 200, r.text
    assert r.json() == {"contact_id": cid, "action": "updated"}
    after = sandbox.contact_json(cid)
    assert after["first_name"] == before["first_name"] and after.get("last_name") == before.get("last_name")
    assert after["job_title"] == "Signed up"
    assert after["list_memberships"] == [*before["list_memberships"], vip] or vip in before["list_memberships"]
    assert after["email_address"]["permission_to_send"] == "explicit"
    assert after["email_address"]["opt_in_source"] == "Contact"
    assert "opt_out_date" not in after["email_address"]
    assert after["updated_at"] > before["updated_at"] and after["update_source"] == "Contact"


async def test_sign_up_restores_a_deleted_contact(client: httpx.AsyncClient, sandbox: Sandbox) -> None:
    cid = one_contact(sandbox, "deleted")
    address = sandbox.contact_json(cid)["email_address"]["address"]
    r = await client.post("/v3/contacts/sign_up_form", json={
        "email_address": address, "list_memberships": [sandbox.list_id("Newsletter")]})
    assert r.status_code == 200
    assert "deleted_at" not in sandbox.contact_json(cid)


@pytest.mark.parametrize(
    "body",
    [
        {"email_address": "a@example.org"},
        {"email_address": "a@example.org", "list_memberships": []},
        {"list_memberships": ["LIST"]},
        {"email_address": "a" * 40 + "@example.org", "list_memberships": ["LIST"]},
        {"email_address": "a@example.org", "list_memberships": ["00000000-0000-4000-8000-000000000000"]},
        {"email_address": "a@example.org", "list_memberships": ["LIST"], "street_address": {"city": "x"}},
    ],
)
async def test_sign_up_validation(client: httpx.AsyncClient, sandbox: Sandbox, body: dict[str, Any]) -> None:
    newsletter = sandbox.list_id("Newsletter")
    body = {k: ([newsletter if x == "LIST" else x for x in v] if k == "list_memberships" else v)
            for k, v in body.items()}
    r = await client.post("/v3/contacts/sign_up_form", json=body)
    assert r.status_code == 400, r.text
