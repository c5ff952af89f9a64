"""Error bodies the service returns, and every error key/message the sandbox uses, in one place.

Shapes (reference §6): 401 and 429 are a single object; every other error is a JSON array of
`{error_key, error_message}`. Keys other than `unauthorized`, `throttled`, `quota_exceeded` and
`contacts.api.conflict` are unconfirmed guesses modelled on `contacts.api.validation.error`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.responses import JSONResponse

VALIDATION = "contacts.api.validation.error"
NOT_FOUND = "contacts.api.not_found"
CONFLICT = "contacts.api.conflict"
BAD_REQUEST = "contacts.api.bad.request"
UNSUPPORTED_MEDIA_TYPE = "contacts.api.unsupported.media.type"
METHOD_NOT_ALLOWED = "contacts.api.method.not.allowed"
FORBIDDEN = "contacts.api.forbidden"
SERVER_ERROR = "contacts.api.server.error"
ACTIVITY_LIMIT = "activities.api.too.many.queued"

UNAUTHORIZED_BODY = {"error_key": "unauthorized", "error_message": "Unauthorized"}
THROTTLED_BODY = {"error_key": "throttled", "error_message": "Too Many Requests"}
QUOTA_BODY = {"error_key": "quota_exceeded", "error_message": "Limit Exceeded"}


@dataclass
class ServiceError(Exception):
    """Raised anywhere below a route; rendered as the array body with `status`."""

    status: int
    errors: list[tuple[str, str]]

    @classmethod
    def one(cls, status: int, key: str, message: str) -> ServiceError:
        return cls(status, [(key, message)])

    def body(self) -> list[dict[str, str]]:
        return [{"error_key": k, "error_message": m} for k, m in self.errors]


def validation(message: str) -> ServiceError:
    return ServiceError.one(400, VALIDATION, message)


def not_found(message: str) -> ServiceError:
    return ServiceError.one(404, NOT_FOUND, message)


def conflict(message: str) -> ServiceError:
    return ServiceError.one(409, CONFLICT, message)


# The account may not opt an unsubscribed contact back in (reference §7). The service's exact answer is
# unconfirmed (v2 answered 400); change it here if the real one turns out different.
REOPT_IN_REFUSED = ServiceError.one(
    400,
    VALIDATION,
    "Contact is unsubscribed; only the contact can opt back in (update_source Contact), "
    "or send a resubscribe email with PUT /contacts/resubscribe/{contact_id}.",
)
# A second resubscribe request for the same contact (reference §2: the email can be sent once).
RESUBSCRIBE_ALREADY_SENT = ServiceError.one(
    400, VALIDATION, "Contact is not unsubscribed: a resubscribe confirmation is already pending or was sent."
)
RESUBSCRIBE_NOT_UNSUBSCRIBED = ServiceError.one(400, VALIDATION, "Contact is not unsubscribed.")


def email_conflict(contact_id: str) -> ServiceError:
    return conflict(f"Validation failed: Email already exists for contact {contact_id}")


def error_response(err: ServiceError) -> JSONResponse:
    return JSONResponse(err.body(), status_code=err.status)


def object_response(body: dict[str, Any], status: int) -> JSONResponse:
    """The single-object shape of 401/429."""
    return JSONResponse(body, status_code=status)
