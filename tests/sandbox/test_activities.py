"""Bulk activities: progression on the sandbox clock, their effects, validation, and the export CSV."""

from __future__ import annotations

import csv
import io
from typing import Any

import httpx
import pytest

from ccdesk.sandbox.app import SandboxConfig
from ccdesk.sandbox.state import Sandbox
from ccdesk.sandbox.timefmt import parse_datetime

from .conftest import TOKEN, FakeClock
from .helpers import one_contact

pytestmark = pytest.mark.asyncio


@pytest.fixture
def config(clock: FakeClock) -> SandboxConfig:
    return SandboxConfig(contacts=300, seed=2, rate_limit=0, tokens=[TOKEN], clock=clock, activity_seconds=1.0,
                         max_queued_activities=5)


async def post(client: httpx.AsyncClient, kind: str, body: dict[str, Any]) -> httpx.Response:
    return await client.post(f"/v3/activities/{kind}", json=body)


async def state(client: httpx.AsyncClient, activity: dict[str, Any]) -> dict[str, Any]:
    r = await client.get(activity["_links"]["self"]["href"])
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


async def test_progression_and_effect(client: httpx.AsyncClient, sandbox: Sandbox, clock: FakeClock) -> None:
    vip = sandbox.list_id("VIP")
    targets = [c for c in sandbox.contact_ids("active") if vip not in sandbox.contact_json(c)["list_memberships"]][:4]
    before = {c: sandbox.contact_json(c) for c in targets}
    r = await post(client, "add_list_memberships", {"source": {"contact_ids": targets}, "list_ids": [vip]})
    assert r.status_code == 201, r.text
    act = r.json()
    assert act["state"] == "initialized" and act["percent_done"] == 0
    assert act["_links"]["self"]["href"] == f"/v3/activities/{act['activity_id']}"
    assert act["status"] == {"items_total_count": 4, "items_completed_count": 0, "list_count": 1}
    clock.advance(0.5)
    mid = await state(client, act)
    assert mid["state"] == "processing" and 0 < mid["percent_done"] < 100 and "completed_at" not in mid
    assert all(vip not in sandbox.contact_json(c)["list_memberships"] for c in targets)  # not yet
    clock.advance(0.5)
    done = await state(client, act)
    assert done["state"] == "completed" and done["percent_done"] == 100
    assert done["status"]["items_completed_count"] == 4 and done["status"]["cannot_add_to_list_count"] == 0
    assert done["completed_at"] >= done["started_at"] >= done["created_at"]
    for c in targets:
        after = sandbox.contact_json(c)
        assert vip in after["list_memberships"]
        assert after["updated_at"] > before[c]["updated_at"]


async def test_python_api_sees_completion_too(client: httpx.AsyncClient, sandbox: Sandbox, clock: FakeClock) -> None:
    target = one_contact(sandbox, "active")
    r = await post(client, "contact_delete", {"contact_ids": [target]})
    clock.advance(1)
    assert "deleted_at" in sandbox.contact_json(target)
    assert sandbox.activity_json(r.json()["activity_id"])["state"] == "completed"


async def test_account_cannot_add_unsubscribed_contacts(client: httpx.AsyncClient, sandbox: Sandbox,
                                                        clock: FakeClock) -> None:
    vip = sandbox.list_id("VIP")
    unsubscribed = next(c for c in sandbox.contact_ids("unsubscribed")  # the contact's own opt-out: final
                        if vip not in sandbox.contact_json(c)["list_memberships"]
                        and sandbox.contact_json(c)["email_address"]["opt_out_source"] == "Contact")
    deleted = next(c for c in sandbox.contact_ids("deleted")
                   if sandbox.contact_json(c)["email_address"]["permission_to_send"] != "unsubscribed")
    before = sandbox.contact_json(unsubscribed)
    r = await post(client, "add_list_memberships", {"source": {"contact_ids": [unsubscribed, deleted]},
                                                     "list_ids": [vip]})
    clock.advance(1)
    done = await state(client, r.json())
    assert done["status"]["cannot_add_to_list_count"] == 1
    assert sandbox.contact_json(unsubscribed) == before
    revived = sandbox.contact_json(deleted)
    assert "deleted_at" not in revived and revived["list_memberships"] == [vip]


async def test_remove_by_list_source(client: httpx.AsyncClient, sandbox: Sandbox, clock: FakeClock) -> None:
    vip, newsletter = sandbox.list_id("VIP"), sandbox.list_id("Newsletter")
    vips = [c for c in sandbox.contact_ids() if vip in sandbox.contact_json(c)["list_memberships"]]
    both = [c for c in vips if newsletter in sandbox.contact_json(c)["list_memberships"]]
    assert both
    r = await post(client, "remove_list_memberships", {"source": {"list_ids": [vip]}, "list_ids": [newsletter]})
    assert r.status_code == 201
    assert r.json()["status"]["items_total_count"] == len(vips)
    clock.advance(1)
    await state(client, r.json())
    for c in vips:
        lists = sandbox.contact_json(c)["list_memberships"]
        assert newsletter not in lists and vip in lists


