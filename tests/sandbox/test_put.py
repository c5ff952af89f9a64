"""PUT /contacts/{id}: full replacement of core fields, sub-resources kept unless sent, unsubscribe rules."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from ccdesk.sandbox import errors
from ccdesk.sandbox.ids import ContactIds
from ccdesk.sandbox.state import Sandbox

from .conftest import FakeClock
from .helpers import error_keys, one_contact, put_body

pytestmark = pytest.mark.asyncio

ALL = "custom_fields,list_memberships,phone_numbers,street_addresses,taggings,notes"


def rich_contact(sandbox: Sandbox, status: str | None = None) -> str:
    """A contact with every sub-resource (seq % 25 == 7 ones), optionally with a given status."""
    for contact_id in sandbox.contact_ids(status=status):
        c = sandbox.contact_json(contact_id)
        if all(c.get(k) for k in ("custom_fields", "phone_numbers", "street_addresses", "taggings", "notes",
                                   "sms_channel", "job_title", "company_name", "birthday_month")):
            return contact_id
    raise LookupError(status)


async def get_all(client: httpx.AsyncClient, contact_id: str) -> dict[str, Any]:
    r = await client.get(f"/v3/contacts/{contact_id}", params={"include": ALL})
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


async def test_omitted_core_fields_become_absent_and_sub_resources_are_kept(
    client: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    cid = rich_contact(sandbox, "active")
    before = await get_all(client, cid)
    body = {"email_address": {"address": before["email_address"]["address"]}, "first_name": "Renamed",
            "update_source": "Account"}
    r = await client.put(f"/v3/contacts/{cid}", json=body)
    assert r.status_code == 200, r.text
    after = await get_all(client, cid)
    assert after["first_name"] == "Renamed"
    for core in ("last_name", "job_title", "company_name", "birthday_month", "birthday_day", "anniversary"):
        assert core not in after, core
    for sub in ("custom_fields", "phone_numbers", "street_addresses", "list_memberships", "taggings", "notes",
                "sms_channel"):
        assert after[sub] == before[sub], sub
    assert after["email_address"] == before["email_address"]


async def test_blank_core_fields_become_absent(client: httpx.AsyncClient, sandbox: Sandbox) -> None:
    cid = rich_contact(sandbox)
    before = await get_all(client, cid)
    r = await client.put(f"/v3/contacts/{cid}", json=put_body(before, job_title="  ", company_name=""))
    assert r.status_code == 200
    assert "job_title" not in r.json() and "company_name" not in r.json()


async def test_included_sub_resources_replace(client: httpx.AsyncClient, sandbox: Sandbox) -> None:
    cid = rich_contact(sandbox, "active")
    before = await get_all(client, cid)
    newsletter = sandbox.list_id("Newsletter")
    body = put_body(before, phone_numbers=[{"phone_number": "+1 555 0100", "kind": "mobile"}],
                    list_memberships=[newsletter], notes=[], custom_fields=[], taggings=[],
                    street_addresses=[{"kind": "work", "city": "Boston"}])
    r = await client.put(f"/v3/contacts/{cid}", json=body)
    assert r.status_code == 200, r.text
    after = await get_all(client, cid)
    assert [(p["phone_number"], p["kind"]) for p in after["phone_numbers"]] == [("+1 555 0100", "mobile")]
    assert after["list_memberships"] == [newsletter]
    assert after["notes"] == [] and after["custom_fields"] == [] and after["taggings"] == []
    assert [(s["kind"], s["city"]) for s in after["street_addresses"]] == [("work", "Boston")]
    assert "street" not in after["street_addresses"][0]


async def test_putting_back_what_was_read_changes_nothing(client: httpx.AsyncClient, sandbox: Sandbox,
                                                          clock: FakeClock) -> None:
    cid = rich_contact(sandbox)
    before = await get_all(client, cid)
    clock.advance(60)
    r = await client.put(f"/v3/contacts/{cid}", json=put_body(before, update_source="Contact"))
    assert r.status_code == 200, r.text
    after = await get_all(client, cid)
    assert after == before  # same ids, same updated_at, same update_source


async def test_core_change_moves_updated_at_and_update_source(client: httpx.AsyncClient, sandbox: Sandbox,
                                                              clock: FakeClock) -> None:
    cid = rich_contact(sandbox, "active")
    before = await get_all(client, cid)
    clock.advance(60)
    r = await client.put(f"/v3/contacts/{cid}", json=put_body(before, last_name="Changed", update_source="Contact"))
    after = r.json()
    assert after["updated_at"] > before["updated_at"]
    assert after["update_source"] == "Contact"
    assert after["email_address"]["updated_at"] == before["email_address"]["updated_at"]


async def test_sub_resource_change_moves_updated_at(client: httpx.AsyncClient, sandbox: Sandbox,
                                                    clock: FakeClock) -> None:
    cid = rich_contact(sandbox, "active")
    before = await get_all(client, cid)
    clock.advance(60)
    newsletter = sandbox.list_id("Newsletter")
    lists = [] if newsletter in before["list_memberships"] else [newsletter]
    r = await client.put(f"/v3/contacts/{cid}", json=put_body(before, list_memberships=lists))
    assert r.json()["updated_at"] > before["updated_at"]


async def test_unsubscribe_sets_opt_out_fields_and_keeps_the_rest(
    client: httpx.AsyncClient, sandbox: Sandbox, clock: FakeClock
) -> None:
    cid = rich_contact(sandbox, "active")
    before = await get_all(client, cid)
    clock.advance(3600)
    email = {"address": before["email_address"]["address"], "permission_to_send": "unsubscribed",
             "opt_out_reason": "Asked at the front desk"}
    r = await client.put(f"/v3/contacts/{cid}", json=put_body(before, email_address=email))
    assert r.status_code == 200, r.text
    after = await get_all(client, cid)
    e = after["email_address"]
    assert e["permission_to_send"] == "unsubscribed"
    assert e["opt_out_source"] == "Account"
    assert e["opt_out_reason"] == "Asked at the front desk"
    assert e["opt_out_date"] == e["updated_at"] > before["email_address"]["updated_at"]
    assert e["opt_in_source"] == before["email_address"]["opt_in_source"]
    # an email-status change does not move the contact-level updated_at
    assert after["updated_at"] == before["updated_at"]
    assert {k: v for k, v in after.items() if k != "email_address"} == {
        k: v for k, v in before.items() if k != "email_address"}


async def test_unsubscribe_by_contact_records_contact_and_null_reason(client: httpx.AsyncClient,
                                                                      sandbox: Sandbox) -> None:
    cid = one_contact(sandbox, "active")
    before = await get_all(client, cid)
    email = {"address": before["email_address"]["address"], "permission_to_send": "unsubscribed",
             "opt_out_reason": None}
    r = await client.put(f"/v3/contacts/{cid}", json=put_body(before, email_address=email, update_source="Contact"))
    assert r.status_code == 200, r.text
    e = r.json()["email_address"]
    assert e["opt_out_source"] == "Contact" and "opt_out_reason" not in e


async def test_unsubscribe_again_keeps_the_first_opt_out(client: httpx.AsyncClient, sandbox: Sandbox,
                                                         clock: FakeClock) -> None:
    cid = one_contact(sandbox, "unsubscribed")
    before = await get_all(client, cid)
    clock.advance(60)
    email = {**before["email_address"], "opt_out_reason": "another reason"}
    r = await client.put(f"/v3/contacts/{cid}", json=put_body(before, email_address=email))
    assert r.status_code == 200
    assert r.json()["email_address"] == before["email_address"]


@pytest.mark.parametrize("permission", ["explicit", "implicit"])
async def test_account_cannot_opt_an_unsubscribed_contact_back_in(
    client: httpx.AsyncClient, sandbox: Sandbox, permission: str
) -> None:
    cid = one_contact(sandbox, "unsubscribed")
    before = await get_all(client, cid)
    email = {"address": before["email_address"]["address"], "permission_to_send": permission}
    r = await client.put(f"/v3/contacts/{cid}", json=put_body(before, email_address=email, update_source="Account"))
    assert r.status_code == errors.REOPT_IN_REFUSED.status == 400
    assert r.json() == errors.REOPT_IN_REFUSED.body()
    assert (await get_all(client, cid)) == before


async def test_contact_can_opt_back_in_by_their_own_put(client: httpx.AsyncClient, sandbox: Sandbox,
                                                        clock: FakeClock) -> None:
    cid = one_contact(sandbox, "unsubscribed")
    before = await get_all(client, cid)
    clock.advance(60)
    email = {"address": before["email_address"]["address"], "permission_to_send": "explicit"}
    r = await client.put(f"/v3/contacts/{cid}", json=put_body(before, email_address=email, update_source="Contact"))
    assert r.status_code == 200, r.text
    e = r.json()["email_address"]
    assert e["permission_to_send"] == "explicit" and e["opt_in_source"] == "Contact"
    assert not {"opt_out_date", "opt_out_source", "opt_out_reason"} & set(e)
    assert e["updated_at"] > before["email_address"]["updated_at"]


@pytest.mark.parametrize("permission", ["pending_confirmation", "temp_hold", "not_set"])
async def test_account_cannot_set_system_permissions(client: httpx.AsyncClient, sandbox: Sandbox,
                                                     permission: str) -> None:
    cid = one_contact(sandbox, None, )
    before = await get_all(client, cid)
    if before["email_address"]["permission_to_send"] == permission:
        pytest.skip("already has it")
    email = {"address": before["email_address"]["address"], "permission_to_send": permission}
    r = await client.put(f"/v3/contacts/{cid}", json=put_body(before, email_address=email))
    assert r.status_code == 400


async def test_implicit_to_explicit_by_account_is_fine(client: httpx.AsyncClient, sandbox: Sandbox) -> None:
    cid = next(c for c in sandbox.contact_ids("active")
               if sandbox.contact_json(c)["email_address"]["permission_to_send"] == "implicit")
    before = await get_all(client, cid)
    email = {"address": before["email_address"]["address"], "permission_to_send": "explicit"}
    r = await client.put(f"/v3/contacts/{cid}", json=put_body(before, email_address=email))
    assert r.status_code == 200 and r.json()["email_address"]["permission_to_send"] == "explicit"


async def test_changing_to_another_contacts_email_is_409(client: httpx.AsyncClient, sandbox: Sandbox) -> None:
    a, b = sandbox.contact_ids(limit=2)
    other = sandbox.contact_json(b)["email_address"]["address"].upper()
    before = await get_all(client, a)
    r = await client.put(f"/v3/contacts/{a}", json=put_body(before, email_address={"address": other}))
    assert r.status_code == 409
    assert error_keys(r) == ["contacts.api.conflict"]
    assert b in r.json()[0]["error_message"]


async def test_changing_the_email_moves_both_updated_ats(client: httpx.AsyncClient, sandbox: Sandbox,
                                                         clock: FakeClock) -> None:
    cid = one_contact(sandbox, "active")
    before = await get_all(client, cid)
    clock.advance(60)
    r = await client.put(f"/v3/contacts/{cid}", json=put_body(before, email_address={"address": "new@example.org"}))
    assert r.status_code == 200
    after = r.json()
    assert after["email_address"]["address"] == "new@example.org"
    assert after["email_address"]["permission_to_send"] == before["email_address"]["permission_to_send"]
    assert after["updated_at"] > before["updated_at"]
    assert after["email_address"]["updated_at"] > before["email_address"]["updated_at"]
    # the old address is free again, the new one is taken
    assert sandbox.add_contact(email_address={"address": before["email_address"]["address"]})
    r = await client.post("/v3/contacts", json={"create_source": "Account",
                                                "email_address": {"address": "NEW@example.org"}})
    assert r.status_code == 409


async def test_deleted_contact_is_revived_only_by_the_account(client: httpx.AsyncClient, sandbox: Sandbox) -> None:
    cid = one_contact(sandbox, "deleted")
    before = await get_all(client, cid)
    assert "deleted_at" in before
    r = await client.put(f"/v3/contacts/{cid}", json=put_body(before, update_source="Contact"))
    assert r.status_code == 400
    r = await client.put(f"/v3/contacts/{cid}", json=put_body(before, update_source="Account"))
    assert r.status_code == 200
    assert "deleted_at" not in r.json()
    assert r.json()["email_address"]["permission_to_send"] == before["email_address"]["permission_to_send"]


async def test_revived_unsubscribed_contact_stays_unsubscribed(client: httpx.AsyncClient, sandbox: Sandbox) -> None:
    cid = one_contact(sandbox, "unsubscribed")
    assert (await client.delete(f"/v3/contacts/{cid}")).status_code == 204
    before = await get_all(client, cid)
    r = await client.put(f"/v3/contacts/{cid}", json=put_body(before, update_source="Account"))
    assert r.status_code == 200
    assert r.json()["email_address"]["permission_to_send"] == "unsubscribed"


async def test_update_source_is_required_and_checked(client: httpx.AsyncClient, sandbox: Sandbox) -> None:
    cid = one_contact(sandbox)
    before = await get_all(client, cid)
    body = put_body(before)
    del body["update_source"]
    assert (await client.put(f"/v3/contacts/{cid}", json=body)).status_code == 400
    body["update_source"] = "Robot"
    assert (await client.put(f"/v3/contacts/{cid}", json=body)).status_code == 400


async def test_email_address_needs_address(client: httpx.AsyncClient, sandbox: Sandbox) -> None:
    cid = one_contact(sandbox)
    before = await get_all(client, cid)
    r = await client.put(f"/v3/contacts/{cid}", json=put_body(before, email_address={"permission_to_send": "explicit"}))
    assert r.status_code == 400 and error_keys(r) == ["contacts.api.validation.error"]


async def test_omitting_the_email_address_is_refused(client: httpx.AsyncClient, sandbox: Sandbox) -> None:
    cid = one_contact(sandbox)
    r = await client.put(f"/v3/contacts/{cid}", json={"update_source": "Account", "first_name": "X"})
    assert r.status_code == 400


LONG = "x" * 256


@pytest.mark.parametrize(
    "change",
    [
        {"first_name": "x" * 51},
        {"last_name": "x" * 51},
        {"job_title": "x" * 51},
        {"company_name": "x" * 51},
        {"email_address": {"address": "a" * 75 + "@x.com"}},
        {"email_address": {"address": "not-an-email"}},
        {"email_address": {"address": "a@b.com", "permission_to_send": "unsubscribed", "opt_out_reason": LONG}},
        {"email_address": {"address": "a@b.com", "permission_to_send": "maybe"}},
        {"birthday_month": 13, "birthday_day": 1},
        {"birthday_month": 2, "birthday_day": 30},
        {"birthday_month": 2},
        {"birthday_month": "2", "birthday_day": 1},
        {"anniversary": "2020-13-01"},
        {"anniversary": "13/2020/01"},
        {"anniversary": "2020-01-01T"},
        {"custom_fields": [{"custom_field_id": "00000000-0000-4000-8000-000000000000", "value": "x"}] * 26},
        {"custom_fields": [{"custom_field_id": "00000000-0000-4000-8000-000000000000", "value": "x"}]},
        {"custom_fields": [{"value": "x"}]},
        {"phone_numbers": [{"phone_number": "1", "kind": "home"}] * 4},
        {"phone_numbers": [{"phone_number": "1" * 26, "kind": "home"}]},
        {"phone_numbers": [{"phone_number": "1", "kind": "fax"}]},
        {"street_addresses": [{"kind": "home"}] * 4},
        {"street_addresses": [{"city": "Boston"}]},
        {"street_addresses": [{"kind": "home", "city": "x" * 51}]},
        {"street_addresses": [{"kind": "home", "street": LONG}]},
        {"list_memberships": ["00000000-0000-4000-8000-000000000000"]},
        {"list_memberships": ["not-a-uuid"]},
        {"taggings": ["00000000-0000-4000-8000-000000000000"]},
        {"notes": [{"content": "x"}] * 151},
        {"notes": [{"content": "x" * 2001}]},
        {"sms_channel": {"full_sms_address": "+15551234567"}},
        {"first_name": None},
        {"first_name": 5},
    ],
)
async def test_field_limits_are_400(client: httpx.AsyncClient, sandbox: Sandbox, change: dict[str, Any]) -> None:
    cid = one_contact(sandbox, "active")
    before = await get_all(client, cid)
    r = await client.put(f"/v3/contacts/{cid}", json=put_body(before, **change))
    assert r.status_code == 400, r.text
    assert error_keys(r)[0] == "contacts.api.validation.error"
    assert (await get_all(client, cid)) == before


async def test_list_limits(client: httpx.AsyncClient, sandbox: Sandbox) -> None:
    cid = one_contact(sandbox, "active")
    before = await get_all(client, cid)
    lists = [d["list_id"] for d in sandbox.lists() if "deleted_at" not in d]
    r = await client.put(f"/v3/contacts/{cid}", json=put_body(before, list_memberships=lists * 9))  # 54 > 50
    assert r.status_code == 400
    deleted_list = next(d["list_id"] for d in sandbox.lists() if "deleted_at" in d)
    r = await client.put(f"/v3/contacts/{cid}", json=put_body(before, list_memberships=[deleted_list]))
    assert r.status_code == 400


async def test_sms_channel_put_shape(client: httpx.AsyncClient, sandbox: Sandbox) -> None:
    cid = one_contact(sandbox, "active")
    before = await get_all(client, cid)
    sms = {"full_sms_address": "+16175550123",
           "sms_channel_consents": [{"sms_consent_permission": "explicit", "consent_type": "promotional_sms"}]}
    r = await client.put(f"/v3/contacts/{cid}", json=put_body(before, sms_channel=sms))
    assert r.status_code == 200, r.text
    got = r.json()["sms_channel"]
    assert (got["dial_code"], got["sms_address"], got["country_code"]) == ("1", "6175550123", "US")
    # PUTting back the read shape (sms_address, no full_sms_address) is refused, like the schema says
    r = await client.put(f"/v3/contacts/{cid}", json={**put_body(r.json()), "sms_channel": got})
    assert r.status_code == 400


async def test_sms_number_of_another_contact_is_409(client: httpx.AsyncClient, sandbox: Sandbox) -> None:
    owner = rich_contact(sandbox)
    number = sandbox.contact_json(owner)["sms_channel"]["sms_address"]
    cid = next(c for c in sandbox.contact_ids() if c != owner)
    before = await get_all(client, cid)
    sms = {"full_sms_address": f"+1{number}",
           "sms_channel_consents": [{"sms_consent_permission": "explicit", "consent_type": "promotional_sms"}]}
    assert (await client.put(f"/v3/contacts/{cid}", json=put_body(before, sms_channel=sms))).status_code == 409


@pytest.mark.parametrize(
    ("content", "headers", "status"),
    [
        (b'{"update_source": "Account"', {"content-type": "application/json"}, 400),
        (b"update_source=Account", {"content-type": "application/x-www-form-urlencoded"}, 415),
        (b'{"update_source": "Account"}', {"content-type": "text/plain"}, 415),
        (b'{"update_source": "Account"}', {}, 415),
        (b"[]", {"content-type": "application/json"}, 400),
        (b'{"update_source": NaN}', {"content-type": "application/json"}, 400),
    ],
)
async def test_body_format_errors(client: httpx.AsyncClient, sandbox: Sandbox, content: bytes,
                                  headers: dict[str, str], status: int) -> None:
    cid = one_contact(sandbox)
    r = await client.put(f"/v3/contacts/{cid}", content=content, headers=headers)
    assert r.status_code == status
    assert isinstance(r.json(), list)


async def test_json_with_charset_is_accepted(client: httpx.AsyncClient, sandbox: Sandbox) -> None:
    cid = one_contact(sandbox)
    before = await get_all(client, cid)
    import json

    r = await client.put(f"/v3/contacts/{cid}", content=json.dumps(put_body(before)).encode(),
                         headers={"content-type": "application/json; charset=utf-8"})
    assert r.status_code == 200


async def test_unknown_and_malformed_ids_are_404(client: httpx.AsyncClient, sandbox: Sandbox) -> None:
    body = {"update_source": "Account", "first_name": "X"}
    other_seed = ContactIds(99).encode(0)
    for bad in ("not-a-uuid", "00000000-0000-4000-8000-000000000000", other_seed, ContactIds(1).encode(10_000)):
        r = await client.put(f"/v3/contacts/{bad}", json=body)
        assert r.status_code == 404, bad
        assert error_keys(r) == ["contacts.api.not_found"]
        assert (await client.get(f"/v3/contacts/{bad}")).status_code == 404
        assert (await client.delete(f"/v3/contacts/{bad}")).status_code == 404
    r = await client.get("/v3/contacts/NOT-A-UUID")
    assert r.json()[0]["error_message"] == "contact_id is in an invalid format."
