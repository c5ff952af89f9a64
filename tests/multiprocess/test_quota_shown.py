"""The window's status bar shows the requests every ccdesk process of the desk sent today with the API key,
including a scheduled command's (a real second process), as they happen."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from ccdesk.api import CCClient, StaticTokenProvider
from ccdesk.api.shared_budget import SharedBudget, requests_used_today
from ccdesk.services.desk import Desk
from ccdesk.ui.main_window import MainWindow

ROOT = Path(__file__).resolve().parents[2]
SEND_THREE = """
import asyncio, sys
from pathlib import Path
from ccdesk.api.shared_budget import SharedBudget

async def main():
    budget = SharedBudget("the-key", Path(sys.argv[1]))
    for _ in range(3):
        async with budget.slot():
            pass

asyncio.run(main())
"""


def test_status_bar_counts_the_other_processes_requests(qtbot, tmp_path: Path) -> None:
    budget_file = tmp_path / "budget.sqlite3"
    client = CCClient(StaticTokenProvider("t"), base_url="http://127.0.0.1:9/v3",
                      rate_limiter=SharedBudget("the-key", budget_file))
    db = tmp_path / "cache.sqlite3"
    desk = Desk(client, db)
    window = MainWindow(desk, account="Test")
    window.show()
    try:
        subprocess.run([sys.executable, "-c", SEND_THREE, str(budget_file)], cwd=ROOT, check=True, timeout=60)
        assert requests_used_today("the-key", budget_file) == 3
        label = window.status.quota_label
        qtbot.waitUntil(lambda: label.text() == "Constant Contact allowance used today: 3 of 10,000", timeout=8000)
        window.grab().save(str(tmp_path / "quota.png"))
    finally:
        window.shutdown()
        window.close()
        window.deleteLater()
        desk.reads.close()
        desk.db.close()