async def test_remove_from_all_active_with_exclude(client: httpx.AsyncClient, sandbox: Sandbox,
                                                   clock: FakeClock) -> None:
    newsletter = sandbox.list_id("Newsletter")
    members = [c for c in sandbox.contact_ids("active") if newsletter in sandbox.contact_json(c)["list_memberships"]]
    keep = members[0]
    r = await post(client, "remove_list_memberships", {"source": {"all_active_contacts": True},
                                                        "list_ids": [newsletter], "exclude": {"contact_ids": [keep]}})
    assert r.status_code == 201, r.text
    clock.advance(1)
    await state(client, r.json())
    assert newsletter in sandbox.contact_json(keep)["list_memberships"]
    assert all(newsletter not in sandbox.contact_json(c)["list_memberships"] for c in members[1:])


async def test_delete_by_list(client: httpx.AsyncClient, sandbox: Sandbox, clock: FakeClock) -> None:
    vip = sandbox.list_id("VIP")
    vips = [c for c in sandbox.contact_ids() if vip in sandbox.contact_json(c)["list_memberships"]]
    r = await post(client, "contact_delete", {"list_ids": [vip]})
    assert r.status_code == 201 and r.json()["status"]["items_total_count"] == len(vips)
    clock.advance(1)
    await state(client, r.json())
    assert all("deleted_at" in sandbox.contact_json(c) for c in vips)


async def test_unknown_contact_ids_are_activity_errors(client: httpx.AsyncClient, sandbox: Sandbox,
                                                       clock: FakeClock) -> None:
    missing = "00000000-0000-4000-8000-000000000000"
    r = await post(client, "remove_list_memberships", {"source": {"contact_ids": [missing]},
                                                        "list_ids": [sandbox.list_id("VIP")]})
    assert r.status_code == 201 and r.json()["activity_errors"] == []
    clock.advance(1)
    done = await state(client, r.json())
    assert done["activity_errors"] == [f"Contact {missing} not found."]
    assert done["status"]["error_count"] == 1


def _many(n: int) -> list[str]:
    return [f"00000000-0000-4000-8000-{i:012d}" for i in range(n)]


@pytest.mark.parametrize(
    ("kind", "body", "status"),
    [
        ("remove_list_memberships", {"list_ids": ["VIP"]}, 400),
        ("remove_list_memberships", {"source": {}, "list_ids": ["VIP"]}, 400),
        ("remove_list_memberships", {"source": {"contact_ids": ["C"], "list_ids": ["VIP"]}, "list_ids": ["VIP"]}, 400),
        ("remove_list_memberships", {"source": {"contact_ids": _many(501)}, "list_ids": ["VIP"]}, 400),
        ("remove_list_memberships", {"source": {"contact_ids": ["C"]}, "list_ids": _many(51)}, 400),
        ("remove_list_memberships", {"source": {"contact_ids": ["C"]}, "list_ids": []}, 400),
        ("remove_list_memberships", {"source": {"contact_ids": ["C"]}}, 400),
        ("remove_list_memberships", {"source": {"contact_ids": ["C"]}, "list_ids": [_many(1)[0]]}, 404),
        ("add_list_memberships", {"source": {"contact_ids": ["C"]}, "list_ids": [_many(1)[0]]}, 400),
        ("remove_list_memberships", {"source": {"contact_ids": ["C"]}, "list_ids": ["VIP"],
                                     "exclude": {"contact_ids": ["C"]}}, 400),
        ("remove_list_memberships", {"source": {"all_active_contacts": False}, "list_ids": ["VIP"]}, 400),
        ("remove_list_memberships", {"source": {"engagement_level": "high"}, "list_ids": ["VIP"]}, 400),
        ("add_list_memberships", {"source": {"segment_id": 1}, "list_ids": ["VIP"]}, 400),
        ("remove_list_memberships", {"source": {"contact_ids": ["not-a-uuid"]}, "list_ids": ["VIP"]}, 400),
        ("contact_delete", {}, 400),
        ("contact_delete", {"contact_ids": ["C"], "list_ids": ["VIP"]}, 400),
        ("contact_delete", {"contact_ids": _many(501)}, 400),
        ("contact_delete", {"list_ids": _many(51)}, 400),
        ("contact_exports", {"contact_ids": ["C"], "list_ids": ["VIP"]}, 400),
        ("contact_exports", {"list_ids": ["VIP"], "tag_ids": _many(1)}, 400),
        ("contact_exports", {"fields": ["email_optout_date"]}, 400),
        ("contact_exports", {"fields": ["favourite_colour"]}, 400),
        ("contact_exports", {"status": "gone"}, 400),
        ("contact_exports", {"contact_ids": _many(501)}, 400),
        ("contact_exports", {"exclude": {"contact_ids": _many(51)}}, 400),
        ("contact_exports", {"segment_id": 4}, 404),
    ],
)
async def test_validation(client: httpx.AsyncClient, sandbox: Sandbox, kind: str, body: dict[str, Any],
                          status: int) -> None:
    vip, contact = sandbox.list_id("VIP"), sandbox.contact_ids(limit=1)[0]

    def fill(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: fill(v) for k, v in value.items()}
        if isinstance(value, list):
            return [fill(v) for v in value]
        return {"VIP": vip, "C": contact}.get(value, value) if isinstance(value, str) else value

    r = await post(client, kind, fill(body))
    assert r.status_code == status, r.text
    assert isinstance(r.json(), list)


