"""Issue 14 item 4 in the window's file dialog (beside tests/faults/test_bad_input_window.py; here for the qasync
loop this folder's conftest provides)."""

from __future__ import annotations

import os
from pathlib import Path

from tests.ui.test_window_e2e import sandbox_options  # noqa: F401 - the fixture


async def test_the_file_dialog_refuses_a_pipe_and_closing_it_stops_the_read(server, tmp_path: Path,
                                                                            monkeypatch) -> None:
    """14.4 in the window: a named pipe is refused at once (the read thread used to block for ever and quitting
    hung); closing the dialog while a large file is read stops the read thread."""
    import threading

    from ccdesk.services import address_file
    from ccdesk.ui import bulk_file_dialog
    from ccdesk.ui.bulk_file_dialog import BulkMode
    from tests.faults.hostile import release_fifo
    from tests.ui.test_window_e2e import running
    from tests.ui.waiting import until

    fifo = tmp_path / "addresses.csv"
    os.mkfifo(fifo)
    big = tmp_path / "big.csv"
    big.write_text("email\n" + "".join(f"person{i}@example.com\n" for i in range(150_000)), encoding="utf-8")
    ended: list[str] = []
    started, done = threading.Event(), threading.Event()

    def watched(path: Path, *args):  # type: ignore[no-untyped-def]
        started.set()
        try:
            result = address_file.read_address_file(path, *args)
            ended.append("read to the end")
            return result
        except address_file.ReadCancelled:
            ended.append("stopped")
            raise
        finally:
            done.set()

    try:
        async with running(server, tmp_path / "c.sqlite3") as app:
            dialog = app.window.actions_part.open_bulk_file(BulkMode.UNSUBSCRIBE, fifo)
            await until(lambda: dialog.error is not None, 10)
            assert "named pipe" in dialog.error and dialog.reading_error.isVisible()
            dialog.grab().save(str(tmp_path / "fifo-refused.png"))
            dialog.reject()
            monkeypatch.setattr(bulk_file_dialog, "read_address_file", watched)
            dialog = app.window.actions_part.open_bulk_file(BulkMode.UNSUBSCRIBE, big)
            await until(started.is_set, 10)
            dialog.reject()  # while the 150,000 rows are being read
            await until(done.is_set, 30)
            assert ended == ["stopped"]
    finally:
        release_fifo(fifo)
