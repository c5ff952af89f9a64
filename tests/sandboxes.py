"""The one way tests start a sandbox: `sandboxes()` (uvicorn on 127.0.0.1, a free port, each in its own thread),
`asgi_client()` (the app in-process through httpx.ASGITransport) and `sandbox_child()` (`python -m
ccdesk.sandbox`, the command a developer runs, as a child process). tests/conftest.py builds the
`start_sandbox` and `server` fixtures on them; an area's conftest sets its options with `sandbox_options`."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
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


@dataclass
class SandboxProcess:
    """`python -m ccdesk.sandbox ARGS` as a child process; `api_base` is read from its first stdout line."""

    args: list[str]
    proc: subprocess.Popen[str] = field(init=False)
    api_base: str = field(init=False, default="")

    def __post_init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "ccdesk.sandbox", "--port", "0", *self.args],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=dict(os.environ),
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()  # "ccdesk sandbox serving http://127.0.0.1:PORT/v3 (...)"
        if "serving " not in line:
            self.stop()
            raise RuntimeError(f"the sandbox did not start: {line!r}")
        self.api_base = line.split("serving ", 1)[1].split()[0]

    @property
    def base_url(self) -> str:
        return self.api_base.removesuffix("/v3")

    def control(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        r = httpx.request(method, f"{self.base_url}/_sandbox{path}", json=body, timeout=10)
        r.raise_for_status()
        return r.json() if r.content else None

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()


@contextmanager
def sandbox_child(*args: str) -> Iterator[SandboxProcess]:
    """`python -m ccdesk.sandbox --port 0 ARGS` running until the block ends."""
    process = SandboxProcess(list(args))
    try:
        yield process
    finally:
        process.stop()
