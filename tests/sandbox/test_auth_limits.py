"""Bearer tokens (401/403), 4 requests per second and the daily quota (429)."""

from __future__ import annotations

import httpx
import pytest
from starlette.applications import Starlette

from ccdesk.sandbox.app import SandboxConfig, create_app
from ccdesk.sandbox.state import Sandbox

from .conftest import AUTH, TOKEN, FakeClock

pytestmark = pytest.mark.asyncio
UNAUTHORIZED = {"error_key": "unauthorized", "error_message": "Unauthorized"}
THROTTLED = {"error_key": "throttled", "error_message": "Too Many Requests"}
QUOTA = {"error_key": "quota_exceeded", "error_message": "Limit Exceeded"}


def limited_client(clock: FakeClock, **overrides: object) -> tuple[httpx.AsyncClient, Sandbox]:
    options: dict[str, object] = {"contacts": 20, "tokens": [TOKEN], "clock": clock, **overrides}
    app: Starlette = create_app(SandboxConfig(**options))  # type: ignore[arg-type]
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://sandbox.test", headers=AUTH)
    return client, app.state.sandbox


@pytest.mark.parametrize(
    "authorization",
    [None, "", "Bearer", "Bearer ", "Bearer nope", f"Basic {TOKEN}", TOKEN, f"Token {TOKEN}"],
)
async def test_401_single_object(app: Starlette, authorization: str | None) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://sandbox.test") as c:
        for path in ("/v3/contacts", "/v3/contact_lists", "/v3/does/not/exist"):
            r = await c.get(path, headers=headers)
            assert r.status_code == 401
            assert r.json() == UNAUTHORIZED


async def test_scheme_is_case_insensitive(client: httpx.AsyncClient) -> None:
    r = await client.get("/v3/contacts", headers={"Authorization": f"bearer {TOKEN}"})
    assert r.status_code == 200


async def test_expired_tokens_are_401(client: httpx.AsyncClient, sandbox: Sandbox, clock: FakeClock) -> None:
    issued = sandbox.tokens.issue(lifetime_s=60)
    headers = {"Authorization": f"Bearer {issued.token}"}
    assert (await client.get("/v3/contacts", headers=headers)).status_code == 200
    clock.advance(61)
    r = await client.get("/v3/contacts", headers=headers)
    assert r.status_code == 401 and r.json() == UNAUTHORIZED
    sandbox.tokens.expire_all()  # fixed tokens too
    r = await client.get("/v3/contacts")
    assert r.status_code == 401 and r.json() == UNAUTHORIZED


async def test_token_without_contact_data_scope_is_403(client: httpx.AsyncClient, sandbox: Sandbox) -> None:
    sandbox.tokens.add_fixed("campaigns-only", scope="campaign_data offline_access")
    r = await client.get("/v3/contacts", headers={"Authorization": "Bearer campaigns-only"})
    assert r.status_code == 403
    assert isinstance(r.json(), list)


async def test_four_per_second_then_throttled(clock: FakeClock) -> None:
    client, _ = limited_client(clock, rate_limit=4.0)
    async with client:
        for _ in range(4):
            assert (await client.get("/v3/contact_lists")).status_code == 200
        r = await client.get("/v3/contact_lists")
        assert r.status_code == 429 and r.json() == THROTTLED
        assert "retry-after" not in r.headers and not any(h.startswith("x-ratelimit") for h in r.headers)
        clock.advance(0.5)
        assert (await client.get("/v3/contact_lists")).status_code == 429  # a sliding window of one second
        clock.advance(0.51)
        for _ in range(4):
            assert (await client.get("/v3/contact_lists")).status_code == 200
        assert (await client.get("/v3/contact_lists")).status_code == 429


async def test_retry_after_switch_and_refusal_counter(clock: FakeClock) -> None:
    client, sb = limited_client(clock, rate_limit=1.0)
    sb.faults.update({"retry_after": 2})
    async with client:
        assert (await client.get("/v3/contact_lists")).status_code == 200
        r = await client.get("/v3/contact_lists")
        assert r.status_code == 429 and r.headers["retry-after"] == "2"
    assert sb.refused == {"throttled": 1} and len(sb.arrivals) == 2


async def test_paced_requests_pass(clock: FakeClock) -> None:
    client, _ = limited_client(clock, rate_limit=4.0)
    async with client:
        for _ in range(20):
            assert (await client.get("/v3/contacts/counts")).status_code == 200
            clock.advance(0.26)


async def test_fractional_rate(clock: FakeClock) -> None:
    client, _ = limited_client(clock, rate_limit=0.5)
    async with client:
        assert (await client.get("/v3/contact_lists")).status_code == 200
        clock.advance(1.9)
        assert (await client.get("/v3/contact_lists")).status_code == 429
        clock.advance(0.2)
        assert (await client.get("/v3/contact_lists")).status_code == 200


async def test_limit_is_per_client_not_per_token(clock: FakeClock) -> None:
    client, sb = limited_client(clock, rate_limit=2.0)
    first = sb.tokens.issue(3600, client_id="app-1").token
    refreshed = sb.tokens.issue(3600, client_id="app-1").token
    other_app = sb.tokens.issue(3600, client_id="app-2").token
    async with client:
        for token in (first, refreshed):
            r = await client.get("/v3/contact_lists", headers={"Authorization": f"Bearer {token}"})
            assert r.status_code == 200
        r = await client.get("/v3/contact_lists", headers={"Authorization": f"Bearer {first}"})
        assert r.status_code == 429
        r = await client.get("/v3/contact_lists", headers={"Authorization": f"Bearer {other_app}"})
        assert r.status_code == 200
        assert (await client.get("/v3/contact_lists")).status_code == 200  # the fixed token is its own key


async def test_daily_quota_resets_at_midnight_utc(clock: FakeClock) -> None:
    clock.now = 1_790_035_200.0 - 10  # ten seconds before 2026-09-22T00:00:00Z
    client, _ = limited_client(clock, rate_limit=0, daily_quota=5)
    async with client:
        for _ in range(5):
            assert (await client.get("/v3/contact_lists")).status_code == 200
        r = await client.get("/v3/contact_lists")
        assert r.status_code == 429 and r.json() == QUOTA
        clock.advance(9)
        assert (await client.get("/v3/contact_lists")).status_code == 429
        clock.advance(1)
        assert (await client.get("/v3/contact_lists")).status_code == 200


async def test_throttled_requests_do_not_use_quota(clock: FakeClock) -> None:
    client, sb = limited_client(clock, rate_limit=1.0, daily_quota=3)
    async with client:
        assert (await client.get("/v3/contact_lists")).status_code == 200
        for _ in range(5):
            assert (await client.get("/v3/contact_lists")).status_code == 429
        assert sb.limiter.used_today(TOKEN) == 1


async def test_limits_off_with_zero(clock: FakeClock) -> None:
    client, _ = limited_client(clock, rate_limit=0, daily_quota=0)
    async with client:
        for _ in range(30):
            assert (await client.get("/v3/contacts/counts")).status_code == 200


async def test_control_endpoints_need_no_token_and_are_not_limited(clock: FakeClock) -> None:
    client, _ = limited_client(clock, rate_limit=1.0)
    async with client:
        for _ in range(5):
            r = await client.get("/_sandbox/faults", headers={"Authorization": ""})
            assert r.status_code == 200
