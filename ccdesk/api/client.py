"""The async Constant Contact v3 client: one httpx.AsyncClient, rate-limited, retrying, refreshing on 401."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import httpx

from .. import __version__
from . import answer_json
from .contact_writes import ContactWrites
from .errors import (
    ApiError,
    MalformedResponse,
    NetworkError,
    ReadTooOld,
    SignInRequired,
    Throttled,
    Unauthorized,
    ValidationError,
    error_from_response,
)
from .models import (
    INCLUDES,
    JSON,
    MAX_IDS_PER_ACTIVITY,
    Activity,
    Contact,
    ContactCounts,
    ContactList,
    ContactPage,
)
from .ratelimit import RateLimiter
from .retry import RetryPolicy
from .service_clock import ServiceClock
from .tokens import TokenProvider

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api.cc.email/v3"
IDEMPOTENT = frozenset({"GET", "PUT", "DELETE", "HEAD"})


@dataclass
class ClientStats:
    """What the client did, for the status bar and for tests."""

    requests: int = 0
    retries: int = 0
    refreshes: int = 0


def _iso(value: datetime | str) -> str:
    return value if isinstance(value, str) else value.isoformat()


def _csv(values: Iterable[str] | str) -> str:
    return values if isinstance(values, str) else ",".join(values)


class CCClient(ContactWrites):
    """Talks to the Constant Contact v3 API (or the sandbox) on behalf of one signed-in account."""

    def __init__(self, tokens: TokenProvider, *, base_url: str = DEFAULT_BASE_URL,
                 rate_limiter: RateLimiter | None = None, retry: RetryPolicy | None = None,
                 timeout: float = 30.0, transport: httpx.AsyncBaseTransport | None = None,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        self._tokens = tokens
        self.base_url = base_url.rstrip("/")
        parts = urlsplit(self.base_url)
        self._origin = f"{parts.scheme}://{parts.netloc}"
        self.rate_limiter = rate_limiter or RateLimiter()
        self.retry = retry or RetryPolicy()
        self.stats = ClientStats()
        self.service_clock = ServiceClock()
        self._sleep = sleep
        self._http = httpx.AsyncClient(
            timeout=httpx.Timeout(timeout, connect=min(10.0, timeout)),
            transport=transport,
            headers={"Accept": "application/json", "User-Agent": f"ccdesk/{__version__}"},
            follow_redirects=False,
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> CCClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # ---- transport ---------------------------------------------------------------------------------------

    def url(self, path_or_href: str) -> str:
        """An absolute URL for an API path ("contacts") or a link the server gave ("/v3/contacts?cursor=...").

        Links are only followed on our own origin: a link elsewhere would carry the bearer token away.
        """
        if path_or_href.startswith(("http://", "https://")):
            parts = urlsplit(path_or_href)
            if f"{parts.scheme}://{parts.netloc}" != self._origin:
                raise MalformedResponse("Constant Contact sent a link to another host; it was not followed.")
            return path_or_href
        if path_or_href.startswith("/"):
            return self._origin + path_or_href
        return f"{self.base_url}/{path_or_href}"

    async def _send(self, method: str, url: str, *, params: dict[str, Any] | None = None,
                    body: Any = None, parse: bool = True, idempotent: bool | None = None,
                    still_valid: Callable[[], bool] | None = None) -> Any:
        """One logical request: rate limit, bearer token, one refresh on 401, retries by policy
        (`idempotent=False` retries only what the service refused before acting, e.g. a PUT that sends email).
        `still_valid` is asked once the slot is granted, before each attempt goes out: False raises `ReadTooOld`
        (a body built from a read that has aged past its window while waiting for the slot or a retry)."""
        attempt = 0
        refreshed = 0
        idempotent = method in IDEMPOTENT if idempotent is None else idempotent
        target = self.url(url)
        first_try = asyncio.get_running_loop().time()
        while True:
            attempt += 1
            token = await self._tokens.access_token()  # first: a refresh must not age the slot taken below
            error: ApiError
            try:
                async with self.rate_limiter.slot():  # the desk's shared budget; the slot is dated from the answer
                    if still_valid is not None and not still_valid():
                        raise ReadTooOld()
                    self.stats.requests += 1
                    response = await self._http.request(
                        method, target, params=params, json=body,
                        headers={"Authorization": f"Bearer {token}"},
                    )
                log.debug("%s %s -> %s", method, urlsplit(target).path, response.status_code)
                self.service_clock.note(response.headers.get("date"))
                if response.is_success:
                    return self._parse(response) if parse else response
                error = error_from_response(response)
            except httpx.TimeoutException:
                error = NetworkError("Constant Contact did not answer in time. Check the connection and try "
                                     "again; nothing was lost.")
            except httpx.TransportError as exc:
                log.info("transport error: %s", type(exc).__name__)  # the class name is for the log, not the user
                error = NetworkError("Could not reach Constant Contact. Check the internet connection; nothing "
                                     "was lost.")
            except MalformedResponse as exc:
                error = exc
            if isinstance(error, Unauthorized):
                # Twice: the first renewal may hand over tokens another ccdesk process saved, which the
                # service can have revoked too; the second then really renews them.
                if refreshed >= 2:
                    raise SignInRequired("Constant Contact rejected the sign-in even after renewing it. "
                                         "Please sign in again.", status=401, error_key=error.error_key)
                refreshed += 1
                self.stats.refreshes += 1
                await self._tokens.refresh(token)
                attempt -= 1
                continue
            if isinstance(error, Throttled):
                self.rate_limiter.throttled(error.retry_after)
            elapsed = asyncio.get_running_loop().time() - first_try
            if not self.retry.should_retry(error, idempotent=idempotent, attempt=attempt, elapsed=elapsed):
                raise error
            self.stats.retries += 1
            delay = self.retry.delay(attempt, error=error)
            log.info("%s %s failed (%s); retry %d in %.1fs", method, urlsplit(target).path,
                     type(error).__name__, attempt, delay)
            await self._sleep(delay)

    @staticmethod
    def _parse(response: httpx.Response) -> Any:
        if response.status_code == 204 or not response.content:
            return None
        ctype = response.headers.get("content-type", "")
        if "json" not in ctype:
            raise MalformedResponse(
                f"Constant Contact answered with {ctype or 'an unknown type'} instead of JSON.",
                status=response.status_code)
        try:
            return answer_json.loads(response.content)
        except ValueError:
            raise MalformedResponse("Constant Contact's answer was cut off or is not valid JSON.",
                                    status=response.status_code) from None

    async def _get_object(self, url: str, params: dict[str, Any] | None = None) -> JSON:
        data = await self._send("GET", url, params=params)
        return _expect_object(data)

    # ---- contacts ----------------------------------------------------------------------------------------

    async def iter_contact_pages(
        self, *, status: Sequence[str] | str | None = None, email: str | None = None,
        lists: Sequence[str] | str | None = None, tags: Sequence[str] | str | None = None,
        updated_after: datetime | str | None = None, updated_before: datetime | str | None = None,
        created_after: datetime | str | None = None, created_before: datetime | str | None = None,
        optout_after: datetime | str | None = None, optout_before: datetime | str | None = None,
        include: Sequence[str] | str | None = None, include_count: bool = False, limit: int = 500,
        start_href: str | None = None,
    ) -> AsyncIterator[ContactPage]:
        """Every page of contacts matching the filters, following `_links.next.href` to the end.

        `start_href` resumes from a stored next-link (the cursor carries the filters and position).
        """
        params: dict[str, Any] = {"limit": limit}
        for name, value in (("status", status), ("lists", lists), ("tags", tags), ("include", include)):
            if value:
                params[name] = _csv(value)
        for name, when in (("updated_after", updated_after), ("updated_before", updated_before),
                            ("created_after", created_after), ("created_before", created_before),
                            ("optout_after", optout_after), ("optout_before", optout_before)):
            if when is not None:
                params[name] = _iso(when)
        if email:
            params["email"] = email
        if include_count:
            params["include_count"] = "true"
        url: str | None = start_href or "contacts"
        query: dict[str, Any] | None = None if start_href else params
        followed = _Followed()
        while url:
            data = await self._get_object(url, query)
            page = _contact_page(data)
            yield page
            url, query = followed.next(page.next_href), None

    async def count_contacts(self, *, status: str) -> int | None:
        """How many contacts have `status` (one request: a page of one with its count); None when the answer
        has no count."""
        data = await self._get_object("contacts", {"status": status, "limit": 1, "include_count": "true"})
        count = data.get("contacts_count")
        return count if isinstance(count, int) and not isinstance(count, bool) and count >= 0 else None

    async def get_contact(self, contact_id: str, include: Sequence[str] = INCLUDES) -> Contact:
        data = await self._get_object(f"contacts/{contact_id}", {"include": _csv(include)} if include else None)
        return _contact(data)

    async def find_contact_by_email(self, email: str) -> Contact | None:
        """Exact lookup on the server, deleted and unsubscribed contacts included."""
        async for page in self.iter_contact_pages(email=email, status="all", include=INCLUDES, limit=50):
            for contact in page.contacts:
                if contact.email.lower() == email.lower():
                    return contact
        return None

    async def create_contact(self, body: JSON) -> Contact:
        """POST /contacts (409 Conflict when the address is already in the account, deleted ones included)."""
        return _contact(await self._send("POST", "contacts", body=body))

    async def put_contact(self, contact_id: str, body: JSON, *, still_valid: Callable[[], bool] | None = None
                          ) -> Contact:
        data = await self._send("PUT", f"contacts/{contact_id}", body=body, still_valid=still_valid)
        return _contact(data)

    async def contact_counts(self, include_new_subscriber: bool = False) -> ContactCounts:
        data = await self._get_object("contacts/counts",
                                      {"include": "new_subscriber"} if include_new_subscriber else None)
        ints = {k: data.get(k) for k in ("total", "explicit", "implicit", "pending", "unsubscribed")}
        return ContactCounts(**{k: int(v or 0) for k, v in ints.items()},
                             new_subscriber=data.get("new_subscriber"), raw=data)

    # ---- lists -------------------------------------------------------------------------------------------

    async def iter_lists(self, *, include_membership_count: str | None = None, status: str | None = None,
                         limit: int = 500) -> AsyncIterator[ContactList]:
        params: dict[str, Any] = {"limit": limit}
        if include_membership_count:
            params["include_membership_count"] = include_membership_count
        if status:
            params["status"] = status
        url: str | None = "contact_lists"
        query: dict[str, Any] | None = params
        followed = _Followed()
        while url:
            data = await self._get_object(url, query)
            items = data.get("lists")
            if not isinstance(items, list):
                raise MalformedResponse("Constant Contact's list of contact lists had no 'lists' array.")
            lists = [ContactList(item) for item in items if isinstance(item, dict) and _has_list_id(item)]
            if len(lists) < len(items):
                log.warning("a page of contact lists had %d entries without a list id; they were left out",
                            len(items) - len(lists))
            for one in lists:
                yield one
            url, query = followed.next(_next_href(data)), None

    # ---- activities --------------------------------------------------------------------------------------

    async def _post_activity(self, kind: str, body: JSON) -> Activity:
        data = _expect_object(await self._send("POST", f"activities/{kind}", body=body))
        if not isinstance(data.get("activity_id"), str) or not data["activity_id"]:
            raise MalformedResponse("Constant Contact did not say which activity it queued.")
        return Activity(data)

    async def remove_list_memberships(self, contact_ids: Sequence[str], list_ids: Sequence[str]) -> Activity:
        """Queue removal of up to 500 contacts from the given lists (split larger batches first)."""
        _check_batch(contact_ids, list_ids)
        return await self._post_activity("remove_list_memberships",
                                         {"source": {"contact_ids": list(contact_ids)},
                                          "list_ids": list(list_ids)})

    async def add_list_memberships(self, contact_ids: Sequence[str], list_ids: Sequence[str]) -> Activity:
        _check_batch(contact_ids, list_ids)
        return await self._post_activity("add_list_memberships",
                                         {"source": {"contact_ids": list(contact_ids)},
                                          "list_ids": list(list_ids)})

    async def get_activity(self, activity_id: str) -> Activity:
        data = await self._get_object(f"activities/{activity_id}")
        return Activity({**data, "activity_id": activity_id})  # the one asked about, whatever the answer says

    async def wait_for_activity(self, activity: Activity, *, poll_s: float = 1.0, max_poll_s: float = 15.0,
                                timeout_s: float = 600.0,
                                on_progress: Callable[[Activity], None] | None = None) -> Activity:
        """Poll until the activity is done, with growing pauses (`poll_s`, x1.5 each time, up to `max_poll_s`):
        a long activity costs a few requests a minute, not one a second. The caller cancels to stop waiting."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        pause = poll_s
        while not activity.done:
            if loop.time() > deadline:
                raise NetworkError(f"Constant Contact's activity {activity.activity_id} did not finish within "
                                   f"{timeout_s:.0f} s; it may still complete later.")
            await self._sleep(pause)
            pause = min(max_poll_s, pause * 1.5)
            activity = await self.get_activity(activity.activity_id)
            if on_progress:
                on_progress(activity)
        return activity


