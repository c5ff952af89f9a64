"""The API client against the sandbox served by uvicorn on 127.0.0.1: paging, filters, the PUT rules, retries,
faults, and every request body the client sends checked against the official contract."""

from __future__ import annotations

import copy
import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from ccdesk.api import (
    CCClient,
    MalformedResponse,
    QuotaExceeded,
    RateLimiter,
    RetryPolicy,
    StaticTokenProvider,
    ValidationError,
)
from ccdesk.sandbox.server import SandboxServer
from tests.api.client_extras import download_export, iter_contacts, start_contact_export
from tests.contract.schemas import request_definition, validate

TOKEN = "api-test-token"


class RecordingTransport(httpx.AsyncHTTPTransport):
    """Real HTTP, plus a copy of every request the client sent (for the contract checks)."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[httpx.Request] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        self.sent.append(request)
        return await super().handle_async_request(request)


@pytest.fixture(params=["pending_confirmation", "unsubscribed"])
def sandbox_options(request: pytest.FixtureRequest) -> dict[str, Any]:
    """Sandboxes under each reading of the state after a resubscribe request (`--resubscribe-state`)."""
    return {"contacts": 60, "seed": 5, "rate_limit": 0, "tokens": [TOKEN], "activity_seconds": 0.05,
            "resubscribe_state": request.param}



def client_for(server: SandboxServer, transport: httpx.AsyncBaseTransport | None = None,
               **kw: Any) -> CCClient:
    return CCClient(StaticTokenProvider(TOKEN), base_url=server.api_base, transport=transport,
                    rate_limiter=kw.pop("rate_limiter", RateLimiter(rate=0)),
                    retry=kw.pop("retry", RetryPolicy(attempts=5, base_delay=0.01, max_delay=0.05)), **kw)


@pytest.mark.parametrize("n", [0, 1, 499, 500, 501, 12_345])
async def test_paging_returns_every_contact_exactly_once(start_sandbox, n: int) -> None:
    server = start_sandbox(contacts=n)
    async with client_for(server) as client:
        ids = [c.contact_id async for c in iter_contacts(client, status="all", limit=500)]
    assert len(ids) == len(set(ids)) == n
    assert set(ids) == set(server.sandbox.contact_ids(status="all"))


async def test_filters_match_the_sandbox(start_sandbox) -> None:
    server = start_sandbox(contacts=400)
    sb = server.sandbox
    async with client_for(server) as client:
        for status in ("unsubscribed", "deleted", "active", "all"):
            got = {c.contact_id async for c in iter_contacts(client, status=status)}
            assert got == set(sb.contact_ids(status=status)), status
        lid = sb.lists()[0]["list_id"]
        on_list = [c async for c in iter_contacts(client, lists=[lid], include=["list_memberships"])]
        assert on_list and all(lid in c.list_memberships for c in on_list)
        since = datetime.now(UTC) - timedelta(days=90)
        recent = [c async for c in iter_contacts(client, status="all", optout_after=since)]
        assert recent and all(c.email_address.opt_out_date >= since for c in recent)
        page = await anext(client.iter_contact_pages(status="unsubscribed", include_count=True, limit=10))
        assert page.contacts_count == len(sb.contact_ids(status="unsubscribed"))
        one = page.contacts[0]
        found = await client.find_contact_by_email(one.email.upper())
        assert found is not None and found.contact_id == one.contact_id
        assert await client.find_contact_by_email("nobody@nowhere.example") is None
        counts = await client.contact_counts()
        assert counts.unsubscribed > 0 and counts.total > 0
        lists = [lst async for lst in client.iter_lists(include_membership_count="all")]
        assert {lst.list_id for lst in lists} <= {lst["list_id"] for lst in sb.lists()}


def _rich_contact(server: SandboxServer) -> str:
    """A mailable contact with every sub-resource (the seed has some)."""
    sb = server.sandbox
    for cid in sb.contact_ids(status="active"):
        c = sb.contact_json(cid)
        if c["email_address"]["permission_to_send"] != "unsubscribed" and all(
                c.get(k) for k in ("custom_fields", "phone_numbers", "street_addresses", "list_memberships",
                                   "notes", "taggings")):
            return cid
    pytest.fail("the seed has no contact with every sub-resource")


async def test_unsubscribe_changes_nothing_else_and_sends_contract_valid_bodies(start_sandbox) -> None:
    server = start_sandbox(contacts=300)
    cid = _rich_contact(server)
    before = server.sandbox.contact_json(cid)
    transport = RecordingTransport()
    async with client_for(server, transport) as client:
        updated = await client.unsubscribe(cid, "Asked by email — «no more» ✉", "Contact")
    after = server.sandbox.contact_json(cid)
    assert updated.is_unsubscribed
    email = after["email_address"]
    assert (email["permission_to_send"], email["opt_out_source"]) == ("unsubscribed", "Contact")
    assert email["opt_out_reason"] == "Asked by email — «no more» ✉"
    expect = copy.deepcopy(before)
    # Who last updated the contact: the sandbox, like the service, treats an email-status change separately.
    expect.pop("update_source", None)
    after.pop("update_source", None)
    assert after.pop("list_memberships") == []  # the service's own rule: an unsubscribe leaves every list
    expect.pop("list_memberships")
    for key in ("permission_to_send", "opt_out_source", "opt_out_reason", "opt_out_date", "updated_at",
                "confirm_status"):
        expect["email_address"].pop(key, None)
        email.pop(key, None)
    assert after == expect, "only the opt-out fields may change"
    puts = [r for r in transport.sent if r.method == "PUT"]
    assert len(puts) == 1
    body = json.loads(puts[0].content)
    validate("ContactPutRequest", body)
    # core fields, the address and update_source only: no sub-resource (the service keeps omitted ones)
    assert set(body) <= {"first_name", "last_name", "job_title", "company_name", "birthday_month", "birthday_day",
                         "anniversary", "email_address", "update_source"}
    assert set(body["email_address"]) == {"address", "permission_to_send", "opt_out_reason"}
    assert server.sandbox.emails_json() == []


async def test_unsubscribing_an_unsubscribed_contact_sends_nothing(start_sandbox) -> None:
    server = start_sandbox()
    cid = server.sandbox.contact_ids(status="unsubscribed")[0]
    transport = RecordingTransport()
    async with client_for(server, transport) as client:
        await client.unsubscribe(cid, "again", "Account")
    assert [r.method for r in transport.sent] == ["GET"]


@pytest.mark.parametrize("source", ["Account", "Contact"])
async def test_a_deleted_contact_is_not_unsubscribed_nor_restored(start_sandbox, source: str) -> None:
    """Found by the property suite: any PUT restores a deleted contact (reference §2), so unsubscribing one
    brought it back (update_source Account) or failed with the service's restore error (Contact)."""
    server = start_sandbox()
    sb = server.sandbox
    cid = next(c for c in sb.contact_ids(status="deleted")
               if sb.contact_json(c)["email_address"]["permission_to_send"] != "unsubscribed")
    before = sb.contact_json(cid)
    transport = RecordingTransport()
    async with client_for(server, transport) as client:
        with pytest.raises(ValidationError, match="deleted in Constant Contact"):
            await client.unsubscribe(cid, "Asked by phone", source)  # type: ignore[arg-type]
        await client.remove_from_lists(cid, [lst["list_id"] for lst in sb.lists() if not lst.get("deleted_at")],
                                       poll_s=0.05)
    assert [r.method for r in transport.sent if r.method != "GET"] == ["POST"]  # the activity, never a PUT
    assert sb.contact_json(cid) == before


