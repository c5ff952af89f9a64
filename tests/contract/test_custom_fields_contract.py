"""GET /contact_custom_fields (every page) and /contact_custom_fields/{id} answer what the spec declares."""

from __future__ import annotations

import httpx
import pytest

from ccdesk.sandbox.state import Sandbox

from .schemas import undeclared_properties, validate
from .test_sandbox_contract import check


async def test_custom_fields_every_page_and_each_one(client: httpx.AsyncClient, sandbox: Sandbox) -> None:
    r = await client.get("/v3/contact_custom_fields", params={"limit": 1})
    seen = []
    while True:
        body = check("/contact_custom_fields", "get", r, 200)
        seen += body["custom_fields"]
        if "_links" not in body:
            break
        r = await client.get(body["_links"]["next"]["href"])
    assert {f["custom_field_id"]: f["label"] for f in seen} == sandbox.custom_fields()
    for f in seen:
        one = check("/contact_custom_fields/{custom_field_id}", "get",
                    await client.get(f"/v3/contact_custom_fields/{f['custom_field_id']}"), 200)
        assert one == f


def test_the_merged_definitions_refuse_what_the_spec_refuses() -> None:
    validate("CustomFieldResource", {"label": "Tier", "type": "string"})
    with pytest.raises(Exception, match="required"):
        validate("CustomFieldResource", {"label": "Tier"})
    assert undeclared_properties("CustomFieldResource", {"label": "x", "type": "string", "colour": 1}) == ["/colour"]
