"""Fixtures: an in-process client (httpx.ASGITransport) on a fake clock, and real uvicorn servers.

    async def test_x(client, sandbox, clock): ...      # in-process, rate limit off, 200 contacts
    def test_y(sandbox_server): sandbox_server.api_base  # uvicorn on a free port, token "test-token"
    def test_z(start_sandbox): s = start_sandbox(contacts=0, rate_limit=0)

A module can override `config` to change the in-process sandbox.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx
import pytest
import pytest_asyncio
from starlette.applications import Starlette

from ccdesk.sandbox.app import SandboxConfig, create_app
from ccdesk.sandbox.server import SandboxServer
from ccdesk.sandbox.state import Sandbox

TOKEN = "test-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
START = 1_790_000_000.0  # 2026-09-21T14:13:20Z


class FakeClock:
    """Injectable time: tests advance it instead of sleeping."""

    def __init__(self, start: float = START) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def config(clock: FakeClock) -> SandboxConfig:
    return SandboxConfig(contacts=200, seed=1, rate_limit=0, tokens=[TOKEN], clock=clock)


@pytest.fixture
def app(config: SandboxConfig) -> Starlette:
    return create_app(config)


@pytest.fixture
def sandbox(app: Starlette) -> Sandbox:
    sb: Sandbox = app.state.sandbox
    return sb


@pytest_asyncio.fixture
async def client(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox.test", headers=AUTH) as c:
        yield c


@pytest.fixture
def start_sandbox() -> Iterator[Callable[..., SandboxServer]]:
    """Start uvicorn sandboxes with SandboxConfig overrides (token "test-token"); all stopped afterwards."""
    servers: list[SandboxServer] = []

    def start(**overrides: Any) -> SandboxServer:
        options: dict[str, Any] = {"tokens": [TOKEN], **overrides}
        server = SandboxServer(SandboxConfig(**options)).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def sandbox_server(start_sandbox: Callable[..., SandboxServer]) -> SandboxServer:
    """uvicorn on 127.0.0.1, a free port, 200 contacts, the real limits, token "test-token"."""
    return start_sandbox()
