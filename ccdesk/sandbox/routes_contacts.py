"""/v3/contacts endpoints."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from . import bodies
from .counts import contact_counts
from .filters import PARAMS, parse_query, scan
from .render import INCLUDES, contact_json
from .web import json_body, next_href, no_body, paged_query, query, sandbox_of


async def list_contacts(request: Request) -> Response:
    sb = sandbox_of(request)
    with sb.lock:
        raw, after = paged_query(request, "contacts", PARAMS)
        q = parse_query(raw)
        seqs, next_after = scan(sb.records, q, after)
        body: dict[str, Any] = {
            "contacts": [contact_json(sb.records.view(s), sb.records.contact_id(s), q.include) for s in seqs]
        }
        if q.include_count:
            body["contacts_count"] = sb.cached_count(q)
        if next_after is not None:
            body["_links"] = {"next": {"href": next_href(request, "contacts", "/v3/contacts", q.params, next_after)}}
    return JSONResponse(body)


async def get_contact(request: Request) -> Response:
    sb = sandbox_of(request)
    include = tuple(query(request, ("include",)).csv("include", INCLUDES) or ())
    contact_id = request.path_params["contact_id"]
    with sb.lock:
        seq = sb.rules.seq(contact_id)
        return JSONResponse(contact_json(sb.records.view(seq), contact_id, include))


def _named_contact(request: Request) -> tuple[Any, str, int]:
    """The sandbox, the contact id in the path and its record number (404 before the body is read), for a
    write that takes no query parameters."""
    sb = sandbox_of(request)
    query(request, ())
    contact_id = request.path_params["contact_id"]
    with sb.lock:
        return sb, contact_id, sb.rules.seq(contact_id)


async def put_contact(request: Request) -> Response:
    sb, contact_id, seq = _named_contact(request)
    body = await json_body(request, bodies.CONTACT_PUT)
    with sb.lock:
        rec = sb.rules.put(seq, body)
        return JSONResponse(contact_json(rec, contact_id, _write_answer_includes(sb)))


async def delete_contact(request: Request) -> Response:
    sb, _contact_id, seq = _named_contact(request)
    await no_body(request)
    with sb.lock:
        sb.rules.delete(seq)
    return Response(status_code=204)


async def create_contact(request: Request) -> Response:
    sb = sandbox_of(request)
    query(request, ())
    body = await json_body(request, bodies.CONTACT_POST)
    with sb.lock:
        rec = sb.rules.create(body)
        return JSONResponse(contact_json(rec, sb.records.contact_id(rec.seq), _write_answer_includes(sb)),
                            status_code=201)


def _write_answer_includes(sb: Any) -> tuple[str, ...]:
    """The sub-resources a PUT's or POST's answer carries: every one, or none (docs/sandbox.md, "Readings")."""
    return tuple(INCLUDES) if sb.config.write_answers_with_subresources else ()


async def sign_up_form(request: Request) -> Response:
    sb = sandbox_of(request)
    query(request, ())
    body = await json_body(request, bodies.SIGN_UP)
    with sb.lock:
        rec, created = sb.rules.sign_up(body)
        answer = {"contact_id": sb.records.contact_id(rec.seq), "action": "created" if created else "updated"}
    return JSONResponse(answer, status_code=201 if created else 200)


async def resubscribe(request: Request) -> Response:
    sb, _contact_id, seq = _named_contact(request)
    body = await json_body(request, bodies.RESUBSCRIBE)
    with sb.lock:
        sb.rules.resubscribe(seq, body)
    return Response(status_code=200)  # the contract documents no body for this 200


async def contact_counts_route(request: Request) -> Response:
    sb = sandbox_of(request)
    q = query(request, ("include",))
    include_new = q.csv("include", ("new_subscriber",)) is not None
    with sb.lock:
        return JSONResponse(contact_counts(sb.records, sb.now_ms(), include_new))


routes = [
    Route("/contacts", list_contacts, methods=["GET"]),
    Route("/contacts", create_contact, methods=["POST"]),
    Route("/contacts/counts", contact_counts_route, methods=["GET"]),
    Route("/contacts/sign_up_form", sign_up_form, methods=["POST"]),
    Route("/contacts/resubscribe/{contact_id}", resubscribe, methods=["PUT"]),
    Route("/contacts/{contact_id}", get_contact, methods=["GET"]),
    Route("/contacts/{contact_id}", put_contact, methods=["PUT"]),
    Route("/contacts/{contact_id}", delete_contact, methods=["DELETE"]),
]
