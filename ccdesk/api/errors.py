"""Errors the API client raises: one small hierarchy, each carrying what a user needs to be told."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import httpx

from . import answer_json


class ApiError(Exception):
    """Base of every error from talking to Constant Contact.

    `message` is plain words fit for a dialog; `status` and `error_key` come from the server when it answered.
    """

    retryable: bool = False
    retry_after: float | None = None  # seconds from a Retry-After header, when the server sent one

    def __init__(self, message: str, *, status: int | None = None, error_key: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.error_key = error_key

    def __str__(self) -> str:
        return self.message


class ValidationError(ApiError):
    """400: the server refused what we sent (its message says why)."""


class Unauthorized(ApiError):
    """401: the access token is missing, expired or revoked."""


class SignInRequired(ApiError):
    """No valid token can be had without the user signing in again."""


class Forbidden(ApiError):
    """403: the signed-in user or app lacks the privilege or scope."""


class NotFound(ApiError):
    """404: no such contact, list or activity (it may have been deleted elsewhere)."""


class Conflict(ApiError):
    """409: e.g. the email address already belongs to another contact."""


class Throttled(ApiError):
    """429 throttled: more than the per-second limit; safe to retry after a short wait."""

    retryable = True


class QuotaExceeded(ApiError):
    """429 quota_exceeded: the daily request quota is used up until 00:00 UTC."""

    def __init__(self, message: str, *, status: int | None = 429, error_key: str | None = None,
                 resets_at: datetime | None = None) -> None:
        super().__init__(message, status=status, error_key=error_key)
        self.resets_at = resets_at or next_utc_midnight()


class ServerError(ApiError):
    """5xx: the service failed; usually temporary."""

    retryable = True


class NetworkError(ApiError):
    """No answer: connection refused or dropped, DNS, TLS, or a timeout."""

    retryable = True


class MalformedResponse(ApiError):
    """The server answered, but not with the documented JSON (an HTML error page, truncated JSON...)."""

    retryable = True


def next_utc_midnight(now: datetime | None = None) -> datetime:
    now = now or datetime.now(UTC)
    return (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)


def _server_message(body: object) -> tuple[str | None, str | None]:
    """(error_key, error_message) from either documented body shape: an array of objects, or one object."""
    items = body if isinstance(body, list) else [body]
    keys, messages = [], []
    for item in items:
        if isinstance(item, dict):
            if isinstance(item.get("error_key"), str):
                keys.append(item["error_key"])
            msg = item.get("error_message") or item.get("error_description") or item.get("message")
            if isinstance(msg, str):
                messages.append(msg)
    return (keys[0] if keys else None), ("; ".join(messages) if messages else None)


def retry_after_seconds(response: httpx.Response, now: datetime | None = None) -> float | None:
    """The `Retry-After` header (delay-seconds or an HTTP date) in seconds, or None when absent or unreadable."""
    value = response.headers.get("retry-after", "").strip()
    if not value:
        return None
    if value.isascii() and value.isdigit():  # "²".isdigit() is True too
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def _content_type(response: httpx.Response) -> str:
    return response.headers.get("content-type", "an unknown type").split(";")[0].strip() or "an unknown type"


def error_from_response(response: httpx.Response) -> ApiError:
    """Map a non-2xx response to the right error (with its Retry-After), tolerating bodies that are not JSON."""
    error = _error_for(response)
    error.retry_after = retry_after_seconds(response)
    return error


def _error_for(response: httpx.Response) -> ApiError:
    status = response.status_code
    # The documented statuses say what happened even when the body is not the documented JSON (a gateway's HTML
    # page): a 401 still renews the sign-in, a 404 is still gone, a refusal is not tried again every 15 minutes.
    # Anything else that is not JSON (a proxy's login redirect, 407, 408...) is a malformed answer, tried again.
    try:
        body = answer_json.loads(response.content) if response.content else None
        not_json = ""
    except ValueError:
        body = None
        what = _content_type(response)
        if status < 500 and status not in (400, 401, 403, 404, 409, 429):
            return MalformedResponse(f"Constant Contact answered {status} with a body that is not JSON ({what}).",
                                     status=status)
        not_json = "" if status >= 500 else f" (the answer was not Constant Contact's JSON but {what})"
        if status == 403:  # not the service's own refusal: a proxy or a firewall on the way, likely
            return Forbidden(f"The request was refused (403){not_json}: a proxy or firewall between this computer "
                             "and Constant Contact may block it. If it goes on, ask your IT department.",
                             status=status)
    key, server_msg = _server_message(body)
    detail = f": {server_msg.rstrip('. ')}" if server_msg else not_json  # the sentence goes on after it
    if status == 400:
        return ValidationError(f"Constant Contact refused the request{detail}", status=status, error_key=key)
    if status == 401:
        return Unauthorized("Your Constant Contact sign-in has expired or was revoked.", status=status,
                            error_key=key)
    if status == 403:
        return Forbidden(
            f"This Constant Contact user or app is not allowed to do that{detail}. Ask an account "
            "administrator for the contacts privileges.", status=status, error_key=key)
    if status == 404:
        return NotFound(f"Not found in Constant Contact{detail} (it may have been deleted).", status=status,
                        error_key=key)
    if status == 409:
        return Conflict(f"Conflict{detail}", status=status, error_key=key)
    if status == 429:
        if key == "quota_exceeded":
            resets = next_utc_midnight()
            return QuotaExceeded(
                "The account's daily Constant Contact request quota is used up; it resets at "
                f"{resets:%H:%M} UTC ({resets.isoformat()}). Queued changes will be sent then.",
                status=status, error_key=key, resets_at=resets)
        return Throttled("Constant Contact asked us to slow down (too many requests per second).",
                         status=status, error_key=key or "throttled")
    if status >= 500:
        # No "try again" here: the outbox and the sync do, by themselves, and the command says when to.
        return ServerError(f"Constant Contact had a problem ({status}){detail}; such problems usually pass within "
                           "minutes.", status=status, error_key=key)
    return ApiError(f"Unexpected answer from Constant Contact ({status}){detail}", status=status,
                    error_key=key)


class ReadTooOld(Exception):
    """A request built from an earlier read would have gone out after that read's window (its rate-limit slot
    came too late). Raised before anything is sent: the caller reads again and rebuilds the request."""