async def test_remove_from_lists_keeps_everything_else(start_sandbox) -> None:
    server = start_sandbox(contacts=300)
    cid = _rich_contact(server)
    before = server.sandbox.contact_json(cid)
    drop = before["list_memberships"][0]
    async with client_for(server) as client:
        await client.remove_from_lists(cid, [drop], poll_s=0.05)
    after = server.sandbox.contact_json(cid)
    assert after["list_memberships"] == [lid for lid in before["list_memberships"] if lid != drop]
    for key in ("list_memberships", "updated_at", "update_source"):
        after.pop(key), before.pop(key)
    assert after == before


async def test_resubscribe_once_then_refused_with_a_clear_error(start_sandbox) -> None:
    server = start_sandbox()
    cid = server.sandbox.contact_ids(status="unsubscribed")[0]
    lid = server.sandbox.lists()[0]["list_id"]
    transport = RecordingTransport()
    async with client_for(server, transport) as client:
        await client.request_resubscribe(cid, [lid])
        with pytest.raises(ValidationError) as info:
            await client.request_resubscribe(cid, [lid])
    assert info.value.status == 400 and "refused" in info.value.message
    e = server.sandbox.contact_json(cid)["email_address"]
    assert (e["permission_to_send"], e["confirm_status"]) == (server.sandbox.config.resubscribe_state, "pending")
    body = json.loads(next(r for r in transport.sent if r.method == "PUT").content)
    validate("ContactResubscribeRequest", body)


