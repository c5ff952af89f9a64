"""Calls only tests make (reading contacts one by one, a bulk export): built on the client's public paging and
its one door to the network, `_send`, so they get the same rate limit, retries and refresh on 401."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

from ccdesk.api import CCClient, Contact
from ccdesk.api.models import Activity
from ccdesk.files import atomic_write


async def iter_contacts(client: CCClient, **filters: Any) -> AsyncIterator[Contact]:
    """Every contact matching the filters, page after page."""
    async for page in client.iter_contact_pages(**filters):
        for contact in page.contacts:
            yield contact


async def start_contact_export(client: CCClient, *, status: str | None = None,
                               fields: Sequence[str] | None = None) -> Activity:
    """POST /activities/contact_exports."""
    body: dict[str, Any] = {}
    if status:
        body["status"] = status
    if fields:
        body["fields"] = list(fields)
    return await client._post_activity("contact_exports", body)


async def download_export(client: CCClient, results_href: str, dest: Path) -> Path:
    """GET an export's CSV through `_send` and write it whole (ccdesk/files.py)."""
    response = await client._send("GET", results_href, parse=False)
    with atomic_write(dest, text=False) as out:
        out.write(response.content)
    return dest
