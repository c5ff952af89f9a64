"""Demo mode: a sandbox on 127.0.0.1 and a real PKCE sign-in to it, approved by a scripted "browser"."""

from __future__ import annotations

import asyncio
import logging
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from ccdesk.api import CCClient
from ccdesk.auth.config import AuthConfig
from ccdesk.auth.flows import sign_in_pkce
from ccdesk.auth.session import AuthSession
from ccdesk.auth.token_store import MemoryTokenStore
from ccdesk.auth.tokenset import TokenSet
from ccdesk.sandbox.app import SandboxConfig
from ccdesk.sandbox.server import SandboxServer

log = logging.getLogger(__name__)

DEMO_CLIENT_ID = "ccdesk-demo"
DEMO_CONTACTS = 2500
DEMO_CONTACTS_ENV = "CCDESK_DEMO_CONTACTS"  # try the demo at scale, e.g. 100000 (CI: a first read stored by a process)
DEMO_SEED = 7
DEMO_ACCOUNT_NAME = "Demo account (sandbox)"


@dataclass
class DemoAccount:
    server: SandboxServer
    session: AuthSession

    def stop(self) -> None:
        self.server.stop()


async def signed_in_to_sandbox(server: SandboxServer, client_id: str = DEMO_CLIENT_ID) -> tuple[AuthConfig, TokenSet]:
    """A real PKCE sign-in to a sandbox that approves sign-ins by itself, with a scripted "browser"."""
    config = AuthConfig(client_id=client_id, auth_base=server.base_url, redirect_uri="http://127.0.0.1:0/callback")
    pending: set[asyncio.Task[None]] = set()

    async def browser(url: str) -> None:
        async with httpx.AsyncClient(follow_redirects=True, timeout=10) as http:
            await http.get(url)

    def open_browser(url: str) -> bool:
        task = asyncio.get_running_loop().create_task(browser(url))
        pending.add(task)
        task.add_done_callback(pending.discard)
        return True

    return config, await sign_in_pkce(config, open_browser, timeout_s=20)


async def start_demo(contacts: int = DEMO_CONTACTS, seed: int = DEMO_SEED) -> DemoAccount:
    """Start the sandbox (auto-approving sign-ins) and sign in to it exactly as a user would, minus the clicks.

    The demo keeps its tokens in memory: it must never write to the user's keyring.
    """
    server = SandboxServer(SandboxConfig(contacts=contacts, seed=seed, auto_approve=True)).start()
    try:
        config, tokens = await signed_in_to_sandbox(server)
        session = AuthSession(config, MemoryTokenStore())
        await session.sign_in(tokens)
    except BaseException:
        server.stop()
        raise
    log.info("demo: signed in to the sandbox at %s", server.base_url)
    return DemoAccount(server, session)


@dataclass
class DemoRun:
    """What the window needs for demo mode: the signed-in sandbox, a client on it, and a cache file of its own
    (the sandbox starts afresh every time, so the demo's cache does too)."""

    demo: DemoAccount
    client: CCClient
    db_path: Path
    account: str = DEMO_ACCOUNT_NAME
    _tmp: tempfile.TemporaryDirectory[str] | None = field(default=None, repr=False)

    @property
    def server(self) -> SandboxServer:
        return self.demo.server

    async def close(self) -> None:
        """The sign-in, the sandbox and the temporary folder (the client closes with the Desk built on it)."""
        await self.demo.session.aclose()
        self.demo.stop()
        if self._tmp is not None:
            self._tmp.cleanup()


def demo_contacts() -> int:
    """How many made-up contacts the demo account has: DEMO_CONTACTS, or the number in $CCDESK_DEMO_CONTACTS."""
    value = os.environ.get(DEMO_CONTACTS_ENV, "").strip()
    if not value:
        return DEMO_CONTACTS
    try:
        contacts = int(value)
    except ValueError:
        contacts = 0
    if not 1 <= contacts <= 2_000_000:
        log.warning("%s=%r is not a number of contacts from 1 to 2,000,000; the demo has %d", DEMO_CONTACTS_ENV,
                    value[:40], DEMO_CONTACTS)
        return DEMO_CONTACTS
    return contacts


async def open_demo(db_path: Path | None = None) -> DemoRun:
    demo = await start_demo(demo_contacts())
    client = CCClient(demo.session, base_url=demo.server.api_base)
    if db_path is not None:
        return DemoRun(demo, client, db_path)
    tmp = tempfile.TemporaryDirectory(prefix="ccdesk-demo-")
    return DemoRun(demo, client, Path(tmp.name) / "demo.sqlite3", _tmp=tmp)
