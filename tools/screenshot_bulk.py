"""Render the "from file" dialog (preview, sending, report, a bad file) against an in-process sandbox.

    QT_QPA_PLATFORM=offscreen .venv/bin/python tools/screenshot_bulk.py [OUT_DIR]

Writes OUT_DIR/bulk_*.png (default ./screenshots, which git ignores) and prints the paths.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import qasync
from PySide6.QtWidgets import QApplication

from ccdesk.api import CCClient, RateLimiter, StaticTokenProvider
from ccdesk.sandbox.app import SandboxConfig
from ccdesk.sandbox.server import SandboxServer
from ccdesk.services.desk import Desk
from ccdesk.store.database import DeskDatabase
from ccdesk.ui.bulk_file_dialog import BulkMode
from ccdesk.ui.main_window import MainWindow


async def until(predicate, timeout: float = 60) -> None:  # type: ignore[no-untyped-def]
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not predicate():
        if loop.time() > end:
            raise TimeoutError
        await asyncio.sleep(0.05)


async def main(out: Path) -> None:
    server = SandboxServer(SandboxConfig(contacts=2000, seed=5, rate_limit=4, tokens=["t"])).start()
    tmp = Path(tempfile.mkdtemp(prefix="ccdesk-shots-"))
    desk = Desk(CCClient(StaticTokenProvider("t"), base_url=server.api_base, rate_limiter=RateLimiter(4)),
                tmp / "c.sqlite3")
    reader = DeskDatabase(tmp / "c.sqlite3")
    window = MainWindow(desk, reader, account="Screenshots")
    window.confirm_quit_with_pending = False
    window.resize(1200, 760)
    window.show()
    window.start_pull()
    await until(lambda: window.pull_finished)
    desk.start(background_sync=False)
    sb = server.app.state.sandbox
    ids = sb.contact_ids(status="active")
    emails = [sb.contact_json(c)["email_address"]["address"] for c in ids[:40]]
    unsub = [sb.contact_json(c)["email_address"]["address"] for c in sb.contact_ids(status="unsubscribed")[:5]]
    path = tmp / "crm-export.csv"
    path.write_text("Name,Email,Notes\r\n" + "".join(f"Person {i}, {e} ,x\r\n" for i, e in enumerate(emails + unsub))
                    + "Someone,someone@nowhere.example,\r\nBad,not-an-address,\r\n", encoding="utf-16")
    shots = []
    dialog = window.open_bulk_file(BulkMode.UNSUBSCRIBE, path)
    assert dialog is not None
    dialog.resize(820, 640)
    await until(lambda: dialog.stage == "preview")
    shots.append(("bulk_preview_empty", dialog.grab()))
    dialog.reason_edit.setText("Asked by phone")
    dialog.contact_radio.setChecked(True)
    shots.append(("bulk_preview_ready", dialog.grab()))
    dialog.send_button.click()
    await until(lambda: dialog.stage == "sending")
    await asyncio.sleep(3)
    shots.append(("bulk_sending", dialog.grab()))
    await until(lambda: dialog.stage == "report", 120)
    shots.append(("bulk_report", dialog.grab()))
    dialog.accept()
    wrong = tmp / "wrong.csv"
    wrong.write_text("Name,Phone\nAnn,555\n", encoding="utf-8")
    dialog = window.open_bulk_file(BulkMode.REMOVE, wrong)
    assert dialog is not None
    dialog.resize(820, 300)
    await until(lambda: dialog.error is not None)
    shots.append(("bulk_wrong_file", dialog.grab()))
    dialog.reject()
    lst_path = tmp / "upgraded.txt"
    lst_path.write_text("\n".join(emails[:30]), encoding="utf-8")
    dialog = window.open_bulk_file(BulkMode.REMOVE, lst_path)
    assert dialog is not None
    dialog.resize(820, 700)
    await until(lambda: dialog.stage == "preview")
    dialog.lists_widget.item(0).setCheckState(dialog.lists_widget.item(0).checkState().Checked)
    shots.append(("bulk_remove_preview", dialog.grab()))
    dialog.reject()
    out.mkdir(parents=True, exist_ok=True)
    for name, pixmap in shots:
        pixmap.save(str(out / f"{name}.png"))
        print(out / f"{name}.png")
    window.shutdown()
    window.close()
    await desk.close()
    reader.close()
    server.stop()


if __name__ == "__main__":
    app = QApplication(sys.argv[:1])
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    with loop:
        loop.run_until_complete(main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("screenshots")))
