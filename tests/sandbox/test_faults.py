"""Fault injection (uvicorn for the network-level ones), control endpoints and request counters."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator

import httpx
import pytest

from ccdesk.sandbox.faults import ConnectionDropped
from ccdesk.sandbox.server import SandboxServer
from ccdesk.sandbox.state import Sandbox

from .conftest import AUTH
from .helpers import put_body


@pytest.fixture
def server(start_sandbox: Callable[..., SandboxServer]) -> SandboxServer:
    return start_sandbox(contacts=50, rate_limit=0)


@pytest.fixture
def http(server: SandboxServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.base_url, headers=AUTH, timeout=10) as c:
        yield c


def test_latency(server: SandboxServer, http: httpx.Client) -> None:
    server.sandbox.faults.update({"latency_ms": 250})
    started = time.perf_counter()
    assert http.get("/v3/contacts/counts").status_code == 200
    assert time.perf_counter() - started >= 0.25
    server.sandbox.faults.update({"latency_ms": 0})


def test_throttle_burst(server: SandboxServer, http: httpx.Client) -> None:
    server.sandbox.faults.update({"throttle_next": 2})
    for _ in range(2):
        r = http.get("/v3/contacts")
        assert r.status_code == 429
        assert r.json() == {"error_key": "throttled", "error_message": "Too Many Requests"}
        assert "retry-after" not in r.headers
    assert http.get("/v3/contacts").status_code == 200


@pytest.mark.parametrize("status", [500, 502, 503])
def test_5xx(server: SandboxServer, http: httpx.Client, status: int) -> None:
    server.sandbox.faults.update({"error_next": 3, "error_status": status})
    for _ in range(3):
        r = http.get("/v3/contacts")
        assert r.status_code == status and isinstance(r.json(), list)
    assert http.get("/v3/contacts").status_code == 200


def test_html_error_page(server: SandboxServer, http: httpx.Client) -> None:
    server.sandbox.faults.update({"html_next": 1})
    r = http.get("/v3/contacts")
    assert r.status_code == 502 and r.headers["content-type"].startswith("text/html")
    assert "<html>" in r.text
    with pytest.raises(json.JSONDecodeError):
        r.json()
    assert http.get("/v3/contacts").status_code == 200


def test_malformed_body(server: SandboxServer, http: httpx.Client) -> None:
    server.sandbox.faults.update({"malformed_next": 1})
    r = http.get("/v3/contacts")
    assert r.status_code == 200 and int(r.headers["content-length"]) == len(r.content)
    with pytest.raises(json.JSONDecodeError):
        r.json()
    assert http.get("/v3/contacts").json()["contacts"]


def test_dropped_connection(server: SandboxServer, http: httpx.Client) -> None:
    server.sandbox.faults.update({"drop_next": 1})
    with pytest.raises(httpx.TransportError):
        http.get("/v3/contacts")
    assert http.get("/v3/contacts").status_code == 200
    assert server.sandbox.requests_matching("GET", "/v3/contacts") == 2


def test_dropped_after_the_effect(server: SandboxServer, http: httpx.Client) -> None:
    sb = server.sandbox
    cid = sb.contact_ids("active", limit=1)[0]
    body = put_body(sb.contact_json(cid), first_name="Applied")
    sb.faults.update({"drop_after_next": 1, "only": "^PUT "})
    assert http.get(f"/v3/contacts/{cid}").status_code == 200  # not a PUT: unaffected
    with pytest.raises(httpx.TransportError):
        http.put(f"/v3/contacts/{cid}", json=body)
    assert sb.contact_json(cid)["first_name"] == "Applied"  # the service did it; the answer was lost
    assert http.put(f"/v3/contacts/{cid}", json=body).status_code == 200
    assert sb.requests_matching("PUT", "/v3/contacts/") == 2


def test_only_narrows_faults(server: SandboxServer, http: httpx.Client) -> None:
    server.sandbox.faults.update({"error_next": 1, "only": r"^GET /v3/contact_lists"})
    assert http.get("/v3/contacts").status_code == 200
    assert http.get("/v3/contact_lists").status_code == 503
    assert http.get("/v3/contact_lists").status_code == 200


def test_expired_tokens_through_the_control_endpoint(server: SandboxServer, http: httpx.Client) -> None:
    assert http.post("/_sandbox/faults", json={"expire_tokens": True}).status_code == 200
    r = http.get("/v3/contacts")
    assert r.status_code == 401
    assert r.json() == {"error_key": "unauthorized", "error_message": "Unauthorized"}
    assert http.post("/_sandbox/tokens", json={"token": "fresh"}).status_code == 204
    assert http.get("/v3/contacts", headers={"Authorization": "Bearer fresh"}).status_code == 200
    assert http.post("/_sandbox/tokens/expire").status_code == 204
    assert http.get("/v3/contacts", headers={"Authorization": "Bearer fresh"}).status_code == 401


def test_fault_control_endpoints(server: SandboxServer, http: httpx.Client) -> None:
    r = http.get("/_sandbox/faults")
    assert r.json()["error_next"] == 0 and "only" in r.json()
    r = http.post("/_sandbox/faults", json={"error_next": 2, "error_status": 502, "latency_ms": 5})
    assert r.status_code == 200 and r.json()["error_next"] == 2
    assert server.sandbox.faults.error_status == 502
    for bad in ({"error_next": -1}, {"error_next": "2"}, {"nonsense": 1}, {"error_status": 418},
                {"only": "("}, {"latency_ms": True}):
        assert http.post("/_sandbox/faults", json=bad).status_code == 400, bad
    assert http.request("DELETE", "/_sandbox/faults").json()["error_next"] == 0
    assert server.sandbox.faults.latency_ms == 0


def test_request_counters(server: SandboxServer, http: httpx.Client) -> None:
    cid = server.sandbox.contact_ids(limit=1)[0]
    http.get("/v3/contacts")
    http.get(f"/v3/contacts/{cid}")
    http.get(f"/v3/contacts/{cid}")
    counts = http.get("/_sandbox/requests").json()["counts"]
    assert counts == {"GET /v3/contacts": 1, f"GET /v3/contacts/{cid}": 2}
    assert server.sandbox.requests_matching("GET") == 3
    assert server.sandbox.requests_matching(path_prefix="/v3/contacts/") == 2
    assert http.request("DELETE", "/_sandbox/requests").status_code == 204
    assert http.get("/_sandbox/requests").json() == {"counts": {}, "refused": {}, "log": []}


def test_control_contacts(server: SandboxServer, http: httpx.Client) -> None:
    r = http.post("/_sandbox/contacts", json={"first_name": "Added", "email_address": {"address": "added@x.org"}})
    assert r.status_code == 201
    cid = r.json()["contact_id"]
    assert http.get(f"/_sandbox/contacts/{cid}").json()["first_name"] == "Added"
    assert http.post("/_sandbox/contacts", json={"email_address": {"address": "added@x.org"}}).status_code == 409
    info = http.get("/_sandbox/").json()
    assert info["contacts"] == 51 and len(info["lists"]) == 7


@pytest.mark.asyncio
async def test_in_process_drop_raises_a_transport_error(client: httpx.AsyncClient, sandbox: Sandbox) -> None:
    sandbox.faults.update({"drop_next": 1})
    with pytest.raises(httpx.TransportError) as caught:
        await client.get("/v3/contacts")
    assert isinstance(caught.value, ConnectionDropped)
    assert (await client.get("/v3/contacts")).status_code == 200


@pytest.mark.asyncio
async def test_in_process_malformed_and_5xx(client: httpx.AsyncClient, sandbox: Sandbox) -> None:
    sandbox.faults.update({"malformed_next": 1})
    r = await client.get("/v3/contact_lists")
    with pytest.raises(json.JSONDecodeError):
        r.json()
    sandbox.faults.update({"error_next": 1})
    assert (await client.get("/v3/contact_lists")).status_code == 503


async def test_cut_mid_body_drops_the_connection_after_handling_the_request() -> None:
    """Over real loopback: the client gets part of the body and then a closed connection, and the write was
    applied (like drop_after, but the answer had started)."""
    from ccdesk.sandbox.app import SandboxConfig

    with SandboxServer(SandboxConfig(contacts=5, seed=1, rate_limit=0, tokens=["t"])) as server:
        sb = server.sandbox
        cid = sb.contact_ids(status="active")[0]
        sb.faults.update({"cut_next": 1})
        async with httpx.AsyncClient(base_url=server.api_base + "/", headers={"Authorization": "Bearer t"}) as http:
            with pytest.raises(httpx.RemoteProtocolError):
                await http.get(f"contacts/{cid}")
            ok = await http.get(f"contacts/{cid}")
        assert ok.status_code == 200 and sb.faults.cut_next == 0