async def test_activity_bodies_are_contract_valid_and_activities_complete(start_sandbox, tmp_path) -> None:
    server = start_sandbox()
    sb = server.sandbox
    ids = sb.contact_ids(status="active", limit=5)
    lid = sb.lists()[0]["list_id"]
    transport = RecordingTransport()
    async with client_for(server, transport) as client:
        activity = await client.remove_list_memberships(ids, [lid])
        done = await client.wait_for_activity(activity, poll_s=0.05)
        assert done.succeeded and done.percent_done == 100
        added = await client.wait_for_activity(await client.add_list_memberships(ids, [lid]), poll_s=0.05)
        assert added.succeeded
        export = await client.wait_for_activity(
            await start_contact_export(client, status="unsubscribed", fields=["email_address",
                                                                             "email_optout_date"]), poll_s=0.05)
        path = await download_export(client, export.results_href, tmp_path / "export.csv")
    assert path.read_text(encoding="utf-8").count("\n") >= 2
    for request in transport.sent:
        if request.method == "POST":
            path_pattern = re.sub(r"^/v3", "", request.url.path)
            validate(request_definition(path_pattern, "post"), json.loads(request.content))


async def test_429_bursts_and_5xx_are_retried_and_succeed(start_sandbox) -> None:
    server = start_sandbox()
    cid = server.sandbox.contact_ids()[0]
    async with client_for(server) as client:
        server.sandbox.faults.update({"throttle_next": 3})
        assert (await client.get_contact(cid)).contact_id == cid
        server.sandbox.faults.update({"error_next": 2, "error_status": 502})
        assert (await client.get_contact(cid)).contact_id == cid
        server.sandbox.faults.update({"drop_next": 2})
        assert (await client.get_contact(cid)).contact_id == cid
        assert client.stats.retries == 7


async def test_real_rate_limit_is_respected_by_the_client(start_sandbox) -> None:
    server = start_sandbox(rate_limit=4)
    cid = server.sandbox.contact_ids()[0]
    async with client_for(server, rate_limiter=RateLimiter(rate=4), retry=RetryPolicy(attempts=1)) as client:
        for _ in range(10):
            await client.get_contact(cid)  # any 429 would raise: retries are off
        assert (client.stats.requests, client.stats.retries) == (10, 0)
    assert server.sandbox.requests_matching("GET", f"/v3/contacts/{cid}") == 10


async def test_malformed_bodies_give_the_malformed_response_error(start_sandbox) -> None:
    server = start_sandbox()
    cid = server.sandbox.contact_ids()[0]
    async with client_for(server, retry=RetryPolicy(attempts=2, base_delay=0.01)) as client:
        server.sandbox.faults.update({"malformed_next": 2})
        with pytest.raises(MalformedResponse):
            await client.get_contact(cid)
        server.sandbox.faults.update({"html_next": 2})
        with pytest.raises(Exception) as info:
            await client.get_contact(cid)
        assert "502" in str(info.value) or isinstance(info.value, MalformedResponse)


async def test_quota_exceeded_is_reported_not_retried(start_sandbox) -> None:
    server = start_sandbox(daily_quota=3)
    cid = server.sandbox.contact_ids()[0]
    async with client_for(server) as client:
        for _ in range(3):
            await client.get_contact(cid)
        server.sandbox.reset_request_counts()
        with pytest.raises(QuotaExceeded) as info:
            await client.get_contact(cid)
    assert "resets" in info.value.message
    assert server.sandbox.requests_matching("GET") == 1
