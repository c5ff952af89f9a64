"""Cursor paging over real HTTP (uvicorn): every contact exactly once, stable under concurrent changes."""

from __future__ import annotations

import base64
import math
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from ccdesk.sandbox.server import SandboxServer

from .conftest import AUTH
from .helpers import put_body


def pages(http: httpx.Client, first: str, params: dict[str, Any] | None = None,
          between: Callable[[int], None] | None = None) -> list[dict[str, Any]]:
    """Follow _links.next.href verbatim; `between(page_number)` runs before fetching each later page."""
    r = http.get(first, params=params)
    out = []
    while True:
        assert r.status_code == 200, r.text
        out.append(r.json())
        link = r.json().get("_links", {}).get("next")
        if link is None:
            return out
        href = link["href"]
        assert href.startswith("/v3/contacts?cursor=") or href.startswith("/v3/contact_lists?cursor=")
        if between is not None:
            between(len(out))
        r = http.get(href)


@pytest.fixture
def http() -> Any:
    return lambda server: httpx.Client(base_url=server.base_url, headers=AUTH, timeout=30)


@pytest.mark.parametrize("n", [0, 1, 499, 500, 501, 12_345])
def test_every_contact_exactly_once(start_sandbox: Callable[..., SandboxServer], http: Any, n: int) -> None:
    server = start_sandbox(contacts=n, rate_limit=0, seed=3)
    expected = server.sandbox.contact_ids(status="all")
    assert len(expected) == n
    with http(server) as c:
        got = pages(c, "/v3/contacts", {"status": "all", "limit": 500})
        assert len(got) == max(1, math.ceil(n / 500))
        assert all(len(p["contacts"]) == 500 for p in got[:-1])
        assert "_links" not in got[-1]
        ids = [x["contact_id"] for p in got for x in p["contacts"]]
        assert ids == expected
        if n <= 501:
            small = pages(c, "/v3/contacts", {"status": "all", "limit": 100})
            assert [x["contact_id"] for p in small for x in p["contacts"]] == expected
            assert len(small) == max(1, math.ceil(n / 100))


def test_cursor_carries_limit_and_filters(start_sandbox: Callable[..., SandboxServer], http: Any) -> None:
    server = start_sandbox(contacts=400, rate_limit=0)
    with http(server) as c:
        got = pages(c, "/v3/contacts", {"status": "unsubscribed", "limit": 7, "include": "list_memberships",
                                        "include_count": "true"})
        contacts = [x for p in got for x in p["contacts"]]
        assert all(len(p["contacts"]) == 7 for p in got[:-1])
        assert {x["email_address"]["permission_to_send"] for x in contacts} == {"unsubscribed"}
        assert all("list_memberships" in x for x in contacts)
        assert {p["contacts_count"] for p in got} == {len(contacts)}
        assert [x["contact_id"] for x in contacts] == server.sandbox.contact_ids("unsubscribed")
        cursor = got[0]["_links"]["next"]["href"].split("cursor=", 1)[1]
        decoded = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        assert "limit=7" in decoded and "status=unsubscribed" in decoded and "next=" in decoded


def test_stable_under_concurrent_updates_creates_and_deletes(
    start_sandbox: Callable[..., SandboxServer], http: Any
) -> None:
    server = start_sandbox(contacts=1200, rate_limit=0, seed=5)
    sb = server.sandbox
    initial = sb.contact_ids(status="all")
    created: list[str] = []
    with http(server) as c:

        def churn(page: int) -> None:
            # change contacts on both sides of the cursor, create some, delete some
            for cid in (initial[page * 37 % len(initial)], initial[-page * 11 % len(initial)]):
                body = put_body(sb.contact_json(cid), first_name=f"Changed {page}")
                if "deleted_at" not in body:
                    assert c.put(f"/v3/contacts/{cid}", json=body).status_code == 200
            created.append(sb.add_contact(first_name=f"New {page}"))
            c.delete(f"/v3/contacts/{initial[(page * 53) % len(initial)]}")

        got = pages(c, "/v3/contacts", {"status": "all", "limit": 50}, between=churn)
    ids = [x["contact_id"] for p in got for x in p["contacts"]]
    assert len(ids) == len(set(ids)), "a contact appeared twice"
    assert ids[: len(initial)] == initial
    assert ids[len(initial):] == created  # created during paging: after every older contact, in order


def test_default_status_drops_contacts_deleted_before_their_page(
    start_sandbox: Callable[..., SandboxServer], http: Any
) -> None:
    server = start_sandbox(contacts=600, rate_limit=0)
    sb = server.sandbox
    initial = sb.contact_ids()
    doomed = initial[-10:]
    with http(server) as c:

        def delete_tail(page: int) -> None:
            if page == 1:
                for cid in doomed:
                    assert c.delete(f"/v3/contacts/{cid}").status_code == 204

        got = pages(c, "/v3/contacts", {"limit": 100}, between=delete_tail)
    ids = [x["contact_id"] for p in got for x in p["contacts"]]
    assert ids == [cid for cid in initial if cid not in doomed]


def test_tampered_and_foreign_cursors_are_400(start_sandbox: Callable[..., SandboxServer], http: Any) -> None:
    a = start_sandbox(contacts=100, rate_limit=0)
    b = start_sandbox(contacts=100, rate_limit=0)
    with http(a) as ca, http(b) as cb:
        href = ca.get("/v3/contacts", params={"limit": 10}).json()["_links"]["next"]["href"]
        cursor = href.split("cursor=", 1)[1]
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        forged = base64.urlsafe_b64encode(raw.replace("limit=10", "limit=500").encode()).decode().rstrip("=")
        flipped = cursor[:-3] + ("A" if cursor[-3] != "A" else "B") + cursor[-2:]
        for bad in (f"/v3/contacts?cursor={forged}", f"/v3/contacts?cursor={flipped}",
                    "/v3/contacts?cursor=bm9wZQ", "/v3/contacts?cursor=%%%", "/v3/contacts?cursor=",
                    f"{href}&limit=5", f"{href}&status=all"):
            r = ca.get(bad)
            assert r.status_code == 400, bad
            assert r.json()[0]["error_key"] == "contacts.api.validation.error"
        assert cb.get(href).status_code == 400  # another sandbox instance
        lists_href = ca.get("/v3/contact_lists", params={"limit": 1}).json()["_links"]["next"]["href"]
        assert ca.get("/v3/contacts?" + lists_href.split("?", 1)[1]).status_code == 400
        assert ca.get(href).status_code == 200


def test_list_paging(start_sandbox: Callable[..., SandboxServer], http: Any) -> None:
    server = start_sandbox(contacts=10, rate_limit=0)
    with http(server) as c:
        got = pages(c, "/v3/contact_lists", {"limit": 2, "include_count": "true", "status": "all"})
        names = [x["name"] for p in got for x in p["lists"]]
        assert names == [d["name"] for d in server.sandbox.lists()]
        assert {p["lists_count"] for p in got} == {len(names)}
        assert all(len(p["lists"]) == 2 for p in got[:-1])
