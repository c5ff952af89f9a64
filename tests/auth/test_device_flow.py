"""The device flow (RFC 8628) against the sandbox: pending, slow_down, expiry, denial, cancel, the verification page.

Time is the sandbox's fake clock: the flow's `sleep` moves it instead of waiting."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import httpx
import pytest

from ccdesk.auth import DeviceFlow, SignInCancelled, SignInDenied, SignInTimeout

from .conftest import CLIENT_ID, FakeClock, Sandbox

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"


class FakeSleep:
    """Advances the fake clock by what was asked (or by `override(call_no, seconds)`), and runs `hook` after."""

    def __init__(self, clock: FakeClock, hook: Callable[[int], None] | None = None,
                 override: Callable[[int, float], float] | None = None) -> None:
        self.clock, self.hook, self.override = clock, hook, override
        self.calls: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)
        self.clock.advance(self.override(len(self.calls), seconds) if self.override else seconds)
        if self.hook:
            self.hook(len(self.calls))
        await asyncio.sleep(0)


class DecideOn:
    """A FakeSleep hook: at sleep number `call`, the person approves (or denies) `flow`'s code in the sandbox."""

    def __init__(self, sandbox: Sandbox, call: int, *, approve: bool = True) -> None:
        self.sandbox, self.call, self.approve = sandbox, call, approve
        self.flow: DeviceFlow | None = None

    def __call__(self, call: int) -> None:
        if call == self.call:
            assert self.flow is not None and self.flow.code is not None
            oauth = self.sandbox.oauth
            (oauth.approve_device if self.approve else oauth.deny_device)(self.flow.code.user_code)


def _flow(sandbox: Sandbox, sleep: FakeSleep, **kw: object) -> DeviceFlow:
    return DeviceFlow(sandbox.auth_config(), sleep=sleep, clock=sandbox.clock, now=sandbox.clock.now, **kw)


@pytest.mark.asyncio
async def test_pending_then_approved_from_python(sandbox: Sandbox) -> None:
    sandbox.config.auto_approve = False
    updates: list[str] = []

    approve_on_third_sleep = DecideOn(sandbox, 3)
    sleep = FakeSleep(sandbox.clock, approve_on_third_sleep)
    flow = approve_on_third_sleep.flow = _flow(sandbox, sleep, on_update=lambda f: updates.append(f.status))
    code = await flow.start()
    assert code.verification_uri == f"{sandbox.base_url}/activate"
    assert code.verification_uri_complete == f"{sandbox.base_url}/activate?user_code={code.user_code}"
    assert (code.expires_in, code.interval) == (600, 5) and len(code.user_code) == 9
    assert "device_code" not in repr(code)
    assert flow.seconds_left() == 600
    tokens = await flow.wait()
    assert sandbox.tokens.lookup(tokens.access_token) is not None and tokens.refresh_token
    assert sleep.calls == [5, 5, 5] and flow.polls == 3  # two authorization_pending answers, then tokens
    assert updates == ["waiting", "done"]
    assert flow.seconds_left() == 585


@pytest.mark.asyncio
async def test_auto_approve_answers_the_first_poll(sandbox: Sandbox) -> None:
    flow = _flow(sandbox, FakeSleep(sandbox.clock))
    await flow.start()
    await flow.wait()
    assert flow.polls == 1


@pytest.mark.asyncio
async def test_slow_down_adds_five_seconds(sandbox: Sandbox) -> None:
    sandbox.config.auto_approve = False

    approve_late = DecideOn(sandbox, 4)
    # The second pause is cut short (a suspended laptop waking up, say): that poll comes too early.
    sleep = FakeSleep(sandbox.clock, approve_late, override=lambda n, s: 1.0 if n == 2 else s)
    flow = approve_late.flow = _flow(sandbox, sleep, on_update=lambda f: None)
    await flow.start()
    await flow.wait()
    assert sleep.calls == [5, 5, 10, 10]  # after slow_down the flow waits interval + 5
    assert sandbox.oauth.device_grants()[0].interval == 10


@pytest.mark.asyncio
async def test_raw_polls_too_fast_get_slow_down(sandbox: Sandbox) -> None:
    sandbox.config.auto_approve = False
    async with httpx.AsyncClient(base_url=sandbox.base_url) as web:
        start = (await web.post("/oauth2/default/v1/device/authorize",
                                data={"client_id": CLIENT_ID, "scope": "contact_data offline_access"})).json()
        poll = {"grant_type": DEVICE_GRANT, "client_id": CLIENT_ID, "device_code": start["device_code"]}
        first = await web.post("/oauth2/default/v1/token", data=poll)
        second = await web.post("/oauth2/default/v1/token", data=poll)
        sandbox.clock.advance(10)
        third = await web.post("/oauth2/default/v1/token", data=poll)
        sandbox.clock.advance(600)
        late = await web.post("/oauth2/default/v1/token", data=poll)
    assert first.json()["error"] == "authorization_pending"
    assert second.json()["error"] == "slow_down"
    assert third.json()["error"] == "authorization_pending"
    assert late.json()["error"] == "expired_token"
    assert sandbox.oauth.device_grants()[0].interval == 10