async def test_unknown_activity_is_404(client: httpx.AsyncClient) -> None:
    for bad in ("00000000-0000-4000-8000-000000000000", "nope"):
        assert (await client.get(f"/v3/activities/{bad}")).status_code == 404
        assert (await client.get(f"/v3/contact_exports/{bad}")).status_code == 404


async def test_too_many_queued_activities_is_429(client: httpx.AsyncClient, sandbox: Sandbox,
                                                 clock: FakeClock) -> None:
    body = {"contact_ids": [sandbox.contact_ids(limit=1)[0]]}
    for _ in range(5):
        assert (await post(client, "contact_exports", body)).status_code == 201
    r = await post(client, "contact_exports", body)
    assert r.status_code == 429 and isinstance(r.json(), list)
    clock.advance(1)
    assert (await post(client, "contact_exports", body)).status_code == 201


async def test_export_csv(client: httpx.AsyncClient, sandbox: Sandbox, clock: FakeClock) -> None:
    fields = ["email_address", "first_name", "email_optout_source", "email_optout_date", "email_optout_reason"]
    r = await post(client, "contact_exports", {"status": "unsubscribed", "fields": fields})
    assert r.status_code == 201, r.text
    act = r.json()
    assert "results" not in act["_links"]
    assert act["status"]["items_total_count"] == len(sandbox.contact_ids("unsubscribed"))
    assert (await client.get(f"/v3/contact_exports/{act['activity_id']}")).status_code == 404  # not ready
    clock.advance(1)
    done = await state(client, act)
    href = done["_links"]["results"]["href"]
    assert href == f"/v3/contact_exports/{act['activity_id']}"
    r = await client.get(href)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(r.text)))
    assert rows[0] == fields
    expected = []
    for cid in sandbox.contact_ids("unsubscribed"):
        e = sandbox.contact_json(cid)["email_address"]
        expected.append([e["address"], sandbox.contact_json(cid).get("first_name", ""), e["opt_out_source"],
                         e["opt_out_date"], e.get("opt_out_reason", "")])
    assert [row[:3] + row[4:] for row in rows[1:]] == [row[:3] + row[4:] for row in expected]
    # the CSV writes dates in UTC, the API with an offset: the same instants
    assert [parse_datetime(row[3]) for row in rows[1:]] == [parse_datetime(row[3]) for row in expected]


async def test_default_export_has_list_columns(client: httpx.AsyncClient, sandbox: Sandbox,
                                               clock: FakeClock) -> None:
    vip = sandbox.list_id("VIP")
    r = await post(client, "contact_exports", {"list_ids": [vip]})
    clock.advance(1)
    text = (await client.get((await state(client, r.json()))["_links"]["results"]["href"])).text
    rows = list(csv.DictReader(io.StringIO(text)))
    active_lists = [d["name"] for d in sandbox.lists() if "deleted_at" not in d]
    assert set(active_lists) <= set(rows[0])
    assert {"email_address", "first_name", "last_name", "company_name", "email_optin_source", "email_optin_date",
            "email_optout_source", "email_optout_date", "email_optout_reason"} <= set(rows[0])
    assert rows and all(row["VIP"] == "x" for row in rows)


async def test_zero_seconds_completes_by_the_next_request(clock: FakeClock) -> None:
    from ccdesk.sandbox.app import create_app

    app = create_app(SandboxConfig(contacts=10, rate_limit=0, tokens=[TOKEN], clock=clock, activity_seconds=0))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t",
                                 headers={"Authorization": f"Bearer {TOKEN}"}) as c:
        r = await c.post("/v3/activities/contact_exports", json={})
        assert r.json()["state"] == "initialized"
        assert (await c.get(r.json()["_links"]["self"]["href"])).json()["state"] == "completed"
