"""Bulk from a file, as the single dialog: presets, date received, compliance clock; a dialog wide enough for
its tabs; a report with one whole line per row of the file (issue 15, item 9)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

from ccdesk.sandbox.server import SandboxServer
from ccdesk.ui.bulk_file_dialog import BulkMode
from ccdesk.ui.dialogs.unsubscribe import PRESET_REASONS
from tests.db_helpers import on_file
from tests.ui.test_bulk_file_dialog import _email, _mailable, _preview
from tests.ui.test_window_e2e import running, sandbox_options, sb  # noqa: F401 - the fixture
from tests.ui.waiting import until


async def test_bulk_has_presets_date_received_and_the_clock(server: SandboxServer,
                                                            tmp_path: Path) -> None:
    targets = _mailable(server, 3)
    path = tmp_path / "asked.csv"
    emails = [_email(server, c) for c in targets]
    path.write_text("\n".join(["email", *emails, emails[0], emails[1], "nobody@nowhere.example"]), encoding="utf-8")
    async with running(server, tmp_path / "c.sqlite3") as app:
        dialog = await _preview(app, BulkMode.UNSUBSCRIBE, path)
        form = dialog.reason_form
        tabs = dialog.groups.tabBar()
        assert dialog.width() >= tabs.sizeHint().width()
        for i in range(tabs.count()):  # no title cut (a hidden tab, e.g. an empty "Deleted", has no place)
            assert not tabs.isTabVisible(i) or tabs.rect().contains(tabs.tabRect(i)), (
                tabs.tabText(i), tabs.tabRect(i), tabs.rect())
        assert [b.text() for b in form.preset_buttons] == list(PRESET_REASONS)
        form.preset_buttons[0].click()
        assert dialog.reason_edit.text() == PRESET_REASONS[0]
        received = date.today() - timedelta(days=30)
        form.received_edit.setDate(received)
        assert form.due_label.text().startswith("Overdue")
        dialog.account_radio.setChecked(True)
        dialog.send_button.click()
        await until(lambda: dialog.stage == "report", 30)
        items = await app.desk.db.call(lambda s: [s.get_outbox_item(i) for i in dialog.queued.outbox_ids])
        assert {item.payload["received_on"] for item in items} == {received.isoformat()}
        # One report line per row of the file, in its order, each message whole.
        assert dialog.report_model.rowCount() == 6
        outcomes = [dialog.report_model.item(r, 1).text() for r in range(6)]
        assert outcomes == ["unsubscribed"] * 3 + ["duplicate", "duplicate", "unknown"]
        view = dialog.report_view
        for r in range(6):
            message = dialog.report_model.item(r, 2).text()
            assert view.columnWidth(2) >= view.fontMetrics().horizontalAdvance(message), message
        dialog.accept()


async def test_addresses_not_in_the_account_can_be_added_as_unsubscribed(server: SandboxServer,
                                                                         tmp_path: Path) -> None:
    target = _mailable(server, 1)[0]
    path = tmp_path / "dnm.csv"
    path.write_text(f"email\n{_email(server, target)}\nnot.yet@elsewhere.example\n", encoding="utf-8")
    async with running(server, tmp_path / "c.sqlite3") as app:
        dialog = await _preview(app, BulkMode.IMPORT, path)
        box = dialog.add_unknown
        assert box.isVisible() and "1 address not in the account" in box.check.text().replace("&", "")
        assert not box.note.isVisible() and dialog.send_button.text() == "Unsubscribe 1 contact"
        box.check.setChecked(True)
        assert box.note.isVisible() and "added to the Constant Contact account" in box.note.text()
        assert dialog.send_button.text() == "Unsubscribe 1 contact, add 1 as unsubscribed"
        dialog.send_button.click()
        await until(lambda: dialog.stage == "report", 30)
        outcomes = [dialog.report_model.item(r, 1).text() for r in range(dialog.report_model.rowCount())]
        assert outcomes == ["unsubscribed", "added as unsubscribed"]
        added = [sb(server).contact_json(c) for c in sb(server).contact_ids(status="all")
                 if sb(server).contact_json(c)["email_address"]["address"] == "not.yet@elsewhere.example"]
        assert len(added) == 1 and added[0]["email_address"]["permission_to_send"] == "unsubscribed"
        dialog.accept()


def test_the_activity_tab_names_the_address_being_added(tmp_path: Path, qtbot) -> None:
    from ccdesk.api import CCClient, StaticTokenProvider
    from ccdesk.services.desk import Desk
    from ccdesk.ui.activity_tab import ActivityTab

    desk = Desk(CCClient(StaticTokenProvider("unused"), base_url="http://127.0.0.1:9/v3"), tmp_path / "c.sqlite3")
    try:
        on_file(desk.db, lambda s: s.enqueue("add_unsubscribed", None, {"email": "not.yet@elsewhere.example"}))
        tab = ActivityTab(desk)
        qtbot.addWidget(tab)
        tab.refresh()
        cells = [tab.queue.item(0, c).text() for c in range(tab.queue.columnCount())]
        assert "not.yet@elsewhere.example" in cells and "add unsubscribed" in cells
    finally:
        desk.reads.close()
        desk.db.close()


SMALL_SCREEN = """
import sys
from pathlib import Path
from PySide6.QtWidgets import QApplication
from ccdesk.api import CCClient, StaticTokenProvider
from ccdesk.services.desk import Desk
from ccdesk.ui.bulk_file_dialog import BulkFileDialog, BulkMode
app = QApplication([])
desk = Desk(CCClient(StaticTokenProvider("unused"), base_url="http://127.0.0.1:9/v3"), Path(sys.argv[1]))
for mode in BulkMode:
    dialog = BulkFileDialog(desk, mode, Path("asked.csv"), [("l1", "Newsletter")])
    dialog._fit_width()  # what the preview does once the file is read
    screen = app.primaryScreen().availableGeometry().height()
    print(mode.value, dialog.height(), dialog.minimumSizeHint().height(), screen)
desk.reads.close()
desk.db.close()
"""


def test_the_dialog_fits_a_1024x640_screen(tmp_path: Path) -> None:
    """Its first size was what every page could use (about 750 px high), then the preview cut it to the screen's
    height, title bar not counted: on a 640-pixel screen the Send button was below the edge. It is now no taller
    than the screen less a title bar, never below what its pages need."""
    config = tmp_path / "screen.json"
    config.write_text(json.dumps({"screens": [{"name": "small", "x": 0, "y": 0, "width": 1024, "height": 640,
                                               "logicalDpi": 96, "logicalBaseDpi": 96, "dpr": 1}]}))
    env = {**os.environ, "QT_QPA_PLATFORM": f"offscreen:configfile={config}"}
    done = subprocess.run([sys.executable, "-c", SMALL_SCREEN, str(tmp_path / "c.sqlite3")], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert len(done.stdout.splitlines()) == len(BulkMode)
    for line in done.stdout.splitlines():
        _mode, height, least, screen = line.split()
        assert screen == "640" and int(height) <= max(int(screen) - 60, int(least)), line
