"""A desk (store thread + client + outbox + actions) against a sandbox served by uvicorn on 127.0.0.1."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from ccdesk.api import CCClient, RateLimiter, RetryPolicy, StaticTokenProvider
from ccdesk.sandbox.server import SandboxServer
from ccdesk.services.desk import Desk

TOKEN = "services-test-token"


READINGS = ("pending_confirmation", "unsubscribed")
# Modules whose tests must pass under every reading of the state after a resubscribe request:
#     pytestmark = pytest.mark.parametrize("resubscribe_state", READINGS, indirect=True)
BOTH_READINGS = pytest.mark.parametrize("resubscribe_state", READINGS, indirect=True)


@pytest.fixture
def resubscribe_state(request: pytest.FixtureRequest) -> str:
    """The sandbox's `--resubscribe-state` reading (default unless a module parametrises it)."""
    return str(getattr(request, "param", READINGS[0]))


@pytest.fixture
def sandbox_options(resubscribe_state: str) -> dict[str, Any]:
    """`start_sandbox` and `server` (tests/conftest.py) here: 300 contacts, no rate limit, fast activities."""
    return {"contacts": 300, "seed": 3, "rate_limit": 0, "tokens": [TOKEN], "activity_seconds": 0.1,
            "resubscribe_state": resubscribe_state}


async def _no_wait(_: float) -> None:
    return None


def make_client(server: SandboxServer, token: str = TOKEN, **kw: Any) -> CCClient:
    return CCClient(StaticTokenProvider(token), base_url=server.api_base,
                    rate_limiter=kw.pop("rate_limiter", RateLimiter(rate=0)),
                    retry=kw.pop("retry", RetryPolicy(attempts=4, base_delay=0.01, max_delay=0.05)), **kw)


@pytest_asyncio.fixture
async def desk(server: SandboxServer, tmp_path: Path) -> AsyncIterator[Desk]:
    d = Desk(make_client(server), tmp_path / "cache.sqlite3")
    yield d
    await d.close()