@pytest.mark.asyncio
async def test_server_side_expiry(sandbox: Sandbox) -> None:
    """The server's expired_token ends the flow, even when the app's own clock thinks there is time left."""
    sandbox.config.auto_approve = False
    sandbox.oauth.device_expires_in_s = 30
    sleep = FakeSleep(sandbox.clock)
    flow = DeviceFlow(sandbox.auth_config(), sleep=sleep, now=sandbox.clock.now)  # real monotonic clock
    await flow.start()
    with pytest.raises(SignInTimeout, match="expired before it was approved") as caught:
        await flow.wait()
    assert caught.value.error_key == "expired_token" and flow.status == "expired"
    assert len(sleep.calls) == 6  # polls at 5..25 s pending, at 30 s expired


@pytest.mark.asyncio
async def test_local_expiry_stops_polling(sandbox: Sandbox) -> None:
    sandbox.config.auto_approve = False
    sandbox.oauth.device_expires_in_s = 12
    flow = _flow(sandbox, FakeSleep(sandbox.clock))
    await flow.start()
    with pytest.raises(SignInTimeout):
        await flow.wait()
    assert flow.polls == 2 and flow.seconds_left() == 0


@pytest.mark.asyncio
async def test_denied(sandbox: Sandbox) -> None:
    sandbox.config.auto_approve = False

    deny = DecideOn(sandbox, 2, approve=False)
    flow = deny.flow = _flow(sandbox, FakeSleep(sandbox.clock, deny))
    await flow.start()
    with pytest.raises(SignInDenied, match="You declined access"):
        await flow.wait()
    assert flow.status == "denied"


@pytest.mark.asyncio
async def test_cancel_stops_waiting_at_once(sandbox: Sandbox) -> None:
    sandbox.config.auto_approve = False
    flow = DeviceFlow(sandbox.auth_config())  # real sleep: 5 s between polls
    await flow.start()
    asyncio.get_running_loop().call_later(0.05, flow.cancel)
    with pytest.raises(SignInCancelled):
        await asyncio.wait_for(flow.wait(), 2)
    assert flow.status == "cancelled" and flow.polls == 0


@pytest.mark.asyncio
async def test_verification_page_approves(sandbox: Sandbox) -> None:
    sandbox.config.auto_approve = False

    async def user_in_browser(call: int) -> None:
        assert flow.code is not None and flow.code.verification_uri_complete
        async with httpx.AsyncClient() as web:
            page = await web.get(flow.code.verification_uri_complete)
            assert flow.code.user_code in page.text and "Approve" in page.text
            entry = await web.get(flow.code.verification_uri)
            assert "user_code" in entry.text  # the page where the code is typed in
            done = await web.post(flow.code.verification_uri,
                                  data={"user_code": flow.code.user_code.lower(), "decision": "approve"})
            assert done.status_code == 200 and "approved" in done.text

    pending: list[asyncio.Task[None]] = []
    sleep = FakeSleep(sandbox.clock, lambda n: pending.append(asyncio.ensure_future(user_in_browser(n)))
                      if n == 1 else None)

    async def sleep_then_browse(seconds: float) -> None:
        await sleep(seconds)
        await asyncio.gather(*pending)

    flow = DeviceFlow(sandbox.auth_config(), sleep=sleep_then_browse, clock=sandbox.clock, now=sandbox.clock.now)
    await flow.start()
    tokens = await flow.wait()
    assert sandbox.tokens.lookup(tokens.access_token) is not None and flow.polls == 1


@pytest.mark.asyncio
async def test_device_authorize_needs_client_and_scope(sandbox: Sandbox) -> None:
    async with httpx.AsyncClient(base_url=sandbox.base_url) as web:
        no_client = await web.post("/oauth2/default/v1/device/authorize", data={"scope": "contact_data"})
        bad_scope = await web.post("/oauth2/default/v1/device/authorize",
                                   params={"client_id": CLIENT_ID, "scope": "everything"})
    assert no_client.status_code == 401 and no_client.json()["error"] == "invalid_client"
    assert bad_scope.status_code == 400 and bad_scope.json()["error"] == "invalid_scope"
