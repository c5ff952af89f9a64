"""The one way tests start a sandbox: `sandboxes()` (uvicorn on 127.0.0.1, a free port, each in its own thread)
and `asgi_client()` (the app in-process through httpx.ASGITransport). tests/conftest.py builds the
`start_sandbox` and `server` fixtures on them; an area's conftest sets its options with `sandbox_options`."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import httpx

from ccdesk.sandbox.app import SandboxConfig
from ccdesk.sandbox.server import SandboxServer
from ccdesk.sandbox.state import Sandbox

START = 1_790_000_000.0  # 2026-09-21T14:13:20Z


class FakeClock:
    """The sandbox's injectable time (`SandboxConfig(clock=...)`): tests advance it instead of sleeping."""

    def __init__(self, start: float = START) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def subscribed(sb: Sandbox) -> list[str]:
    """The sandbox's active contacts that are not unsubscribed (ones an unsubscribe would change)."""
    return [c for c in sb.contact_ids(status="active")
            if sb.contact_json(c)["email_address"]["permission_to_send"] != "unsubscribed"]


@contextmanager
def sandboxes(**defaults: Any) -> Iterator[Callable[..., SandboxServer]]:
    """A starter: `start(**options)` runs a sandbox with `defaults` overridden by `options` (SandboxConfig
    fields; `app=` serves that ASGI app instead of the config's own). Every one started is stopped on exit."""
    servers: list[SandboxServer] = []

    def start(app: Any = None, **options: Any) -> SandboxServer:
        server = SandboxServer(SandboxConfig(**{**defaults, **options}))
        if app is not None:
            server.app = app
        servers.append(server.start())
        return server

    try:
        yield start
    finally:
        for server in reversed(servers):
            server.stop()


@asynccontextmanager
async def asgi_client(app: Any, token: str) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client on the app in-process (no socket), with that bearer token."""
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://sandbox.test",
                                 headers={"Authorization": f"Bearer {token}"}) as client:
        yield client
