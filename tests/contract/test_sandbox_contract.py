"""Every sandbox operation's response bodies validate against the contract, and declare no invented fields."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from ccdesk.sandbox.state import Sandbox
from tests.sandboxes import FakeClock

from .schemas import (
    definition_of,
    errors_for,
    undeclared_properties,
    validate,
    validate_response,
)

ALL = "custom_fields,list_memberships,phone_numbers,street_addresses,taggings,notes"


def check(path: str, method: str, response: httpx.Response, status: int) -> Any:
    """Assert the status, validate the body against the contract, and refuse undeclared properties."""
    assert response.status_code == status, response.text
    definition = definition_of(path, method, status)
    if definition is None:
        return None
    body = response.text if definition == "ActivityGetExport" else response.json()
    validate_response(path, method, status, body)
    assert undeclared_properties(definition, body) == []
    return body


pytestmark = pytest.mark.asyncio


async def test_get_contacts_every_page_every_include(client: httpx.AsyncClient) -> None:
    r = await client.get("/v3/contacts", params={"status": "all", "include": ALL, "include_count": "true",
                                                 "limit": 250})
    seen = 0
    while True:
        body = check("/contacts", "get", r, 200)
        seen += len(body["contacts"])
        if "_links" not in body:
            break
        r = await client.get(body["_links"]["next"]["href"])
    assert seen == body["contacts_count"] == 600


async def test_get_one_contact_in_every_state(client: httpx.AsyncClient, sandbox: Sandbox) -> None:
    for status in ("active", "unsubscribed", "deleted", "pending_confirmation", "not_set"):
        for cid in sandbox.contact_ids(status, limit=5):
            check("/contacts/{contact_id}", "get", await client.get(f"/v3/contacts/{cid}", params={"include": ALL}),
                  200)
            check("/contacts/{contact_id}", "get", await client.get(f"/v3/contacts/{cid}"), 200)


async def test_post_put_delete_resubscribe(client: httpx.AsyncClient, sandbox: Sandbox) -> None:
    newsletter = sandbox.list_id("Newsletter")
    new = {"create_source": "Account", "first_name": "Grace", "email_address": {"address": "grace@example.org"},
           "list_memberships": [newsletter], "notes": [{"content": "hello"}],
           "street_addresses": [{"kind": "home", "city": "Arlington"}],
           "phone_numbers": [{"phone_number": "555-0101", "kind": "mobile"}],
           "sms_channel": {"full_sms_address": "+16175550199", "sms_channel_consents": [
               {"sms_consent_permission": "explicit", "consent_type": "promotional_sms"}]}}
    validate("ContactPostRequest", new)
    created = check("/contacts", "post", await client.post("/v3/contacts", json=new), 201)
    cid = created["contact_id"]
    read = (await client.get(f"/v3/contacts/{cid}", params={"include": ALL})).json()
    body = {k: v for k, v in read.items() if k != "sms_channel"}
    body["email_address"] = {"address": "grace@example.org", "permission_to_send": "unsubscribed",
                             "opt_out_reason": "test"}
    body["update_source"] = "Account"
    validate("ContactPutRequest", body)  # what was read can be PUT back, per the contract
    check("/contacts/{contact_id}", "put", await client.put(f"/v3/contacts/{cid}", json=body), 200)
    resubscribe = {"list_ids": [newsletter]}
    validate("ContactResubscribeRequest", resubscribe)
    check("/contacts/resubscribe/{contact_id}", "put",
          await client.put(f"/v3/contacts/resubscribe/{cid}", json=resubscribe), 200)
    check("/contacts/{contact_id}", "delete", await client.delete(f"/v3/contacts/{cid}"), 204)


async def test_sign_up_form(client: httpx.AsyncClient, sandbox: Sandbox) -> None:
    body = {"email_address": "signup@example.org", "list_memberships": [sandbox.list_id("VIP")],
            "first_name": "Sign", "street_address": {"kind": "home", "city": "Reno"}}
    validate("ContactCreateOrUpdateInput", body)
    check("/contacts/sign_up_form", "post", await client.post("/v3/contacts/sign_up_form", json=body), 201)
    check("/contacts/sign_up_form", "post", await client.post("/v3/contacts/sign_up_form", json=body), 200)


async def test_counts(client: httpx.AsyncClient) -> None:
    check("/contacts/counts", "get", await client.get("/v3/contacts/counts"), 200)
    body = check("/contacts/counts", "get", await client.get("/v3/contacts/counts",
                                                             params={"include": "new_subscriber"}), 200)
    assert set(body) == {"total", "explicit", "implicit", "pending", "unsubscribed", "new_subscriber"}


async def test_lists(client: httpx.AsyncClient, sandbox: Sandbox) -> None:
    r = await client.get("/v3/contact_lists", params={"include_count": "true", "include_membership_count": "all",
                                                      "status": "all", "limit": 3})
    body = check("/contact_lists", "get", r, 200)
    check("/contact_lists", "get", await client.get(body["_links"]["next"]["href"]), 200)
    for d in sandbox.lists():
        r = await client.get(f"/v3/contact_lists/{d['list_id']}", params={"include_membership_count": "active"})
        check("/contact_lists/{list_id}", "get", r, 200)


async def test_activities_in_every_state(client: httpx.AsyncClient, sandbox: Sandbox, clock: FakeClock) -> None:
    vip, contact = sandbox.list_id("VIP"), sandbox.contact_ids(limit=1)[0]
    requests = {
        "/activities/add_list_memberships": ("ListActivityAddContacts",
                                             {"source": {"contact_ids": [contact]}, "list_ids": [vip]}),
        "/activities/remove_list_memberships": ("ListActivityRemoveContacts",
                                                {"source": {"list_ids": [vip]}, "list_ids": [vip]}),
        "/activities/contact_delete": ("ContactDelete", {"contact_ids": [contact]}),
        "/activities/contact_exports": ("ContactsExport", {"status": "unsubscribed",
                                                           "fields": ["email_address", "email_optout_date"]}),
    }
    created = []
    for path, (definition, body) in requests.items():
        validate(definition, body)
        created.append(check(path, "post", await client.post(f"/v3{path}", json=body), 201))
    for step in (0.0, 0.4, 0.6):
        clock.now += step
        for act in created:
            r = await client.get(act["_links"]["self"]["href"])
            check("/activities/{activity_id}", "get", r, 200)
    export = (await client.get(created[-1]["_links"]["self"]["href"])).json()
    r = await client.get(export["_links"]["results"]["href"])
    check("/contact_exports/{file_export_id}", "get", r, 200)


async def test_error_bodies(client: httpx.AsyncClient) -> None:
    r = await client.get("/v3/contacts", params={"limit": 0})
    assert errors_for("APIErrorSchema", r.json()) == []
    r = await client.get("/v3/contacts", headers={"Authorization": "Bearer nope"})
    assert errors_for("AuthorizationErrorSchema", r.json()) == []
    assert undeclared_properties("AuthorizationErrorSchema", r.json()) == []

