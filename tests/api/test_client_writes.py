"""The three writes against the sandbox over real HTTP, where the real service bites: lost updates between a
read and a write, the confirmation email a list-carrying PUT triggers, the resubscribe email that must never be
sent blindly twice, and activity polling that slows down."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from ccdesk.api import CCClient, NetworkError, RateLimiter, RetryPolicy, ServerError, StaticTokenProvider
from ccdesk.sandbox.server import SandboxServer
from ccdesk.sandbox.state import RESUBSCRIBE_STATES

TOKEN = "writes-test-token"


class MeddlingTransport(httpx.AsyncHTTPTransport):
    """Real HTTP; after the first answer the client receives, someone else changes the contact (`meddle`)."""

    def __init__(self, meddle: Callable[[], None]) -> None:
        super().__init__()
        self.meddle: Callable[[], None] | None = meddle
        self.sent: list[httpx.Request] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        self.sent.append(request)
        response = await super().handle_async_request(request)
        if self.meddle is not None:
            meddle, self.meddle = self.meddle, None
            meddle()
        return response


@pytest.fixture(params=RESUBSCRIBE_STATES)
def sandbox_options(request: pytest.FixtureRequest) -> dict[str, Any]:
    return {"contacts": 300, "seed": 5, "rate_limit": 0, "tokens": [TOKEN], "activity_seconds": 0.05,
            "resubscribe_state": request.param}


def client_for(server: SandboxServer, transport: httpx.AsyncBaseTransport | None = None, **kw: Any) -> CCClient:
    return CCClient(StaticTokenProvider(TOKEN), base_url=server.api_base, transport=transport,
                    rate_limiter=RateLimiter(rate=0),
                    retry=RetryPolicy(attempts=5, base_delay=0.01, max_delay=0.05), **kw)


def rich(server: SandboxServer) -> dict[str, Any]:
    """A mailable contact on at least two lists with every sub-resource."""
    sb = server.sandbox
    for cid in sb.contact_ids(status="active"):
        c = sb.contact_json(cid)
        if len(c.get("list_memberships", [])) >= 2 and all(
                c.get(k) for k in ("custom_fields", "phone_numbers", "street_addresses", "notes", "taggings")):
            return c
    pytest.fail("the seed has no contact with every sub-resource on two lists")


def other_desk_edits(server: SandboxServer, contact_id: str, **changes: Any) -> Callable[[], None]:
    """Someone else's PUT (a colleague in the web UI) between our read and our write."""
    def edit() -> None:
        sb = server.sandbox
        with sb.lock:
            c = sb.contact_json(contact_id)
            body = {k: v for k, v in c.items() if k not in ("sms_channel", "phone_numbers", "street_addresses")}
            body.update(changes, update_source="Account")
            sb.rules.put(sb.rules.seq(contact_id), body)
    return edit


async def test_unsubscribe_keeps_a_tag_and_a_note_added_between_read_and_write(server: SandboxServer) -> None:
    """The lost update: the old body echoed the taggings, notes and custom fields it had read."""
    c = rich(server)
    cid = c["contact_id"]
    new_tag = next(t for t in server.sandbox.tags() if t not in c["taggings"])
    notes = [*c["notes"], {"content": "Called on Monday"}]
    transport = MeddlingTransport(other_desk_edits(server, cid, taggings=[*c["taggings"], new_tag], notes=notes))
    async with client_for(server, transport) as client:
        await client.unsubscribe(cid, "Asked by phone", "Account")
    after = server.sandbox.contact_json(cid)
    assert after["email_address"]["permission_to_send"] == "unsubscribed"
    assert new_tag in after["taggings"]
    assert any(n["content"] == "Called on Monday" for n in after["notes"])
    assert server.sandbox.emails_json() == []


async def test_removing_one_list_keeps_a_list_joined_between_read_and_write(server: SandboxServer) -> None:
    """A read-modify-write PUT of the remaining lists would drop the list joined meanwhile."""
    c = rich(server)
    cid = c["contact_id"]
    drop = c["list_memberships"][0]
    joined = next(x["list_id"] for x in server.sandbox.lists()
                  if x["list_id"] not in c["list_memberships"] and not x.get("deleted_at"))
    transport = MeddlingTransport(other_desk_edits(server, cid, list_memberships=[*c["list_memberships"], joined]))
    async with client_for(server, transport) as client:
        await client.remove_from_lists(cid, [drop], poll_s=0.05)
    after = server.sandbox.contact_json(cid)["list_memberships"]
    assert drop not in after and joined in after
    assert sorted(after) == sorted([x for x in c["list_memberships"] if x != drop] + [joined])
    assert not [r for r in transport.sent if r.method == "PUT"]


