"""/v3/contact_lists endpoints."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from . import errors
from .counts import membership_counts
from .ids import is_uuid
from .render import list_json
from .web import next_href, paged_query, query, sandbox_of

PARAMS = ("limit", "include_count", "include_membership_count", "name", "status", "channel_type",
          "include_sms_membership_count")
# The spec's schema says at most 1000, its description 500: the sandbox takes the stricter 500.
MAX_LIMIT = 500


async def list_lists(request: Request) -> Response:
    sb = sandbox_of(request)
    with sb.lock:
        q, after = paged_query(request, "lists", PARAMS)
        limit = q.integer("limit", 50, 1, MAX_LIMIT)
        include_count = q.boolean("include_count")
        q.boolean("include_sms_membership_count")
        counted = q.csv("include_membership_count", ("all", "active"))
        if counted is not None and len(counted) != 1:
            raise errors.validation("include_membership_count must be all or active.")
        statuses = set(q.csv("status", ("all", "active", "deleted")) or ("active",))
        channel = (q.csv("channel_type", ("email", "sms")) or ["email"])
        if len(channel) != 1:
            raise errors.validation("channel_type must be email or sms.")
        name = q.text("name")
        matching = [
            (pos, d) for pos, d in enumerate(sb.records.catalog.lists)
            if channel[0] == "email"
            and ("all" in statuses or ("deleted" if d.deleted_ms is not None else "active") in statuses)
            and (name is None or d.name == name)
        ]
        members = membership_counts(sb.records, counted[0] == "active") if counted else None
        page = [(pos, d) for pos, d in matching if pos > after]
        body: dict[str, Any] = {
            "lists": [list_json(d, members.get(d.list_id, 0) if members is not None else None)
                      for _pos, d in page[:limit]]
        }
        if include_count:
            body["lists_count"] = len(matching)
        if len(page) > limit:
            body["_links"] = {"next": {"href": next_href(request, "lists", "/v3/contact_lists", q.params,
                                                         page[limit - 1][0])}}
    return JSONResponse(body)


async def get_list(request: Request) -> Response:
    sb = sandbox_of(request)
    q = query(request, ("include_membership_count",))
    counted = q.csv("include_membership_count", ("all", "active"))
    if counted is not None and len(counted) != 1:
        raise errors.validation("include_membership_count must be all or active.")
    list_id = request.path_params["list_id"]
    d = sb.records.catalog.list_by_id.get(list_id)
    if d is None:
        raise errors.not_found("list_id is in an invalid format." if not is_uuid(list_id) else "List not found.")
    with sb.lock:
        count = membership_counts(sb.records, counted[0] == "active")[list_id] if counted else None
        return JSONResponse(list_json(d, count))


routes = [
    Route("/contact_lists", list_lists, methods=["GET"]),
    Route("/contact_lists/{list_id}", get_list, methods=["GET"]),
]
