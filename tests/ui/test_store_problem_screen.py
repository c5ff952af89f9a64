"""The window's plain screen for a database held locked by another program (a real second process): it names
the program, and Try again opens the desk once the lock is gone. Runs on the UI tests' qasync loop (a loop
made by hand inside a sync test crashed the interpreter later in the session)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import shiboken6

from ccdesk.api import CCClient, StaticTokenProvider
from ccdesk.services.desk import Desk
from ccdesk.ui.store_problem import StoreProblemScreen, open_or_explain
from tests.multiprocess.test_locked_database import locked_db, short_wait  # noqa: F401 - fixtures


async def test_the_window_shows_a_plain_screen_then_opens_on_try_again(
        qtbot, tmp_path: Path, locked_db, short_wait) -> None:  # noqa: F811 - the imported fixtures
    db, holder = locked_db
    client = CCClient(StaticTokenProvider("t"), base_url="http://127.0.0.1:9/v3")
    screens: list[StoreProblemScreen] = []
    task = asyncio.ensure_future(open_or_explain(lambda: Desk(client, db), asyncio.Event(),
                                                 on_screen=screens.append))
    deadline = asyncio.get_running_loop().time() + 30
    while not (screens and screens[0].isVisible()):
        assert asyncio.get_running_loop().time() < deadline, "the plain screen never showed"
        await asyncio.sleep(0.05)
    screen = screens[0]
    assert f"process {holder.pid}" in screen.message.text()
    screen.grab().save(str(tmp_path / "store-problem.png"))
    holder.kill()
    holder.wait(10)
    screen.retry_button.click()
    desk = await asyncio.wait_for(task, 30)
    assert desk is not None  # opened on Try again; the screen is gone
    assert not shiboken6.isValid(screens[0]) or not screens[0].isVisible()
    await desk.close()
    assert (tmp_path / "store-problem.png").stat().st_size > 0
