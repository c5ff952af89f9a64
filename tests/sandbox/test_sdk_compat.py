"""What the official Python SDK sends, and what the sandbox used to refuse (issue 19): basic-offset date-times
with microseconds, `"all_active_contacts": false` beside the real source, and /contact_custom_fields."""

from __future__ import annotations

import httpx
import pytest

from ccdesk.sandbox.state import Sandbox
from ccdesk.sandbox.timefmt import parse_datetime

from .helpers import error_keys


@pytest.mark.parametrize("text, iso", [
    ("2026-11-30T21:48:34.491844+0000", "2026-11-30T21:48:34.491+00:00"),
    ("2026-11-30T21:48:34.491844-0530", "2026-11-30T21:48:34.491-05:30"),
    ("2026-11-30T21:48:34+0100", "2026-11-30T21:48:34+01:00"),
])
def test_basic_offsets_mean_what_extended_ones_do(text: str, iso: str) -> None:
    assert parse_datetime(text) == parse_datetime(iso)


@pytest.mark.parametrize("text", ["2026-11-30T21:48:34.491844", "2026-11-30T21:48:34+00", "2026-11-30T21:48:34+0060",
                                  "2026-11-30T21:48:34+00:0", "2026-11-30T21:48:34+000"])
def test_zoneless_and_malformed_offsets_are_still_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_datetime(text)


async def test_sdk_date_filter_is_accepted(client: httpx.AsyncClient) -> None:
    answers = []
    for when in ("2026-01-01T00:00:00.000000+0000", "2026-01-01T00:00:00Z"):
        r = await client.get("/v3/contacts", params={"status": "all", "optout_after": when, "limit": 500})
        assert r.status_code == 200, r.text
        answers.append([c["contact_id"] for c in r.json()["contacts"]])
    assert answers[0] == answers[1] and answers[0]


@pytest.mark.parametrize("kind", ["add_list_memberships", "remove_list_memberships"])
async def test_all_active_contacts_false_is_no_source(client: httpx.AsyncClient, sandbox: Sandbox, kind: str) -> None:
    ids = sandbox.contact_ids(status="active", limit=2)
    lst = sandbox.lists()[0]["list_id"]
    body = {"source": {"all_active_contacts": False, "contact_ids": ids}, "list_ids": [lst]}
    r = await client.post(f"/v3/activities/{kind}", json=body)
    assert r.status_code == 201, r.text
    assert r.json()["status"]["items_total_count"] == 2
    # false alone still names no source, and true beside another source is still two
    r = await client.post(f"/v3/activities/{kind}", json={"source": {"all_active_contacts": False}, "list_ids": [lst]})
    assert r.status_code == 400 and error_keys(r) == ["contacts.api.validation.error"]
    body["source"]["all_active_contacts"] = True
    r = await client.post(f"/v3/activities/{kind}", json=body)
    assert r.status_code == 400 and "exactly one" in r.json()[0]["error_message"]


async def test_custom_fields_list_pages_and_reads_one(client: httpx.AsyncClient, sandbox: Sandbox) -> None:
    seeded = sandbox.custom_fields()
    r = await client.get("/v3/contact_custom_fields", params={"limit": 3})
    assert r.status_code == 200, r.text
    first = r.json()
    assert [f["label"] for f in first["custom_fields"]] == list(seeded.values())[:3]
    r = await client.get(first["_links"]["next"]["href"])
    rest = r.json()
    assert "_links" not in rest
    got = first["custom_fields"] + rest["custom_fields"]
    assert {f["custom_field_id"]: f["label"] for f in got} == seeded
    r = await client.get(f"/v3/contact_custom_fields/{got[1]['custom_field_id']}")
    assert r.status_code == 200 and r.json() == got[1]


@pytest.mark.parametrize("path, status", [
    ("/v3/contact_custom_fields?limit=101", 400), ("/v3/contact_custom_fields?limit=0", 400),
    ("/v3/contact_custom_fields?sort=x", 400), ("/v3/contact_custom_fields/not-an-id", 404),
    ("/v3/contact_custom_fields/00000000-0000-4000-8000-000000000000", 404),
])
async def test_custom_field_refusals(client: httpx.AsyncClient, path: str, status: int) -> None:
    r = await client.get(path)
    assert r.status_code == status, r.text


async def test_custom_fields_need_a_token(client: httpx.AsyncClient) -> None:
    r = await client.get("/v3/contact_custom_fields", headers={"Authorization": "Bearer nope"})
    assert r.status_code == 401


@pytest.mark.parametrize("method, path", [
    ("POST", "/v3/contact_custom_fields"), ("PUT", "/v3/contact_custom_fields/{id}"),
    ("DELETE", "/v3/contact_custom_fields/{id}"),
])
async def test_custom_field_writes_are_not_emulated(client: httpx.AsyncClient, sandbox: Sandbox, method: str,
                                                    path: str) -> None:
    field_id = next(iter(sandbox.custom_fields()))
    r = await client.request(method, path.format(id=field_id), json={"label": "x", "type": "string"})
    assert r.status_code == 405 and error_keys(r) == ["contacts.api.method.not.allowed"]
    assert sandbox.custom_fields()[field_id] != "x"
