"""Bulk work from a file in the real window against the sandbox: preview, send, report, stop, bad files."""

from __future__ import annotations

import csv
from pathlib import Path

from PySide6.QtCore import Qt

from ccdesk.sandbox.server import SandboxServer
from ccdesk.store.rows import OutboxState
from ccdesk.ui.bulk_file_dialog import IMPORT_REASON, BulkFileDialog, BulkMode
from tests.sandboxes import subscribed
from tests.ui.test_window_e2e import App, running, sandbox_options, sb  # noqa: F401 - the fixture
from tests.ui.waiting import until


def _mailable(srv: SandboxServer, n: int) -> list[str]:
    s = sb(srv)
    return subscribed(s)[:n]


def _email(srv: SandboxServer, cid: str) -> str:
    return sb(srv).contact_json(cid)["email_address"]["address"]


async def _preview(app: App, mode: BulkMode, path: Path) -> BulkFileDialog:
    dialog = app.window.actions_part.open_bulk_file(mode, path)
    assert dialog is not None
    await until(lambda: dialog.stage == "preview" or dialog.error, 30)
    return dialog


async def test_unsubscribe_from_file_preview_send_report(server: SandboxServer, tmp_path: Path) -> None:
    targets = _mailable(server, 6)
    already = sb(server).contact_ids(status="unsubscribed")[:2]
    path = tmp_path / "from-excel.csv"
    rows = ["Name\tEmail"] + [f"x\t {_email(server, c).upper()} " for c in targets + already]
    rows += ["dup\t" + _email(server, targets[0]), "who\tnobody@nowhere.example", "bad\tnot an address", ""]
    path.write_text("\r\n".join(rows), encoding="utf-16")
    async with running(server, tmp_path / "c.sqlite3") as app:
        dialog = await _preview(app, BulkMode.UNSUBSCRIBE, path)
        assert "UTF-16" in dialog.file_label.text() and "Email" in dialog.file_label.text()
        assert dialog.summary_label.text() == ("6 to unsubscribe, 2 already unsubscribed, 1 not in the account, "
                                               "1 not valid, 1 duplicate ignored.")
        assert [dialog.groups.tabText(i) for i in range(dialog.groups.count()) if dialog.groups.isTabVisible(i)] == [
            "To unsubscribe (6)", "Already unsubscribed (2)", "Not in the account (1)", "Not valid (1)"]
        assert dialog.group_models["unknown"].stringList() == ["nobody@nowhere.example"]
        assert not dialog.send_button.isEnabled() and "reason" in dialog.problem_label.text()
        dialog.reason_edit.setText("x" * 300)
        dialog.contact_radio.setChecked(True)
        assert not dialog.send_button.isEnabled() and "255" in dialog.problem_label.text()
        assert dialog.reason_counter.text() == "300/255"
        dialog.reason_edit.setText("Asked by phone")
        assert dialog.send_button.isEnabled() and dialog.send_button.text() == "Unsubscribe 6 contacts"
        assert "a minute" in dialog.estimate_label.text()
        assert sb(server).requests_matching("PUT") == 0, "nothing is sent before the preview is confirmed"
        dialog.send_button.click()
        await until(lambda: dialog.stage == "report", 30)
        assert dialog.report_label.text() == "6 unsubscribed, 2 already, 1 unknown, 1 invalid, 1 duplicate."
        for cid in targets:
            email = sb(server).contact_json(cid)["email_address"]
            assert (email["permission_to_send"], email["opt_out_reason"], email["opt_out_source"]) == (
                "unsubscribed", "Asked by phone", "Contact")
        assert dialog.report_model.rowCount() == 11  # one per row of the file, the repeated one included
        await dialog.save_report(tmp_path / "report.csv")
        with open(tmp_path / "report.csv", encoding="utf-8-sig", newline="") as f:
            saved = list(csv.DictReader(f))
        assert [r["outcome"] for r in saved].count("unsubscribed") == 6
        dialog.grab().save(str(tmp_path / "report.png"))
        dialog.accept()


async def test_remove_from_lists_by_file_follows_the_chosen_lists(server: SandboxServer,
                                                                 tmp_path: Path) -> None:
    s = sb(server)
    lst = s.lists()[0]
    members = [c for c in s.contact_ids(status="active") if lst["list_id"] in s.contact_json(c)["list_memberships"]]
    others = [c for c in s.contact_ids(status="active")
              if lst["list_id"] not in s.contact_json(c)["list_memberships"]][:2]
    path = tmp_path / "upgraded.txt"
    path.write_text("\n".join(_email(server, c) for c in members[:5] + others), encoding="utf-8")
    async with running(server, tmp_path / "c.sqlite3") as app:
        dialog = await _preview(app, BulkMode.REMOVE, path)
        assert not dialog.send_button.isEnabled() and "Choose at least one list" in dialog.problem_label.text()
        for i in range(dialog.lists_widget.count()):
            item = dialog.lists_widget.item(i)
            if item.data(Qt.ItemDataRole.UserRole) == lst["list_id"]:
                item.setCheckState(Qt.CheckState.Checked)
        assert dialog.target_lists() == (lst["list_id"],)
        assert dialog.summary_label.text().startswith("5 to remove, 2 not on those lists")
        dialog.send_button.click()
        await until(lambda: dialog.stage == "report", 30)
        assert "5 removed" in dialog.report_label.text()
        for cid in members[:5]:
            contact = s.contact_json(cid)
            assert lst["list_id"] not in contact["list_memberships"]
            assert contact["email_address"]["permission_to_send"] != "unsubscribed"
        dialog.accept()