def _expect_object(data: Any) -> JSON:
    if not isinstance(data, dict):
        raise MalformedResponse("Constant Contact's answer was not the expected JSON object.")
    return data


def _contact(data: Any) -> Contact:
    obj = _expect_object(data)
    if not _has_id(obj):
        raise MalformedResponse("Constant Contact's answer did not contain a contact.")
    return Contact(obj)


def _next_href(data: JSON) -> str | None:
    links = data.get("_links")
    if not isinstance(links, dict):
        return None
    nxt = links.get("next")
    href = nxt.get("href") if isinstance(nxt, dict) else None
    return href if isinstance(href, str) and href else None


def _contact_page(data: JSON) -> ContactPage:
    items = data.get("contacts")
    if not isinstance(items, list):
        raise MalformedResponse("Constant Contact's list of contacts had no 'contacts' array.")
    count = data.get("contacts_count")
    contacts = [Contact(item) for item in items if isinstance(item, dict) and _has_id(item)]
    if len(contacts) < len(items):  # one entry nothing can be done with must not stop every sync after it
        log.warning("a page of contacts had %d entries without a contact id; they were left out",
                    len(items) - len(contacts))
    return ContactPage(contacts, _next_href(data), count if isinstance(count, int) else None)


class _Followed:
    """The next-links a read has followed: one given twice would read the same pages for ever (and spend the
    day's quota doing it), so it stops the read as a malformed answer."""

    def __init__(self) -> None:
        self._seen: set[str] = set()

    def next(self, href: str | None) -> str | None:
        if href is not None:
            if href in self._seen:
                raise MalformedResponse("Constant Contact's paging links went round in a circle (a page linked to "
                                        "one already read), so the read stopped there. Try again later; if it "
                                        "keeps happening, tell Constant Contact support.")
            self._seen.add(href)
        return href


def _has_list_id(item: JSON) -> bool:
    lid = item.get("list_id")
    return isinstance(lid, str) and bool(lid.strip())


def _has_id(item: JSON) -> bool:
    cid = item.get("contact_id")
    return isinstance(cid, str) and bool(cid.strip())


def _check_batch(contact_ids: Sequence[str], list_ids: Sequence[str]) -> None:
    if not contact_ids:
        raise ValidationError("No contacts were selected.")
    if len(contact_ids) > MAX_IDS_PER_ACTIVITY:
        raise ValidationError(f"At most {MAX_IDS_PER_ACTIVITY} contacts per request; split the batch.")
    if not list_ids:
        raise ValidationError("Choose at least one list.")
    if len(list_ids) > 50:
        raise ValidationError("At most 50 lists per request.")
