"""/v3/activities and /v3/contact_exports endpoints."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from . import bodies, errors
from .activities import LIST_KINDS, ActivityJob, ActivityQueue
from .validation import Obj
from .web import json_body, query, sandbox_of

Endpoint = Callable[[Request], Awaitable[Response]]
Start = Callable[[ActivityQueue, dict[str, Any], int], ActivityJob]


def _queues(schema: Obj, start: Start) -> Endpoint:
    """A POST that queues an activity: the body checked against `schema`, 201 with the activity's short form."""

    async def endpoint(request: Request) -> Response:
        sb = sandbox_of(request)
        query(request, ())
        body = await json_body(request, schema)
        with sb.lock:
            act = start(sb.activities, body, sb.now_ms())
            return JSONResponse(sb.activities.as_json(act, act.created_ms, detailed=False), status_code=201)

    return endpoint


def _list_activity(kind: str) -> Endpoint:
    return _queues(bodies.LIST_ACTIVITY, lambda queue, body, now: queue.list_activity(kind, body, now))


async def get_activity(request: Request) -> Response:
    sb = sandbox_of(request)
    query(request, ())
    return JSONResponse(sb.activity_json(request.path_params["activity_id"]))


async def get_export(request: Request) -> Response:
    """The CSV of a completed export; 404 for unknown ids and for exports still running (unconfirmed)."""
    sb = sandbox_of(request)
    query(request, ())
    with sb.lock:
        act = sb.activities.activities.get(request.path_params["file_export_id"])
        if act is None or act.kind != "contact_exports" or act.csv is None:
            raise errors.not_found("Export file not found.")
        csv_text = act.csv
    return Response(csv_text.encode("utf-8"), media_type="text/csv; charset=utf-8")


routes = [
    *(Route(f"/activities/{kind}", _list_activity(kind), methods=["POST"]) for kind in LIST_KINDS),
    Route("/activities/contact_delete", _queues(bodies.CONTACT_DELETE, ActivityQueue.delete_activity),
          methods=["POST"]),
    Route("/activities/contact_exports", _queues(bodies.CONTACT_EXPORT, ActivityQueue.export_activity),
          methods=["POST"]),
    Route("/activities/{activity_id}", get_activity, methods=["GET"]),
    Route("/contact_exports/{file_export_id}", get_export, methods=["GET"]),
]
