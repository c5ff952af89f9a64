"""The client's error mapping, retry policy and refresh-on-401, against scripted HTTP answers."""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx
import pytest

from ccdesk.api import CCClient, RateLimiter, RetryPolicy, StaticTokenProvider, errors
from tests.api.client_extras import iter_contacts

BASE = "https://api.example.test/v3"


async def _no_sleep(_: float) -> None:
    return None


def make_client(handler: Callable[[httpx.Request], httpx.Response], tokens=None, **kw) -> CCClient:
    return CCClient(tokens or StaticTokenProvider("tok"), base_url=BASE, transport=httpx.MockTransport(handler),
                    rate_limiter=RateLimiter(rate=0), sleep=_no_sleep, **kw)


def scripted(*responses: httpx.Response | Exception):
    """A handler answering with the given responses in order, recording the requests."""
    seen: list[httpx.Request] = []
    queue = list(responses)

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        item = queue.pop(0)
        if isinstance(item, Exception):
            raise item
        return item

    handler.seen = seen  # type: ignore[attr-defined]
    return handler


def j(status: int, body: object) -> httpx.Response:
    return httpx.Response(status, json=body)


CONTACT = {"contact_id": "c1", "email_address": {"address": "a@example.com", "permission_to_send": "explicit"}}


@pytest.mark.parametrize(("status", "body", "error_type", "key"), [
    (400, [{"error_key": "contacts.api.validation.error", "error_message": "bad reason"}], errors.ValidationError,
     "contacts.api.validation.error"),
    (403, [{"error_key": "forbidden", "error_message": "no privilege"}], errors.Forbidden, "forbidden"),
    (404, [{"error_key": "contacts.api.not_found", "error_message": "gone"}], errors.NotFound,
     "contacts.api.not_found"),
    (409, [{"error_key": "contacts.api.conflict", "error_message": "Email already exists"}], errors.Conflict,
     "contacts.api.conflict"),
    (429, {"error_key": "quota_exceeded", "error_message": "Limit Exceeded"}, errors.QuotaExceeded, "quota_exceeded"),
])
async def test_error_bodies_map_to_the_hierarchy(status, body, error_type, key) -> None:
    handler = scripted(j(status, body))
    async with make_client(handler) as client:
        with pytest.raises(error_type) as info:
            await client.get_contact("c1")
    assert info.value.status == status
    assert info.value.error_key == key
    assert len(handler.seen) == 1, "non-retryable errors are not retried"


async def test_server_message_reaches_the_user() -> None:
    handler = scripted(j(400, [{"error_key": "k", "error_message": "opt_out_reason is too long"}]))
    async with make_client(handler) as client:
        with pytest.raises(errors.ValidationError, match="opt_out_reason is too long"):
            await client.get_contact("c1")


async def test_quota_exceeded_says_when_it_resets_and_is_not_retried() -> None:
    handler = scripted(j(429, {"error_key": "quota_exceeded", "error_message": "Limit Exceeded"}))
    async with make_client(handler) as client:
        with pytest.raises(errors.QuotaExceeded) as info:
            await client.get_contact("c1")
    assert "UTC" in info.value.message
    assert info.value.resets_at.hour == 0 and info.value.resets_at.minute == 0
    assert len(handler.seen) == 1


@pytest.mark.parametrize("failure", [
    j(429, {"error_key": "throttled", "error_message": "Too Many Requests"}),
    j(500, [{"error_key": "server", "error_message": "oops"}]),
    httpx.Response(502, text="<html><body>Bad gateway</body></html>", headers={"content-type": "text/html"}),
    j(503, []),
    httpx.ConnectError("refused"),
    httpx.ReadTimeout("slow"),
    httpx.Response(200, text='{"contact_id": "c1", "email', headers={"content-type": "application/json"}),
])
async def test_idempotent_calls_are_retried_until_they_succeed(failure) -> None:
    handler = scripted(failure, failure, j(200, CONTACT))
    async with make_client(handler) as client:
        contact = await client.get_contact("c1")
        assert client.stats.retries == 2
    assert contact.email == "a@example.com"
    assert len(handler.seen) == 3


async def test_retries_give_up_with_the_last_error() -> None:
    handler = scripted(*[j(503, [])] * 3)
    async with make_client(handler, retry=RetryPolicy(attempts=3)) as client:
        with pytest.raises(errors.ServerError, match="503"):
            await client.get_contact("c1")
    assert len(handler.seen) == 3


async def test_malformed_body_is_reported_not_crashed_on() -> None:
    html = httpx.Response(200, text="<html>maintenance</html>", headers={"content-type": "text/html"})
    handler = scripted(html, html)
    async with make_client(handler, retry=RetryPolicy(attempts=2)) as client:
        with pytest.raises(errors.MalformedResponse):
            await client.get_contact("c1")


def html(status: int) -> httpx.Response:
    return httpx.Response(status, text="<html><h1>Not Authorized</h1></html>",
                          headers={"content-type": "text/html; charset=utf-8"})


async def test_an_html_401_from_a_gateway_still_renews_the_sign_in() -> None:
    handler = scripted(html(401), j(200, CONTACT))
    tokens = CountingTokens()
    async with make_client(handler, tokens=tokens) as client:
        await client.get_contact("c1")
    assert tokens.refreshed_from == ["old"]


@pytest.mark.parametrize(("status", "error_type"), [(400, errors.ValidationError), (403, errors.Forbidden),
                                                    (404, errors.NotFound), (409, errors.Conflict)])
