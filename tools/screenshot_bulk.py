"""Render the "from file" dialog (preview, sending, report, a bad file) against an in-process sandbox.

    QT_QPA_PLATFORM=offscreen .venv/bin/python tools/screenshot_bulk.py [OUT_DIR]

Writes OUT_DIR/bulk_*.png (default ./screenshots, which git ignores) and prints the paths.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from shot_window import run, until, window_on_sandbox

from ccdesk.ui.bulk_file_dialog import BulkMode


async def main(out: Path) -> None:
    async with window_on_sandbox(contacts=2000, seed=5, rate_limit=4, account="Screenshots") as (
            window, desk, server, tmp):
        window.resize(1200, 760)
        desk.start(background_sync=False)
        sb = server.app.state.sandbox
        ids = sb.contact_ids(status="active")
        emails = [sb.contact_json(c)["email_address"]["address"] for c in ids[:40]]
        unsub = [sb.contact_json(c)["email_address"]["address"] for c in sb.contact_ids(status="unsubscribed")[:5]]
        path = tmp / "crm-export.csv"
        rows = "".join(f"Person {i}, {e} ,x\r\n" for i, e in enumerate(emails + unsub))
        path.write_text("Name,Email,Notes\r\n" + rows + "Someone,someone@nowhere.example,\r\nBad,not-an-address,\r\n",
                        encoding="utf-16")
        shots = []
        dialog = window.actions_part.open_bulk_file(BulkMode.UNSUBSCRIBE, path)
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
        dialog = window.actions_part.open_bulk_file(BulkMode.REMOVE, wrong)
        assert dialog is not None
        dialog.resize(820, 300)
        await until(lambda: dialog.error is not None)
        shots.append(("bulk_wrong_file", dialog.grab()))
        dialog.reject()
        lst_path = tmp / "upgraded.txt"
        lst_path.write_text("\n".join(emails[:30]), encoding="utf-8")
        dialog = window.actions_part.open_bulk_file(BulkMode.REMOVE, lst_path)
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


if __name__ == "__main__":
    run(main, Path("screenshots"))
