"""Request plumbing shared by the route modules: the sandbox of a request, JSON bodies, query strings."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from starlette.requests import Request

from . import errors
from .state import Sandbox
from .validation import Obj, Query, validate_body


def sandbox_of(request: Request) -> Sandbox:
    sb: Sandbox = request.app.state.sandbox
    return sb


def _reject_constant(name: str) -> Any:
    raise ValueError(name)


async def json_body(request: Request, spec: Obj) -> dict[str, Any]:
    """The body as a validated JSON object: 415 unless Content-Type is application/json, 400 if malformed."""
    content_type = request.headers.get("content-type", "")
    if content_type.split(";")[0].strip().lower() != "application/json":
        raise errors.ApiError.one(415, errors.UNSUPPORTED_MEDIA_TYPE,
                                  "Content-Type must be application/json.")
    raw = await request.body()
    try:
        body = json.loads(raw, parse_constant=_reject_constant)
    except (ValueError, UnicodeDecodeError):
        raise errors.ApiError.one(400, errors.BAD_REQUEST, "The request body is not valid JSON.") from None
    return validate_body(spec, body)


async def no_body(request: Request) -> None:
    """DELETE and GET take no body; one that is not JSON is 415 (DELETE documents 415)."""
    raw = await request.body()
    if raw and request.headers.get("content-type", "").split(";")[0].strip().lower() != "application/json":
        raise errors.ApiError.one(415, errors.UNSUPPORTED_MEDIA_TYPE, "Content-Type must be application/json.")


def query(request: Request, allowed: Iterable[str]) -> Query:
    return Query.of(request.query_params.multi_items(), allowed)
