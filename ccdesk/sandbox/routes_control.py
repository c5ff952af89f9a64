"""/_sandbox control endpoints (no auth, no faults, no rate limit): switch faults and readings, expire tokens,
read request counters and the emails the service sent, look at and act on contacts the way a contact would."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from . import errors
from .oauth_apps import oauth_controls
from .web import sandbox_of


async def _object(request: Request) -> dict[str, Any]:
    raw = await request.body()
    try:
        body = json.loads(raw) if raw else {}
    except ValueError:
        raise errors.ServiceError.one(400, errors.BAD_REQUEST, "The request body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise errors.validation("The body must be a JSON object.")
    return body


async def info(request: Request) -> Response:
    sb = sandbox_of(request)
    with sb.lock:
        return JSONResponse({
            "contacts": len(sb.records),
            "seeded_contacts": sb.records.n_seeded,
            "seed": sb.records.seed,
            "anchor_ms": sb.records.anchor_ms,
            "lists": sb.lists(),
            "tags": sb.tags(),
            "custom_fields": sb.custom_fields(),
        })


async def get_faults(request: Request) -> Response:
    return JSONResponse(sandbox_of(request).faults.as_json())


async def set_faults(request: Request) -> Response:
    """Partial update, e.g. {"error_next": 2, "error_status": 502}; {"expire_tokens": true} expires every token."""
    sb = sandbox_of(request)
    body = await _object(request)
    expire = body.pop("expire_tokens", False)
    try:
        sb.faults.update(body)
    except ValueError as exc:
        raise errors.validation(str(exc)) from None
    if expire:
        sb.tokens.expire_all()
    return JSONResponse(sb.faults.as_json())


async def reset_faults(request: Request) -> Response:
    sb = sandbox_of(request)
    sb.faults.reset()
    return JSONResponse(sb.faults.as_json())


async def expire_tokens(request: Request) -> Response:
    sandbox_of(request).tokens.expire_all()
    return Response(status_code=204)


async def add_token(request: Request) -> Response:
    body = await _object(request)
    token = body.get("token")
    if not isinstance(token, str) or not token:
        raise errors.validation("token (a non-empty string) is required.")
    sandbox_of(request).tokens.add_fixed(token, body.get("scope", "contact_data"))
    return Response(status_code=204)


async def get_requests(request: Request) -> Response:
    sb = sandbox_of(request)
    with sb.lock:
        return JSONResponse({
            "counts": dict(sb.request_counts),
            "refused": dict(sb.refused),
            "log": [{"method": m, "path": p, "query": q} for m, p, q in sb.request_log],
        })


async def reset_requests(request: Request) -> Response:
    sandbox_of(request).reset_request_counts()
    return Response(status_code=204)


async def get_contact(request: Request) -> Response:
    return JSONResponse(sandbox_of(request).contact_json(request.path_params["contact_id"]))


async def add_contact(request: Request) -> Response:
    sb = sandbox_of(request)
    contact_id = sb.add_contact(await _object(request))
    return JSONResponse(sb.contact_json(contact_id), status_code=201)


async def confirm_resubscribe(request: Request) -> Response:
    return JSONResponse(sandbox_of(request).confirm_resubscribe(request.path_params["contact_id"]))


async def contact_unsubscribes(request: Request) -> Response:
    body = await _object(request)
    reason = body.get("reason")
    if reason is not None and not isinstance(reason, str):
        raise errors.validation("reason must be a string.")
    return JSONResponse(sandbox_of(request).contact_unsubscribes(request.path_params["contact_id"], reason))


async def get_emails(request: Request) -> Response:
    return JSONResponse({"emails": sandbox_of(request).emails_json()})


async def clear_emails(request: Request) -> Response:
    sb = sandbox_of(request)
    with sb.lock:
        sb.emails.clear()
    return Response(status_code=204)


async def get_readings(request: Request) -> Response:
    return JSONResponse(sandbox_of(request).readings())


async def set_readings(request: Request) -> Response:
    """Partial update of the readings, e.g. {"resubscribe_state": "unsubscribed", "link_ttl_s": 60}."""
    try:
        return JSONResponse(sandbox_of(request).set_readings(await _object(request)))
    except ValueError as exc:
        raise errors.validation(str(exc)) from None


routes = [
    Route("/", info, methods=["GET"]),
    Route("/faults", get_faults, methods=["GET"]),
    Route("/faults", set_faults, methods=["POST"]),
    Route("/faults", reset_faults, methods=["DELETE"]),
    Route("/tokens", add_token, methods=["POST"]),
    Route("/tokens/expire", expire_tokens, methods=["POST"]),
    Route("/oauth", oauth_controls, methods=["GET", "POST"]),
    Route("/requests", get_requests, methods=["GET"]),
    Route("/requests", reset_requests, methods=["DELETE"]),
    Route("/emails", get_emails, methods=["GET"]),
    Route("/emails", clear_emails, methods=["DELETE"]),
    Route("/readings", get_readings, methods=["GET"]),
    Route("/readings", set_readings, methods=["POST"]),
    Route("/contacts", add_contact, methods=["POST"]),
    Route("/contacts/{contact_id}", get_contact, methods=["GET"]),
    Route("/contacts/{contact_id}/confirm_resubscribe", confirm_resubscribe, methods=["POST"]),
    Route("/contacts/{contact_id}/unsubscribe", contact_unsubscribes, methods=["POST"]),
]
