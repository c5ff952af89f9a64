"""The window in team mode, on a real PostgreSQL: its first sync comes from the team's copy (not one request to
Constant Contact), and an opt-out another desk sends shows in its table within seconds, without a sync."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from ccdesk.api import CCClient, RateLimiter, RetryPolicy, StaticTokenProvider
from ccdesk.sandbox.app import SandboxConfig
from ccdesk.sandbox.server import SandboxServer
from ccdesk.services.desk import Desk
from ccdesk.team.config import TeamSettings
from ccdesk.team.link import TeamLink
from ccdesk.ui.main_window import MainWindow
from ccdesk.ui.team_view import install_team_view
from tests.team.conftest import pg, team_db, team_dsn  # noqa: F401 - the fixtures
from tests.ui.waiting import until

TOKEN = "team-window-token"
pytestmark = pytest.mark.slow


def _client(server: SandboxServer) -> CCClient:
    return CCClient(StaticTokenProvider(TOKEN), base_url=server.api_base, rate_limiter=RateLimiter(0),
                    retry=RetryPolicy(attempts=2, base_delay=0.01, max_delay=0.02))


async def test_window_follows_the_team(team_dsn: str, tmp_path: Path) -> None:  # noqa: F811
    server = SandboxServer(SandboxConfig(contacts=300, seed=11, rate_limit=0, tokens=[TOKEN])).start()
    sb = server.app.state.sandbox
    other = Desk(_client(server), tmp_path / "b.sqlite3", team=TeamLink(TeamSettings(team_dsn, "B", "Desk B", "bob")))
    desk = Desk(_client(server), tmp_path / "a.sqlite3", team=TeamLink(TeamSettings(team_dsn, "A", "Desk A", "ann")))
    window = MainWindow(desk, account="team")
    window.confirm_quit_with_pending = False
    install_team_view(window, desk)
    window.show()
    try:
        other.start(background_sync=False)
        assert (await other.sync.run()).full_pull  # desk B reads the account for the team and holds the sync
        sb.reset_request_counts()
        window.start_pull()
        await until(lambda: window.pull_finished, 60)
        model = window.contacts.model
        assert model.total == 300
        assert sb.requests_matching(None, "/v3/") == 0  # the window's first sync read PostgreSQL only
        desk.start(background_sync=False)

        cid = next(c for c in sb.contact_ids(status="active")
                   if sb.contact_json(c)["email_address"].get("permission_to_send") != "unsubscribed")
        await other.actions.unsubscribe([cid], "asked on the phone", "Contact")

        def shown_unsubscribed() -> bool:
            row = model.row(model.row_of(cid)) if model.row_of(cid) >= 0 else None
            return row is not None and str(row.status) == "unsubscribed"

        await until(shown_unsubscribed, 20)  # no sync asked for: the team's notification brought it
        assert "from the team applied" in window.statusBar().currentMessage()
    finally:
        window.shutdown()
        window.close()
        await desk.close()
        await other.close()
        await asyncio.sleep(0.05)
        server.stop()
