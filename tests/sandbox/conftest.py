"""Fixtures: an in-process client (httpx.ASGITransport) on a fake clock, and real uvicorn servers.

    async def test_x(client, sandbox, clock): ...      # in-process, rate limit off, 200 contacts
    def test_y(server): server.api_base                 # uvicorn on a free port, token "test-token"
    def test_z(start_sandbox): s = start_sandbox(contacts=0, rate_limit=0)

A module can override `config` to change the in-process sandbox.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio
from starlette.applications import Starlette

from ccdesk.sandbox.app import SandboxConfig, create_app
from ccdesk.sandbox.state import Sandbox
from tests.sandboxes import FakeClock, asgi_client

TOKEN = "test-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


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
    async with asgi_client(app, TOKEN) as c:
        yield c


@pytest.fixture
def sandbox_options() -> dict[str, Any]:
    """`start_sandbox` and `server` (tests/conftest.py): 200 contacts, the real limits, token "test-token"."""
    return {"tokens": [TOKEN]}