async def test_no_reason_is_sent_as_null(server: SandboxServer) -> None:
    c = rich(server)
    transport = MeddlingTransport(lambda: None)
    async with client_for(server, transport) as client:
        await client.unsubscribe(c["contact_id"], None, "Account")
    [put] = [r for r in transport.sent if r.method == "PUT"]
    email = json.loads(put.content)["email_address"]
    assert "opt_out_reason" in email and email["opt_out_reason"] is None


@pytest.mark.parametrize("overrides", [False, True])
async def test_the_contacts_own_request_on_a_team_opt_out(server: SandboxServer, overrides: bool) -> None:
    sb = server.sandbox
    sb.set_readings({"contact_optout_overrides_account": overrides})
    cid = next(c for c in sb.contact_ids("unsubscribed")
               if sb.contact_json(c)["email_address"]["opt_out_source"] == "Account")
    async with client_for(server) as client:
        done = await client.unsubscribe(cid, "Asked by phone", "Contact")
        again = await client.unsubscribe(cid, "Asked by phone", "Account")  # the team: nothing to send
    assert done.email_address is not None
    assert done.email_address.opt_out_source == ("Contact" if overrides else "Account")
    assert again.contact_id == cid and sb.emails_json() == []


@pytest.mark.parametrize("fault", [{"error_next": 1, "error_status": 503}, {"drop_after_next": 1}])
async def test_resubscribe_is_never_repeated_by_the_http_layer(server: SandboxServer, fault: dict) -> None:
    sb = server.sandbox
    cid = sb.contact_ids("unsubscribed")[0]
    sb.faults.update({**fault, "only": "^PUT /v3/contacts/resubscribe/"})
    async with client_for(server) as client:
        with pytest.raises((ServerError, NetworkError)):
            await client.request_resubscribe(cid, [sb.lists()[0]["list_id"]])
    assert sb.requests_matching("PUT", "/v3/contacts/resubscribe/") == 1


async def test_activity_polls_slow_down_from_1_s_to_15_s(server: SandboxServer) -> None:
    pauses: list[float] = []

    async def sleep(seconds: float) -> None:
        pauses.append(seconds)
        if len(pauses) == 12:  # then let the activity finish
            with server.sandbox.lock:
                for act in server.sandbox.activities.activities.values():
                    act.duration_ms = 0

    sb = server.sandbox
    sb.activities.duration_ms = 3_600_000
    ids = sb.contact_ids(status="active", limit=3)
    async with client_for(server, sleep=sleep) as client:
        activity = await client.remove_list_memberships(ids, [sb.lists()[0]["list_id"]])
        done = await client.wait_for_activity(activity)
    assert done.succeeded
    assert pauses[:4] == [1.0, 1.5, 2.25, 3.375]
    assert max(pauses) == 15.0 and pauses[-1] == 15.0
    assert len(pauses) == 12  # the 12th poll saw it completed


def test_the_unsubscribe_body_never_carries_a_sub_resource_even_from_a_full_read() -> None:
    from ccdesk.api import Contact, build_put_body

    full = Contact({"contact_id": "c", "first_name": "Ana", "future_core_field": "kept",
                    "email_address": {"address": "a@example.org", "permission_to_send": "explicit",
                                      "opt_out_reason": None, "confirm_status": "off"},
                    "list_memberships": ["l1"], "custom_fields": [{"custom_field_id": "f", "value": "v"}],
                    "taggings": ["t"], "notes": [{"note_id": "n", "content": "x"}], "phone_numbers": [{}],
                    "street_addresses": [{}], "sms_channel": {}, "update_source": "Contact"})
    body = build_put_body(full, "Account", sub_resources=False,
                          email_changes={"permission_to_send": "unsubscribed", "opt_out_reason": None})
    assert body == {"first_name": "Ana", "future_core_field": "kept", "update_source": "Account",
                    "email_address": {"address": "a@example.org", "permission_to_send": "unsubscribed",
                                      "opt_out_reason": None}}