async def test_an_html_refusal_is_the_refusal_its_status_says_not_a_malformed_answer(status, error_type) -> None:
    """Not tried again every 15 minutes for ever: the item fails with a message that names what came back."""
    handler = scripted(html(status), html(status))
    async with make_client(handler, retry=RetryPolicy(attempts=2)) as client:
        with pytest.raises(error_type, match="not Constant Contact's JSON but text/html") as info:
            await client.get_contact("c1")
    assert not info.value.retryable and len(handler.seen) == 1


@pytest.mark.parametrize("status", [302, 407, 408, 418])
async def test_other_answers_that_are_not_json_are_tried_again(status) -> None:
    """A proxy's login redirect or timeout page is not Constant Contact refusing: tried again, not failed."""
    handler = scripted(html(status), j(200, CONTACT))
    async with make_client(handler, retry=RetryPolicy(attempts=2)) as client:
        await client.get_contact("c1")
    assert len(handler.seen) == 2


async def test_post_is_not_blindly_retried_on_5xx_or_network_errors() -> None:
    for failure in (j(500, []), httpx.ReadTimeout("lost answer")):
        handler = scripted(failure, j(201, {"activity_id": "a1", "state": "processing"}))
        async with make_client(handler) as client:
            with pytest.raises((errors.ServerError, errors.NetworkError)):
                await client.remove_list_memberships(["c1"], ["l1"])
        assert len(handler.seen) == 1


async def test_post_is_retried_after_throttling() -> None:
    handler = scripted(j(429, {"error_key": "throttled", "error_message": "Too Many Requests"}),
                       j(201, {"activity_id": "a1", "state": "processing"}))
    async with make_client(handler) as client:
        activity = await client.remove_list_memberships(["c1"], ["l1"])
    assert activity.activity_id == "a1"
    assert len(handler.seen) == 2


class CountingTokens:
    def __init__(self, fail_refresh: bool = False) -> None:
        self.token = "old"
        self.refreshed_from: list[str] = []
        self.fail_refresh = fail_refresh

    async def access_token(self) -> str:
        return self.token

    async def refresh(self, rejected: str) -> str:
        self.refreshed_from.append(rejected)
        if self.fail_refresh:
            raise errors.SignInRequired("sign in again")
        self.token = "new"
        return self.token


async def test_401_refreshes_once_and_repeats_the_request_with_the_new_token() -> None:
    unauthorized = j(401, {"error_key": "unauthorized", "error_message": "Unauthorized"})
    handler = scripted(unauthorized, j(200, CONTACT))
    tokens = CountingTokens()
    async with make_client(handler, tokens=tokens) as client:
        await client.get_contact("c1")
    assert tokens.refreshed_from == ["old"]
    assert [r.headers["authorization"] for r in handler.seen] == ["Bearer old", "Bearer new"]


async def test_401_after_refresh_means_sign_in_again() -> None:
    unauthorized = j(401, {"error_key": "unauthorized", "error_message": "Unauthorized"})
    handler = scripted(unauthorized, unauthorized, unauthorized)  # renewed twice (see client._send), then out
    async with make_client(handler, tokens=CountingTokens()) as client:
        with pytest.raises(errors.SignInRequired):
            await client.get_contact("c1")
    assert len(handler.seen) == 3


async def test_failed_refresh_surfaces_sign_in_required() -> None:
    handler = scripted(j(401, {"error_key": "unauthorized", "error_message": "Unauthorized"}))
    async with make_client(handler, tokens=CountingTokens(fail_refresh=True)) as client:
        with pytest.raises(errors.SignInRequired):
            await client.get_contact("c1")


async def test_next_links_to_another_host_are_not_followed() -> None:
    page = {"contacts": [CONTACT], "_links": {"next": {"href": "https://evil.example/v3/contacts?cursor=x"}}}
    handler = scripted(j(200, page))
    async with make_client(handler) as client:
        with pytest.raises(errors.MalformedResponse, match="another host"):
            async for _ in iter_contacts(client):
                pass
    assert len(handler.seen) == 1


async def test_paging_follows_relative_next_links_verbatim() -> None:
    pages = [
        j(200, {"contacts": [CONTACT], "_links": {"next": {"href": "/v3/contacts?cursor=abc"}}}),
        j(200, {"contacts": [dict(CONTACT, contact_id="c2")]}),
    ]
    handler = scripted(*pages)
    async with make_client(handler) as client:
        ids = [c.contact_id async for c in iter_contacts(client, status="all", include=["list_memberships"])]
    assert ids == ["c1", "c2"]
    first, second = handler.seen
    assert first.url.params["status"] == "all" and first.url.params["limit"] == "500"
    assert str(second.url) == "https://api.example.test/v3/contacts?cursor=abc"


async def test_token_never_appears_in_logs(caplog) -> None:
    caplog.set_level("DEBUG")
    handler = scripted(j(503, []), j(200, CONTACT))
    async with make_client(handler, tokens=StaticTokenProvider("SECRET-TOKEN-123")) as client:
        await client.get_contact("c1")
    assert "SECRET-TOKEN-123" not in caplog.text


def test_error_messages_are_plain_words() -> None:
    from ccdesk.api.errors import error_from_response

    err = error_from_response(httpx.Response(502, text="<html/>", headers={"content-type": "text/html"}))
    assert isinstance(err, errors.ServerError) and "usually pass within minutes" in err.message
    err = error_from_response(httpx.Response(429, json={"error_key": "throttled"}))
    assert isinstance(err, errors.Throttled)
    assert json.dumps(err.message)  # a plain string
