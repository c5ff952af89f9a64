"""After a full session (sign-in, sync, an unsubscribe, settings saved, logging on), no token or code is in any
file under the config, data, state, cache or log directories."""

from __future__ import annotations

import asyncio
import logging
import os
from dataclasses import dataclass
from pathlib import Path

import httpx

from ccdesk import logsetup
from ccdesk.api import CCClient, RateLimiter
from ccdesk.auth.config import AuthConfig
from ccdesk.auth.flows import sign_in_pkce
from ccdesk.auth.session import AuthSession
from ccdesk.auth.token_store import MemoryTokenStore
from ccdesk.preferences import Preferences
from ccdesk.sandbox.app import SandboxConfig
from ccdesk.sandbox.server import SandboxServer
from ccdesk.services.desk import Desk
from ccdesk.store.sqlite_file import default_db_path


def _files_under(*roots: str) -> list[Path]:
    return [p for root in roots if root and Path(root).exists() for p in Path(root).rglob("*") if p.is_file()]


@dataclass
class Scan:
    files: list[Path]
    log_path: Path
    secrets: int
    found: list[tuple[Path, str]]


async def full_session_scan() -> Scan:
    """Sign in (PKCE), sync, refresh the token mid-session, unsubscribe, save settings, log at DEBUG; then look
    for every token and code seen in every file under the XDG config/data/state/cache dirs and the log dir."""
    log_path = logsetup.configure(logging.DEBUG, to_stderr=False)
    server = SandboxServer(SandboxConfig(contacts=50, auto_approve=True, rate_limit=0)).start()
    seen: list[str] = []
    try:
        config = AuthConfig(client_id="scan-test", auth_base=server.base_url,
                            redirect_uri="http://127.0.0.1:0/callback")
        Preferences(client_id="scan-test", auth_base=server.base_url, api_base=server.api_base).save()
        tasks: set[asyncio.Task[httpx.Response]] = set()

        async def visit(url: str) -> httpx.Response:
            async with httpx.AsyncClient(follow_redirects=True) as http:
                return await http.get(url)

        tokens = await sign_in_pkce(config, lambda url: tasks.add(asyncio.ensure_future(visit(url))))
        await asyncio.gather(*tasks)
        session = AuthSession(config, MemoryTokenStore())
        await session.sign_in(tokens)
        seen += [tokens.access_token, tokens.refresh_token or ""]
        server.sandbox.tokens.expire_all()  # forces a refresh in the middle of the session
        desk = Desk(CCClient(session, base_url=server.api_base, rate_limiter=RateLimiter(0)), default_db_path())
        try:
            await desk.sync.run()
            cid = server.sandbox.contact_ids(status="active")[0]
            await desk.actions.unsubscribe([cid], "Asked by phone", "Contact")
            await desk.worker.drain()
        finally:
            await desk.close()
        assert session.refresh_count >= 1
        seen += [session.tokens.access_token, session.tokens.refresh_token or ""]
        await session.aclose()
    finally:
        server.stop()
        logging.getLogger().handlers.clear()
    secrets = [s for s in seen if s]
    files = _files_under(*(os.environ[v] for v in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME",
                                                   "XDG_CACHE_HOME")), str(log_path.parent))
    found = [(path, secret) for path in files for secret in secrets if secret.encode() in path.read_bytes()]
    return Scan(files, log_path, len(secrets), found)


async def test_a_full_session_leaves_no_token_on_disk() -> None:
    scan = await full_session_scan()
    assert scan.log_path in scan.files and any(f.suffix == ".sqlite3" for f in scan.files)
    assert scan.secrets >= 4  # the first pair and the refreshed pair
    assert scan.found == [], f"a token was written to {scan.found[0][0]}"


def test_the_scan_finds_a_token_written_to_a_file(tmp_path: Path) -> None:
    """Control: the same scan over a file that does hold a token finds it."""
    (tmp_path / "leak.txt").write_bytes(b"... Bearer abc.def.ghi ...")
    files = _files_under(str(tmp_path))
    assert [p for p in files if b"abc.def.ghi" in p.read_bytes()] == [tmp_path / "leak.txt"]
