"""Request plumbing shared by the route modules: the sandbox of a request, JSON bodies, query strings."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from starlette.requests import Request

from . import errors
from .state import Sandbox
from .validation import Obj, QueryParams, validate_body


def sandbox_of(request: Request) -> Sandbox:
    sb: Sandbox = request.app.state.sandbox
    return sb


def _reject_constant(name: str) -> Any:
    raise ValueError(name)


async def json_body(request: Request, spec: Obj) -> dict[str, Any]:
    """The body as a validated JSON object: 415 unless Content-Type is application/json, 400 if malformed."""
    content_type = request.headers.get("content-type", "")
    if content_type.split(";")[0].strip().lower() != "application/json":
        raise errors.ServiceError.one(415, errors.UNSUPPORTED_MEDIA_TYPE,
                                  "Content-Type must be application/json.")
    raw = await request.body()
    try:
        body = json.loads(raw, parse_constant=_reject_constant)
    except (ValueError, UnicodeDecodeError):
        raise errors.ServiceError.one(400, errors.BAD_REQUEST, "The request body is not valid JSON.") from None
    return validate_body(spec, body)


async def no_body(request: Request) -> None:
    """DELETE and GET take no body; one that is not JSON is 415 (DELETE documents 415)."""
    raw = await request.body()
    if raw and request.headers.get("content-type", "").split(";")[0].strip().lower() != "application/json":
        raise errors.ServiceError.one(415, errors.UNSUPPORTED_MEDIA_TYPE, "Content-Type must be application/json.")


def query(request: Request, allowed: Iterable[str]) -> QueryParams:
    return QueryParams.of(request.query_params.multi_items(), allowed)


def paged_query(request: Request, kind: str, allowed: Iterable[str]) -> tuple[QueryParams, int]:
    """The query of a paged GET and the position to continue after (-1 on the first page).

    A `cursor` (from `_links.next.href`) stands alone and carries the original parameters, signed; it is 400
    when edited, from another run, combined with other parameters, or older than the link lifetime.
    Unconfirmed whether the service lets filters be re-sent beside a cursor; clients follow the href verbatim.
    """
    sb = sandbox_of(request)
    items = request.query_params.multi_items()
    if any(name == "cursor" for name, _ in items):
        if len(items) != 1:
            raise errors.validation("cursor cannot be combined with other query parameters.")
        original, after = sb.cursors.read(kind, items[0][1], sb.now_ms(), sb.link_ttl_ms)
        return QueryParams.of(original, allowed), after
    return QueryParams.of(items, allowed), -1


def next_href(request: Request, kind: str, path: str, params: dict[str, str], after: int) -> str:
    """`_links.next.href` for the page after position `after`."""
    sb = sandbox_of(request)
    cursor = sb.cursors.make(kind, params, after, issued_ms=sb.now_ms())
    return f"{path}?cursor={cursor}"
