"""/v3/contact_custom_fields: the account's custom field definitions (read only), as the spec defines them.

The sandbox seeds four text fields (data.build_catalog) and contacts carry their values; these endpoints name
them. `limit` is 1-100 (default 50) and pages follow `_links.next.href` with the same signed cursors as
/contacts. The create/update/delete operations are not emulated (405).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from . import errors
from .ids import is_uuid
from .model import CustomFieldDef
from .timefmt import iso_z
from .web import next_href, paged_query, query, sandbox_of

PARAMS = ("limit",)
MAX_LIMIT = 100
PATH = "/v3/contact_custom_fields"


def custom_field_json(f: CustomFieldDef) -> dict[str, Any]:
    """`CustomFieldResource`: `name` is the label with blanks replaced by underscores (the spec's wording)."""
    return {
        "custom_field_id": f.custom_field_id,
        "label": f.label,
        "name": f.label.replace(" ", "_"),
        "type": "string",
        "created_at": iso_z(f.created_ms),
        "updated_at": iso_z(f.updated_ms),
    }


async def list_custom_fields(request: Request) -> Response:
    sb = sandbox_of(request)
    with sb.lock:
        q, after = paged_query(request, "custom_fields", PARAMS)
        limit = q.integer("limit", 50, 1, MAX_LIMIT)
        page = [(pos, f) for pos, f in enumerate(sb.records.catalog.custom_fields) if pos > after]
        body: dict[str, Any] = {"custom_fields": [custom_field_json(f) for _pos, f in page[:limit]]}
        if len(page) > limit:
            body["_links"] = {"next": {"href": next_href(request, "custom_fields", PATH, q.params,
                                                         page[limit - 1][0])}}
    return JSONResponse(body)


async def get_custom_field(request: Request) -> Response:
    sb = sandbox_of(request)
    query(request, ())
    field_id = request.path_params["custom_field_id"]
    f = sb.records.catalog.field_by_id.get(field_id)
    if f is None:
        raise errors.not_found(
            "custom_field_id is in an invalid format." if not is_uuid(field_id) else "Custom field not found.")
    return JSONResponse(custom_field_json(f))


routes = [
    Route("/contact_custom_fields", list_custom_fields, methods=["GET"]),
    Route("/contact_custom_fields/{custom_field_id}", get_custom_field, methods=["GET"]),
]