async def test_import_do_not_mail_list_keeps_each_rows_reason(server: SandboxServer, tmp_path: Path) -> None:
    targets = _mailable(server, 3)
    path = tmp_path / "dnm.csv"
    path.write_text("email,reason,date\n"
                    f"{_email(server, targets[0])},Complained by phone,2026-11-02\n"
                    f"{_email(server, targets[1])},,\n"
                    f"{_email(server, targets[2])},{'z' * 400},2026-11-03\n", encoding="utf-8")
    async with running(server, tmp_path / "c.sqlite3") as app:
        dialog = await _preview(app, BulkMode.IMPORT, path)
        assert dialog.reason_edit.text() == IMPORT_REASON and dialog.contact_radio.isChecked()
        assert "2 rows bring their own reason or date" in dialog.file_label.text()
        assert "1 reason from the file (line 4) will be shortened" in dialog.summary_label.text()
        assert dialog.send_button.isEnabled()
        dialog.send_button.click()
        await until(lambda: dialog.stage == "report", 30)
        reasons = [sb(server).contact_json(c)["email_address"]["opt_out_reason"] for c in targets]
        assert reasons == ["Complained by phone", IMPORT_REASON, "z" * 254 + "\u2026"]  # the requester's, cut
        received = [item.payload["received_on"] for item in app.reader.outbox_items()]
        assert sorted(received)[:2] == ["2026-11-02", "2026-11-03"]
        dialog.accept()


async def test_bad_files_say_what_is_wrong_and_send_nothing(server: SandboxServer, tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("Name,Phone\nAnn,555-1234\nBob,555-9876\n", encoding="utf-8")
    async with running(server, tmp_path / "c.sqlite3") as app:
        before = sb(server).requests_matching("PUT")
        junk = tmp_path / "junk.txt"
        junk.write_text("Email\nhello\nworld\n", encoding="utf-8")
        for path, words in ((empty, "is empty"), (wrong, "no column of email addresses (its columns: “Name”, “Phone”)"),
                            (tmp_path / "missing.csv", "Could not read")):
            dialog = await _preview(app, BulkMode.UNSUBSCRIBE, path)
            assert dialog.error is not None and words in dialog.error and dialog.reading_cancel.text() == "Close"
            assert dialog.reading_error.text() == dialog.error and "Traceback" not in dialog.error
            assert dialog.reading_error.isVisible() and not dialog.reading_bar.isVisible()
            dialog.reject()
        dialog = await _preview(app, BulkMode.UNSUBSCRIBE, junk)  # read, but no row is an address
        assert dialog.summary_label.text().startswith("0 to unsubscribe")
        assert not dialog.send_button.isEnabled() and "Nothing to send" in dialog.problem_label.text()
        assert dialog.group_models["invalid"].stringList() == ["line 2: hello", "line 3: world"]
        dialog.reject()
        assert sb(server).requests_matching("PUT") == before


async def test_stop_cancels_what_was_not_sent(server: SandboxServer, tmp_path: Path) -> None:
    targets = _mailable(server, 4)
    path = tmp_path / "a.txt"
    path.write_text("\n".join(_email(server, c) for c in targets), encoding="utf-8")
    async with running(server, tmp_path / "c.sqlite3") as app:
        dialog = await _preview(app, BulkMode.UNSUBSCRIBE, path)
        dialog.reason_edit.setText("Asked by email")
        dialog.account_radio.setChecked(True)
        sb(server).faults.update({"error_next": 10_000, "error_status": 503, "only": "PUT /v3/contacts/"})
        dialog.send_button.click()
        await until(lambda: dialog.stage == "sending", 10)
        await until(lambda: any(i.last_error for i in app.reader.outbox_items()), 20)
        assert "Sent 0 of 4 changes" in dialog.sending_label.text()
        dialog.stop_button.click()
        await until(lambda: dialog.stage == "report", 20)
        sb(server).faults.reset()
        assert "Stopped: changes not sent yet were cancelled" in dialog.report_label.text()
        states = {i.state for i in app.reader.outbox_items()}
        assert states <= {OutboxState.DISCARDED, OutboxState.DONE}
        unsubscribed = [c for c in targets
                        if sb(server).contact_json(c)["email_address"]["permission_to_send"] == "unsubscribed"]
        assert len(unsubscribed) == sum(i.state is OutboxState.DONE for i in app.reader.outbox_items())
        outcomes = [dialog.report_model.item(r, 1).text() for r in range(dialog.report_model.rowCount())]
        assert outcomes.count("cancelled") == 4 - len(unsubscribed) and set(outcomes) <= {"cancelled", "unsubscribed"}
        dialog.accept()
