"""Screenshots of the main window for the docs: the window, the details of a contact with a queued unsubscribe,
and the account menu open. Runs the demo sandbox (nothing leaves this machine).

    QT_QPA_PLATFORM=offscreen .venv/bin/python tools/screenshot_window.py [OUT_DIR]   # default docs/images

OUT_DIR is made if missing; a picture that cannot be written stops the tool with a message and exit status 1.
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["LOGNAME"] = "alex"  # the journal's "who" in the pictures: a person, not this machine's login
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout without installing

import qasync
from PySide6.QtCore import QPoint
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import QApplication
from shot_window import ShotNotWritten, out_folder, save_shot


async def shoot(out: Path) -> list[Path]:
    from ccdesk.bootstrap.demo import open_demo
    from ccdesk.services.desk import Desk
    from ccdesk.store import audit
    from ccdesk.ui.account_menu import install_account_menu
    from ccdesk.ui.main_window import MainWindow

    demo = await open_demo()  # the window's own demo mode: the sandbox, a sign-in, a cache of its own
    audit.set_identity(desk="Front desk", cc_user="events@example.org")
    desk = Desk(demo.client, demo.db_path)
    window = MainWindow(desk, account="Demo account (sandbox)", demo=True)
    window.confirm_quit_with_pending = False
    menu = install_account_menu(window, desk, account="Demo account (sandbox)", user="events@example.org",
                                desk_name="Front desk")
    window.resize(1280, 760)
    window.show()
    shots = []
    try:
        window.start_pull()
        while not window.pull_finished:
            await asyncio.sleep(0.1)
        sb = demo.server.app.state.sandbox
        cid = next(c for c in sb.contact_ids(status="active")
                   if sb.contact_json(c)["email_address"]["permission_to_send"] in ("explicit", "implicit"))
        email = sb.contact_json(cid)["email_address"]["address"]
        # The sender is not started: the unsubscribe stays queued, as when the connection is down.
        await desk.actions.unsubscribe([cid], "Asked by phone to stop all emails", "Contact")
        window.contacts.search_edit.setText(email)
        window.contacts.apply_query()
        window.contacts._debounce.stop()
        window.contacts.table.selectRow(0)
        await asyncio.sleep(0.3)
        window.after_change()
        window.statusBar().showMessage("Queued 1 unsubscribe; sending to Constant Contact…")
        await asyncio.sleep(0.3)
        shots.append(save_shot(window.grab(), out / "main-window.png"))
        shots.append(save_shot(window.contacts.details.grab(), out / "details-queued.png"))
        menu.menu().aboutToShow.emit()
        await asyncio.sleep(0.5)
        popup = menu.menu()
        corner = menu.mapTo(window, QPoint(0, menu.height()))
        popup.popup(window.mapToGlobal(corner))
        await asyncio.sleep(0.3)
        picture = window.grab()
        painter = QPainter(picture)
        x = min(corner.x(), window.width() - popup.width())
        painter.drawPixmap(x, corner.y(), popup.grab())
        painter.end()
        popup.hide()
        shots.append(save_shot(picture, out / "account-menu.png"))
    finally:
        window.shutdown()
        await desk.close()
        await demo.close()
    return shots


def main() -> None:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent / "docs" / "images"
    try:
        out_folder(out)  # before the demo starts: a folder that cannot be made stops the tool at once
        app = QApplication.instance() or QApplication([])
        loop = qasync.QEventLoop(app)
        with loop:
            for path in loop.run_until_complete(shoot(out)):
                print(path)
    except ShotNotWritten as exc:
        sys.exit(str(exc))


if __name__ == "__main__":
    main()
