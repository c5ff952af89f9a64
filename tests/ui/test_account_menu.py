"""The account menu: who is signed in to which account, the requests used today (moving), Settings, Sign out."""

from __future__ import annotations

import re
from pathlib import Path

from ccdesk.sandbox.server import SandboxServer
from ccdesk.ui.account_menu import install_account_menu
from tests.ui.test_window_e2e import fill_unsubscribe, find, mailable_with_lists, running
from tests.ui.waiting import until


def used(menu) -> int:  # type: ignore[no-untyped-def]
    match = re.search(r"today: ([\d,]+) of", menu.requests.text())
    return int(match.group(1).replace(",", "")) if match else -1


async def test_account_menu_shows_who_where_and_a_moving_request_count(server: SandboxServer, tmp_path: Path,
                                                                       qtbot) -> None:
    async with running(server, tmp_path / "cache.sqlite3") as app:
        menu = install_account_menu(app.window, app.desk, account="Example Org", user="events@example.org",
                                    desk_name="Front desk")
        assert app.window.menuBar().cornerWidget() is menu
        assert menu.signed_in.text() == "Signed in as events@example.org to Example Org"
        assert "(Front desk)" in menu.on_desk.text()
        menu.menu().aboutToShow.emit()
        await until(lambda: used(menu) > 0)  # the first sync's requests
        before = used(menu)
        contact = mailable_with_lists(server)
        find(app, contact["email_address"]["address"])
        app.window.contacts._debounce.stop()
        fill_unsubscribe(app.window.actions_part.unsubscribe_selected(), "Asked by phone")
        await until(lambda: used(menu) > before)  # moves after the change is sent, without reopening the menu
        with qtbot.waitSignal(menu.settings_requested, timeout=1000):
            menu.settings_action.trigger()
        with qtbot.waitSignal(menu.sign_out_requested, timeout=1000):
            menu.sign_out_action.trigger()
