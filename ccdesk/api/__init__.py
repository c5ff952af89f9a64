"""Async Constant Contact v3 client (no Qt): models, errors, paging, rate limiting, retries, token refresh."""

from .client import DEFAULT_BASE_URL, CCClient, ClientStats
from .errors import (
    ApiError,
    Conflict,
    Forbidden,
    MalformedResponse,
    NetworkError,
    NotFound,
    QuotaExceeded,
    ReadTooOld,
    ServerError,
    SignInRequired,
    Throttled,
    Unauthorized,
    ValidationError,
)
from .models import Activity, Contact, ContactCounts, ContactList, ContactPage, EmailAddress, build_put_body
from .ratelimit import RateLimiter
from .retry import RetryPolicy
from .tokens import StaticTokenProvider, TokenProvider

__all__ = [
    "DEFAULT_BASE_URL", "Activity", "ApiError", "CCClient", "ClientStats", "Conflict", "Contact", "ContactCounts",
    "ContactList", "ContactPage", "EmailAddress", "Forbidden", "MalformedResponse", "NetworkError", "NotFound",
    "QuotaExceeded", "RateLimiter", "ReadTooOld", "RetryPolicy", "ServerError", "SignInRequired", "StaticTokenProvider",
    "Throttled", "TokenProvider", "Unauthorized", "ValidationError", "build_put_body",
]
