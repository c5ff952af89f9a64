"""Fixtures for the sign-in tests: the sandbox's OAuth server on real loopback HTTP, a fake clock, a scripted browser,
in-memory keyrings, and a real Secret Service (gnome-keyring on a private D-Bus)."""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import keyring.backend
import keyring.errors
import pytest
import pytest_asyncio

from ccdesk.auth import AuthConfig
from ccdesk.sandbox.app import create_app
from ccdesk.sandbox.config import SandboxConfig
from ccdesk.sandbox.oauth import OAuthServer
from ccdesk.sandbox.tokens import TokenRegistry
from tests.sandboxes import sandboxes

from .keyring_service import KeyringUnavailable, SecretService, private_secret_service

CLIENT_ID = "ccdesk-test-client"


class FakeClock:
    """Seconds since the epoch that only move when told; `now()` is the same instant as an aware datetime."""

    def __init__(self, start: float = 1_760_000_000.0) -> None:
        self.t = start

    def __call__(self) -> float:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += seconds

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.t, UTC)


@dataclass
class Sandbox:
    base_url: str
    config: SandboxConfig
    tokens: TokenRegistry
    clock: FakeClock

    @property
    def oauth(self) -> OAuthServer:
        return self.tokens.oauth

    def auth_config(self, **kw: Any) -> AuthConfig:
        kw.setdefault("redirect_uri", "http://127.0.0.1:0/callback")
        return AuthConfig(CLIENT_ID, auth_base=self.base_url, **kw)

    @property
    def token_url(self) -> str:
        return self.base_url + "/oauth2/default/v1/token"


@pytest_asyncio.fixture
async def web(sandbox: Sandbox) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client on the sandbox's host (the OAuth server and /_sandbox), redirects not followed."""
    async with httpx.AsyncClient(base_url=sandbox.base_url, follow_redirects=False, timeout=5) as client:
        yield client


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


class _SwappableApp:
    """One uvicorn for the whole session; each test mounts a fresh sandbox app (fresh state, config, clock).

    (A uvicorn per test costs ~0.2 s: test_end_to_end.py starts its own.)"""

    def __init__(self) -> None:
        self.app: Any = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self.app(scope, receive, send)


@pytest.fixture(scope="session")
def _oauth_host() -> Iterator[tuple[_SwappableApp, str]]:
    holder = _SwappableApp()
    with sandboxes(contacts=0) as start:
        yield holder, start(app=holder).base_url


@pytest.fixture
def sandbox(clock: FakeClock, _oauth_host: tuple[_SwappableApp, str]) -> Iterator[Sandbox]:
    """The whole sandbox app (OAuth server beside /v3) over real HTTP, on the fake clock.

    Its config is read per request, so tests may flip auto_approve, refresh_tokens, token_lifetime_s.
    """
    holder, base_url = _oauth_host
    config = SandboxConfig(contacts=0, rate_limit=0, auto_approve=True, refresh_tokens="rotating", clock=clock)
    holder.app = create_app(config)
    yield Sandbox(base_url, config, holder.app.state.sandbox.tokens, clock)
    holder.app = None


# ---- a scripted browser --------------------------------------------------------------------------------------------

_REQUEST_ID = re.compile(r'name="request_id" value="([^"]+)"')


@dataclass
class ScriptedBrowser:
    """Plays the user's browser: opens the authorize URL, answers the approval page, follows the redirects
    (to the sandbox, then to ccdesk's loopback listener). `tamper` may rewrite the final redirect URL."""

    decision: str = "approve"
    tamper: Any = None
    pages: list[httpx.Response] = field(default_factory=list)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    urls: list[str] = field(default_factory=list)  # what open() was given
    visited: list[str] = field(default_factory=list)  # every redirect target followed

    def open(self, url: str) -> bool:
        self.urls.append(url)
        self.tasks.append(asyncio.get_running_loop().create_task(self.visit(url)))
        return True

    async def visit(self, url: str) -> None:
        async with httpx.AsyncClient(follow_redirects=False, timeout=10) as web:
            page = await web.get(url)
            match = _REQUEST_ID.search(page.text) if page.status_code == 200 else None
            if match:
                page = await web.post(str(page.url.copy_with(query=None)),
                                      data={"request_id": match.group(1), "decision": self.decision})
            while page.is_redirect:
                target = page.headers["location"]
                if self.tamper is not None and "127.0.0.1" in target and "/oauth2/" not in target:
                    target = self.tamper(target)
                self.visited.append(target)
                page = await web.get(target)
            self.pages.append(page)

    @property
    def last_page(self) -> str:
        return self.pages[-1].text if self.pages else ""


@pytest.fixture
def browser() -> ScriptedBrowser:
    return ScriptedBrowser()


# ---- keyrings -------------------------------------------------------------------------------------------------------

class MemoryKeyring(keyring.backend.KeyringBackend):
    """An in-memory keyring backend; `max_chars` emulates Windows Credential Manager's value limit."""

    # keyring discovers every KeyringBackend subclass; priority 0 keeps this one out of its automatic choice and
    # out of ChainerBackend, so it is only used where a test passes it explicitly.
    priority = 0  # type: ignore[assignment]

    def __init__(self, max_chars: int | None = None) -> None:
        super().__init__()
        self.entries: dict[tuple[str, str], str] = {}
        self.max_chars = max_chars
        self.threads: set[int] = set()

    def get_password(self, service: str, username: str) -> str | None:
        self.threads.add(threading.get_ident())
        return self.entries.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.threads.add(threading.get_ident())
        if self.max_chars is not None and len(password) > self.max_chars:
            raise keyring.errors.PasswordSetError("The stub is too long")
        self.entries[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.threads.add(threading.get_ident())
        if self.entries.pop((service, username), None) is None:
            raise keyring.errors.PasswordDeleteError("not found")


@pytest.fixture
def memory_keyring() -> MemoryKeyring:
    return MemoryKeyring()



@pytest.fixture(scope="module")
def secret_service() -> Iterator[SecretService]:
    """A real gnome-keyring Secret Service on a private D-Bus session bus, unlocked with a non-empty password.

    DBUS_SESSION_BUS_ADDRESS points at it only while the fixture lives; both daemons are ended by their pid.
    """
    problem: KeyringUnavailable | None = None
    for _attempt in range(3):  # on a loaded machine the daemon now and then leaves its collection locked
        started = private_secret_service()
        try:
            service = started.__enter__()
        except KeyringUnavailable as exc:  # everything it started is already stopped
            problem = exc
            continue
        try:
            yield service
        finally:
            started.__exit__(None, None, None)
        return
    pytest.skip(str(problem))
