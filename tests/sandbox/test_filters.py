"""GET /contacts filters, includes and parameter validation, checked against each contact's full JSON."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from ccdesk.sandbox.app import SandboxConfig
from ccdesk.sandbox.state import Sandbox
from ccdesk.sandbox.timefmt import iso_z, parse_datetime

from .conftest import TOKEN, FakeClock
from .helpers import error_keys, one_contact, put_body

pytestmark = pytest.mark.asyncio
SUBS = ("custom_fields", "list_memberships", "phone_numbers", "street_addresses", "taggings", "notes")


@pytest.fixture
def config(clock: FakeClock) -> SandboxConfig:
    return SandboxConfig(contacts=1500, seed=7, rate_limit=0, tokens=[TOKEN], clock=clock)


@pytest.fixture
def everyone(sandbox: Sandbox) -> dict[str, dict[str, Any]]:
    return {cid: sandbox.contact_json(cid) for cid in sandbox.contact_ids(status="all")}


async def fetch_all(client: httpx.AsyncClient, **params: Any) -> list[dict[str, Any]]:
    """Every page, following _links.next.href verbatim."""
    r = await client.get("/v3/contacts", params={"limit": 500, **params})
    out = []
    while True:
        assert r.status_code == 200, r.text
        body = r.json()
        out += body["contacts"]
        if "next" not in body.get("_links", {}):
            return out
        r = await client.get(body["_links"]["next"]["href"])


def ids(contacts: list[dict[str, Any]]) -> list[str]:
    return [c["contact_id"] for c in contacts]


def expect(everyone: dict[str, dict[str, Any]], pred: Callable[[dict[str, Any]], bool]) -> list[str]:
    return [cid for cid, c in everyone.items() if pred(c)]


def perm(c: dict[str, Any]) -> str:
    return str(c["email_address"]["permission_to_send"])


STATUS_CASES: dict[str, Callable[[dict[str, Any]], bool]] = {
    "": lambda c: "deleted_at" not in c,
    "all": lambda c: True,
    "deleted": lambda c: "deleted_at" in c,
    "unsubscribed": lambda c: "deleted_at" not in c and perm(c) == "unsubscribed",
    "active": lambda c: "deleted_at" not in c and perm(c) in ("explicit", "implicit", "not_set"),
    "pending_confirmation": lambda c: "deleted_at" not in c and perm(c) == "pending_confirmation",
    "temp_hold": lambda c: "deleted_at" not in c and perm(c) == "temp_hold",
    "not_set": lambda c: "deleted_at" not in c and perm(c) == "not_set",
    "unsubscribed,deleted": lambda c: "deleted_at" in c or perm(c) == "unsubscribed",
}


@pytest.mark.parametrize("status", list(STATUS_CASES))
async def test_status_filter(client: httpx.AsyncClient, everyone: dict[str, dict[str, Any]], status: str) -> None:
    got = await fetch_all(client, **({"status": status} if status else {}))
    want = expect(everyone, STATUS_CASES[status])
    assert ids(got) == want
    if status in ("", "all", "deleted", "unsubscribed", "active"):
        assert want, "the seeded account should have some of these"
    r = await client.get("/v3/contacts", params={"limit": 1, "include_count": "true",
                                                 **({"status": status} if status else {})})
    assert r.json()["contacts_count"] == len(want)


async def test_seeded_shares_are_realistic(everyone: dict[str, dict[str, Any]]) -> None:
    n = len(everyone)
    unsubscribed = sum(perm(c) == "unsubscribed" for c in everyone.values())
    deleted = sum("deleted_at" in c for c in everyone.values())
    assert 0.08 * n <= unsubscribed <= 0.15 * n
    assert 0.01 * n <= deleted <= 0.035 * n
    sources = {c["email_address"].get("opt_out_source") for c in everyone.values() if perm(c) == "unsubscribed"}
    assert sources == {"Contact", "Account"}


async def test_include_count_absent_unless_asked(client: httpx.AsyncClient) -> None:
    r = await client.get("/v3/contacts", params={"limit": 1})
    assert "contacts_count" not in r.json()
    r = await client.get("/v3/contacts", params={"limit": 1, "include_count": "false"})
    assert "contacts_count" not in r.json()


async def test_email_filter_is_exact_and_case_insensitive(client: httpx.AsyncClient,
                                                          everyone: dict[str, dict[str, Any]]) -> None:
    cid, c = next((k, v) for k, v in everyone.items() if "deleted_at" not in v)
    address = c["email_address"]["address"]
    assert ids(await fetch_all(client, email=address.upper())) == [cid]
    assert ids(await fetch_all(client, email=address[:-1])) == []
    assert ids(await fetch_all(client, email=address[1:])) == []
    deleted_id, deleted = next((k, v) for k, v in everyone.items() if "deleted_at" in v)
    assert ids(await fetch_all(client, email=deleted["email_address"]["address"])) == []
    assert ids(await fetch_all(client, email=deleted["email_address"]["address"], status="all")) == [deleted_id]


async def test_lists_filter_any_of(client: httpx.AsyncClient, sandbox: Sandbox,
                                   everyone: dict[str, dict[str, Any]]) -> None:
    a, b = sandbox.list_id("VIP"), sandbox.list_id("Free Members")
    got = await fetch_all(client, lists=f"{a},{b}", include="list_memberships")
    want = expect(everyone, lambda c: "deleted_at" not in c and bool({a, b} & set(c["list_memberships"])))
    assert ids(got) == want and want
    assert all({a, b} & set(c["list_memberships"]) for c in got)


async def test_tags_filter(client: httpx.AsyncClient, sandbox: Sandbox, everyone: dict[str, dict[str, Any]]) -> None:
    tag = next(iter(sandbox.tags()))
    got = await fetch_all(client, tags=tag)
    assert ids(got) == expect(everyone, lambda c: "deleted_at" not in c and tag in c["taggings"])
    assert got


@pytest.mark.parametrize("column", ["created", "updated"])
async def test_created_and_updated_bounds(client: httpx.AsyncClient, everyone: dict[str, dict[str, Any]],
                                          column: str) -> None:
    values = sorted(c[f"{column}_at"] for c in everyone.values() if "deleted_at" not in c)
    lo, hi = values[len(values) // 4], values[3 * len(values) // 4]
    got = await fetch_all(client, **{f"{column}_after": lo, f"{column}_before": hi})
    want = expect(everyone, lambda c: "deleted_at" not in c and lo <= c[f"{column}_at"] < hi)
    assert ids(got) == want and want  # after is inclusive, before exclusive


async def test_optout_bounds(client: httpx.AsyncClient, everyone: dict[str, dict[str, Any]]) -> None:
    dates = sorted(c["email_address"]["opt_out_date"] for c in everyone.values() if perm(c) == "unsubscribed")
    lo = dates[len(dates) // 2]
    got = await fetch_all(client, status="all", optout_after=lo)
    want = expect(everyone, lambda c: "opt_out_date" in c["email_address"]
                  and parse_datetime(c["email_address"]["opt_out_date"]) >= parse_datetime(lo))
    assert ids(got) == want and want
    got = await fetch_all(client, optout_before=lo)
    want = expect(everyone, lambda c: "deleted_at" not in c and "opt_out_date" in c["email_address"]
                  and parse_datetime(c["email_address"]["opt_out_date"]) < parse_datetime(lo))
    assert ids(got) == want and want


async def test_updated_after_misses_unsubscribes_but_optout_after_sees_them(
    client: httpx.AsyncClient, sandbox: Sandbox, clock: FakeClock
) -> None:
    checkpoint = iso_z(int(clock() * 1000))
    clock.advance(60)
    by_put = one_contact(sandbox, "active")
    body = put_body(sandbox.contact_json(by_put))
    body["email_address"] = {"address": body["email_address"]["address"], "permission_to_send": "unsubscribed",
                             "opt_out_reason": "by PUT"}
    assert (await client.put(f"/v3/contacts/{by_put}", json=body)).status_code == 200
    by_link = one_contact(sandbox, "active")
    sandbox.contact_unsubscribes(by_link, "by link")
    assert ids(await fetch_all(client, status="all", updated_after=checkpoint)) == []
    assert set(ids(await fetch_all(client, status="all", optout_after=checkpoint))) == {by_put, by_link}
    # a core change is seen by updated_after
    body = put_body(sandbox.contact_json(by_put), first_name="Changed")
    assert (await client.put(f"/v3/contacts/{by_put}", json=body)).status_code == 200
    assert ids(await fetch_all(client, status="all", updated_after=checkpoint)) == [by_put]


async def test_sms_status(client: httpx.AsyncClient, everyone: dict[str, dict[str, Any]]) -> None:
    def sms(c: dict[str, Any]) -> str | None:
        ch = c.get("sms_channel")
        return ch["sms_channel_consents"][0]["sms_consent_permission"] if ch else None

    assert ids(await fetch_all(client, sms_status="explicit")) == expect(
        everyone, lambda c: "deleted_at" not in c and sms(c) == "explicit")
    assert ids(await fetch_all(client, sms_status="all")) == expect(
        everyone, lambda c: "deleted_at" not in c and sms(c) is not None)


async def test_sub_resources_only_when_included(client: httpx.AsyncClient, sandbox: Sandbox) -> None:
    r = await client.get("/v3/contacts", params={"limit": 50})
    for c in r.json()["contacts"]:
        assert not set(SUBS) & set(c)
    r = await client.get("/v3/contacts", params={"limit": 50, "include": "phone_numbers,notes"})
    for c in r.json()["contacts"]:
        assert set(SUBS) & set(c) == {"phone_numbers", "notes"}
    cid = sandbox.contact_ids(limit=1)[0]
    assert not set(SUBS) & set((await client.get(f"/v3/contacts/{cid}")).json())
    one = (await client.get(f"/v3/contacts/{cid}", params={"include": ",".join(SUBS)})).json()
    assert set(SUBS) <= set(one)


@pytest.mark.parametrize(
    "params",
    [
        {"limit": "0"}, {"limit": "501"}, {"limit": "abc"}, {"limit": "-1"}, {"limit": "1.5"}, {"limit": ""},
        {"status": "gone"}, {"status": "active,gone"}, {"status": ""},
        {"include": "everything"}, {"include": "notes,"},
        {"updated_after": "yesterday"}, {"updated_after": "2024-01-01"}, {"created_before": "2024-01-01T00:00:00"},
        {"optout_after": "2024-13-01T00:00:00Z"}, {"optout_before": "2024-01-01 00:00:00Z"},
        {"lists": ",".join(["00000000-0000-4000-8000-000000000000"] * 26)}, {"lists": "not-a-uuid"},
        {"tags": ",".join([f"00000000-0000-4000-8000-{i:012d}" for i in range(51)])},
        {"sms_status": "maybe"}, {"include_count": "yes"}, {"email": ""},
        {"colour": "blue"}, {"segment_id": "1", "status": "all"},
    ],
)
async def test_parameter_validation(client: httpx.AsyncClient, params: dict[str, str]) -> None:
    r = await client.get("/v3/contacts", params=params)
    assert r.status_code == 400, r.text
    assert error_keys(r) == ["contacts.api.validation.error"]


async def test_repeated_parameter_is_400(client: httpx.AsyncClient) -> None:
    r = await client.get("/v3/contacts?status=all&status=deleted")
    assert r.status_code == 400


async def test_limits_at_the_edges(client: httpx.AsyncClient) -> None:
    assert len((await client.get("/v3/contacts", params={"limit": 1})).json()["contacts"]) == 1
    assert len((await client.get("/v3/contacts", params={"limit": 500})).json()["contacts"]) == 500
    assert len((await client.get("/v3/contacts")).json()["contacts"]) == 50


async def test_segments_are_not_in_the_sandbox_account(client: httpx.AsyncClient) -> None:
    r = await client.get("/v3/contacts", params={"segment_id": "3", "limit": "10"})
    assert r.status_code == 404


async def test_include_on_get_one_is_validated(client: httpx.AsyncClient, sandbox: Sandbox) -> None:
    cid = sandbox.contact_ids(limit=1)[0]
    assert (await client.get(f"/v3/contacts/{cid}", params={"include": "bogus"})).status_code == 400
    assert (await client.get(f"/v3/contacts/{cid}", params={"status": "all"})).status_code == 400
