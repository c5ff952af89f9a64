"""Small helpers shared by the sandbox tests."""

from __future__ import annotations

from typing import Any

import httpx

from ccdesk.sandbox.state import Sandbox


def error_keys(response: httpx.Response) -> list[str]:
    body = response.json()
    assert isinstance(body, list), body
    return [e["error_key"] for e in body]


def one_contact(sandbox: Sandbox, status: str | None = None, **want: Any) -> str:
    """The id of the first contact with that status whose full JSON has the wanted top-level values."""
    for contact_id in sandbox.contact_ids(status=status):
        body = sandbox.contact_json(contact_id)
        if all(body.get(k) == v for k, v in want.items()):
            return contact_id
    raise LookupError(f"no contact with status={status} {want}")


def put_body(contact: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """What a careful client PUTs: the record it read (minus the SMS channel, whose PUT shape differs)."""
    body = {k: v for k, v in contact.items() if k != "sms_channel"}
    body.update(changes)
    return body
