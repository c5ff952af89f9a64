"""Fixtures for the contract suite driven by Constant Contact's official Python SDK (`constant-contact-api-client`).

Each module gets its own `python -m ccdesk.sandbox` child process on 127.0.0.1 (real HTTP, the CLI a developer
would run), and the SDK is configured the way its README shows: `Configuration(host=..., access_token=...)`.

    def test_x(sdk: Sdk): sdk.contacts.get_all_contacts(...); sdk.control("POST", "/faults", {...})
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from typing import Any

import constant_contact_api_client as cc
import pytest

from tests.sandboxes import SandboxProcess, sandbox_child

TOKEN = "sdk-token"
ALL_INCLUDES = ("custom_fields", "list_memberships", "phone_numbers", "street_addresses", "taggings", "notes")


class Sdk:
    """The official SDK's API objects, pointed at one sandbox with one access token."""

    def __init__(self, sandbox: SandboxProcess, token: str = TOKEN) -> None:
        self.sandbox = sandbox
        self.configuration = cc.Configuration(host=sandbox.api_base, access_token=token)
        self.client = cc.ApiClient(self.configuration)
        self.contacts = cc.ContactsApi(self.client)
        self.lists = cc.ContactListsApi(self.client)
        self.activities = cc.BulkActivitiesApi(self.client)
        self.custom_fields = cc.ContactsCustomFieldsApi(self.client)

    def control(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        return self.sandbox.control(method, path, body)

    def follow(self, href: str, model: str) -> Any:
        """GET a `_links.next.href` the way an SDK user does (the SDK has no cursor parameter): through the
        SDK's own ApiClient (auth header, urllib3 pool) and its deserializer into `model`."""
        headers = {"Accept": "application/json", "Authorization": f"Bearer {self.configuration.access_token}"}
        response = self.client.call_api("GET", self.sandbox.base_url + href, header_params=headers)
        response.read()
        return self.client.response_deserialize(response_data=response, response_types_map={"200": model}).data

    def poll_activity(self, activity_id: str, timeout: float = 20.0) -> Any:
        """Poll GET /activities/{id} (as the docs say to) until the activity is completed."""
        deadline = time.monotonic() + timeout
        while True:
            activity = self.activities.get_activity_by_id(activity_id)
            if activity.state in ("completed", "failed", "cancelled", "timed_out"):
                return activity
            assert time.monotonic() < deadline, f"activity {activity_id} still {activity.state}"
            time.sleep(0.1)

    def requests_log(self) -> list[dict[str, str]]:
        return self.control("GET", "/requests")["log"]  # type: ignore[no-any-return]


def jwt_claims(token: str) -> dict[str, Any]:
    """Decode a JWT's claims the way integrations do (no key, no library): base64url JSON, middle part."""
    payload = token.split(".")[1]
    claims: dict[str, Any] = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return claims


def start(*args: str) -> Iterator[SandboxProcess]:
    with sandbox_child(*args) as process:
        yield process


@pytest.fixture(scope="module")
def sandbox_process() -> Iterator[SandboxProcess]:
    """300 contacts, no rate limit, fixed token, fast activities, sign-ins approved without a page."""
    yield from start("--contacts", "300", "--seed", "19", "--rate-limit", "0", "--token", TOKEN,
                     "--activity-seconds", "0.3", "--auto-approve")


@pytest.fixture
def sdk(sandbox_process: SandboxProcess) -> Iterator[Sdk]:
    api = Sdk(sandbox_process)
    yield api
    sandbox_process.control("DELETE", "/faults")
