"""The real window against the sandbox over loopback: the actions a user takes, end to end."""

from __future__ import annotations

import asyncio
import contextlib
import copy
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDialog

from ccdesk.api import CCClient, RateLimiter, RetryPolicy, StaticTokenProvider
from ccdesk.sandbox.server import SandboxServer
from ccdesk.services.desk import Desk
from ccdesk.store.database import DeskDatabase
from ccdesk.ui.dialogs import RemoveFromListsDialog, ResubscribeDialog, UnsubscribeDialog
from ccdesk.ui.main_window import MainWindow
from tests.ui.waiting import until

TOKEN = "ui-e2e-token"




class App:
    """A window, its desk and reader on one cache file, against one sandbox."""

    def __init__(self, server: SandboxServer, db: Path) -> None:
        client = CCClient(StaticTokenProvider(TOKEN), base_url=server.api_base, rate_limiter=RateLimiter(0),
                          retry=RetryPolicy(attempts=2, base_delay=0.01, max_delay=0.02))
        self.desk = Desk(client, db)
        self.reader = DeskDatabase(db)
        self.window = MainWindow(self.desk, account="e2e")
        self.window.confirm_quit_with_pending = False
        self.window.show()

    async def close(self) -> None:
        self.window.shutdown()
        self.window.close()
        await self.desk.close()
        self.reader.close()
        await asyncio.sleep(0.05)


@pytest.fixture
def sandbox_options() -> dict[str, Any]:
    return {"contacts": 400, "seed": 11, "rate_limit": 0, "tokens": [TOKEN], "activity_seconds": 0.1}


@contextlib.asynccontextmanager
async def running(server: SandboxServer, db: Path) -> AsyncIterator[App]:
    """A started app, closed before the test returns: qasync timers must not outlive the test's loop."""
    a = App(server, db)
    try:
        a.window.start_pull()
        await until(lambda: a.window.pull_finished, 30)
        a.desk.start(background_sync=False)
        yield a
    finally:
        await a.close()


def sb(server: SandboxServer):
    return server.app.state.sandbox


def find(app: App, text: str) -> None:
    app.window.contacts.search_edit.setText(text)
    app.window.contacts.apply_query()
    assert app.window.contacts.model.total >= 1
    app.window.contacts.table.selectRow(0)


def mailable_with_lists(server: SandboxServer) -> dict:
    for cid in sb(server).contact_ids(status="active"):
        c = sb(server).contact_json(cid)
        if c["email_address"]["permission_to_send"] in ("explicit", "implicit") and len(
                c.get("list_memberships") or []) >= 2:
            return c
    raise AssertionError("no mailable contact on two lists")


def fill_unsubscribe(dialog: UnsubscribeDialog, reason: str) -> None:
    dialog.reason_edit.setPlainText(reason)
    dialog.contact_radio.setChecked(True)
    dialog.accept()


async def test_search_by_partial_name_and_filter(server: SandboxServer, tmp_path: Path) -> None:
    async with running(server, tmp_path / "cache.sqlite3") as app:
        contact = mailable_with_lists(server)
        app.window.contacts.search_edit.setText(contact["last_name"][:3].lower())
        app.window.contacts.apply_query()
        ids = {app.window.contacts.model.row(i).contact_id for i in range(app.window.contacts.model.rowCount())}
        assert contact["contact_id"] in ids
        app.window.contacts.status_filter.setCurrentIndex(app.window.contacts.status_filter.findData("unsubscribed"))
        model = app.window.contacts.model
        assert all(str(model.row(i).status) == "unsubscribed" for i in range(model.rowCount()))


async def test_unsubscribe_with_reason_changes_only_the_opt_out(server: SandboxServer, tmp_path: Path) -> None:
    async with running(server, tmp_path / "cache.sqlite3") as app:
        contact = mailable_with_lists(server)
        before = copy.deepcopy(contact)
        find(app, contact["email_address"]["address"])
        dialog = app.window.actions_part.unsubscribe_selected()
        assert isinstance(dialog, UnsubscribeDialog)
        fill_unsubscribe(dialog, "Asked by phone on Monday")
        await until(lambda: sb(server).contact_json(contact["contact_id"])["email_address"]["permission_to_send"]
                    == "unsubscribed")
        after = sb(server).contact_json(contact["contact_id"])
        email = after["email_address"]
        assert (email["opt_out_reason"], email["opt_out_source"]) == ("Asked by phone on Monday", "Contact")
        for key in ("permission_to_send", "opt_out_reason", "opt_out_source", "opt_out_date", "updated_at",
                    "confirm_status"):
            email.pop(key, None)
            before["email_address"].pop(key, None)
        after.pop("update_source", None)
        before.pop("update_source", None)
        assert after.pop("list_memberships") == []  # the service takes an unsubscribed contact off every list
        before.pop("list_memberships")
        assert after == before
        assert sb(server).emails_json() == []
        await until(lambda: "Unsubscribed" in app.window.contacts.details.badge.text())
        assert not app.window.contacts.details.unsubscribe_button.isEnabled()


async def test_resubscribe_request_once_then_refused_in_the_ui(server: SandboxServer, tmp_path: Path) -> None:
    async with running(server, tmp_path / "cache.sqlite3") as app:
        cid = sb(server).contact_ids(status="unsubscribed")[0]
        find(app, sb(server).contact_json(cid)["email_address"]["address"])
        assert app.window.contacts.details.resubscribe_button.isEnabled()
        dialog = app.window.actions_part.resubscribe_selected()
        assert isinstance(dialog, ResubscribeDialog)
        dialog.lists_widget.item(0).setCheckState(Qt.CheckState.Checked)
        dialog.permission_check.setChecked(True)
        dialog.accept()
        # 30 s: on a loaded machine the re-read after the email and the details refresh took over 10 s (1 run in 10)
        await until(lambda: app.reader.resubscribe_requested_at(cid) is not None, 30)
        await until(lambda: "Resubscribe requested" in app.window.contacts.details.badge.text(), 30)
        assert not app.window.contacts.details.resubscribe_button.isEnabled()
        # not mailable until the contact confirms, in either reading of the service
        assert sb(server).contact_json(cid)["email_address"]["permission_to_send"] in (
            "unsubscribed", "pending_confirmation")
        second = app.window.actions_part.resubscribe_selected()
        assert isinstance(second, ResubscribeDialog) and not second.ok_button.isEnabled()
        second.reject()


async def test_remove_one_contact_from_a_list(server: SandboxServer, tmp_path: Path) -> None:
    async with running(server, tmp_path / "cache.sqlite3") as app:
        contact = mailable_with_lists(server)
        find(app, contact["email_address"]["address"])
        dialog = app.window.actions_part.remove_selected()
        assert isinstance(dialog, RemoveFromListsDialog)
        dialog.lists_widget.item(0).setCheckState(Qt.CheckState.Checked)
        dialog.accept()
        await until(lambda: len(sb(server).contact_json(contact["contact_id"])["list_memberships"])
                    == len(contact["list_memberships"]) - 1)
        assert sb(server).contact_json(contact["contact_id"])["email_address"]["permission_to_send"] == \
            contact["email_address"]["permission_to_send"]


async def test_remove_a_selection_from_a_list_in_bulk(server: SandboxServer, tmp_path: Path) -> None:
    async with running(server, tmp_path / "cache.sqlite3") as app:
        lid = sb(server).lists()[0]["list_id"]
        app.window.contacts.search_edit.setText("")
        app.window.contacts.list_filter.setCurrentIndex(app.window.contacts.list_filter.findData(lid))
        app.window.contacts.apply_query()
        n = min(5, app.window.contacts.model.rowCount())
        assert n >= 2
        selection = app.window.contacts.table.selectionModel()
        for row in range(n):
            selection.select(app.window.contacts.model.index(row, 0),
                             selection.SelectionFlag.Select | selection.SelectionFlag.Rows)
        chosen = [r.contact_id for r in app.window.contacts.selected_rows()]
        dialog = app.window.actions_part.remove_selected()
        assert isinstance(dialog, RemoveFromListsDialog)
        for i in range(dialog.lists_widget.count()):
            item = dialog.lists_widget.item(i)
            if item.data(Qt.ItemDataRole.UserRole) == lid:
                item.setCheckState(Qt.CheckState.Checked)
        dialog.accept()
        await until(lambda: all(lid not in sb(server).contact_json(c)["list_memberships"] for c in chosen), 15)
        assert sb(server).requests_matching("POST", "/v3/activities/remove_list_memberships") == 1


async def test_action_queued_during_503_is_sent_after_recovery(server: SandboxServer, tmp_path: Path) -> None:
    async with running(server, tmp_path / "cache.sqlite3") as app:
        contact = mailable_with_lists(server)
        sb(server).faults.update({"error_next": 1000, "error_status": 503, "only": "^(GET|PUT) /v3/contacts/"})
        find(app, contact["email_address"]["address"])
        fill_unsubscribe(app.window.actions_part.unsubscribe_selected(), "Asked by email")
        # The first attempt has finished (failed, back in the queue with the error) ...
        await until(lambda: bool(app.reader.pending()) and app.reader.pending()[0].state == "pending"
                    and app.reader.pending()[0].last_error is not None)
        assert "waiting" in app.window.status.pending_label.text()
        sb(server).faults.update({"error_next": 0, "only": ""})
        item = app.reader.pending()[0]
        # Make the retry due now instead of after the backoff.
        app.reader.connection.execute("UPDATE outbox SET next_attempt_at = '2000-01-01T00:00:00+00:00' "
                                      "WHERE id = ?", (item.id,))
        app.desk.worker.wake()
        await until(lambda: sb(server).contact_json(contact["contact_id"])["email_address"]["permission_to_send"]
                    == "unsubscribed", 15)
        await until(lambda: not app.reader.pending())


async def test_action_queued_then_app_closed_is_sent_after_reopening(server: SandboxServer, tmp_path: Path) -> None:
    db = tmp_path / "cache.sqlite3"
    first = App(server, db)
    first.window.start_pull()
    await until(lambda: first.window.pull_finished, 30)
    contact = mailable_with_lists(server)
    find(first, contact["email_address"]["address"])
    fill_unsubscribe(first.window.actions_part.unsubscribe_selected(), "Asked in person")
    await until(lambda: len(first.reader.pending()) == 1)
    await until(lambda: "Queued" in first.window.statusBar().currentMessage())  # the slot has finished too
    await first.close()  # the outbox worker was never started: the action is only on disk
    assert sb(server).contact_json(contact["contact_id"])["email_address"]["permission_to_send"] != "unsubscribed"

    second = App(server, db)
    try:
        assert len(second.reader.pending()) == 1
        second.desk.start(background_sync=False)
        await until(lambda: sb(server).contact_json(contact["contact_id"])["email_address"]
                    ["permission_to_send"] == "unsubscribed", 15)
        await until(lambda: not second.reader.pending())
    finally:
        await second.close()


def test_no_dialog_left_open() -> None:
    assert not [w for w in QApplication.topLevelWidgets() if isinstance(w, QDialog) and w.isVisible()]


async def test_new_opt_outs_are_announced_and_listed_newest_first(server: SandboxServer, tmp_path: Path) -> None:
    async with running(server, tmp_path / "cache.sqlite3") as app:
        contact = mailable_with_lists(server)
        sb(server).contact_unsubscribes(contact["contact_id"], "Not interested")
        announced: list[list[str]] = []
        app.window.new_optouts.connect(announced.append)
        app.window.start_pull()
        await until(lambda: bool(announced))
        assert announced == [[contact["contact_id"]]]
        assert app.window.status.notice.isVisible() and "1 new opt-out" in app.window.status.notice.label.text()
        assert contact["email_address"]["address"] in app.window.status.notice.label.text()
        app.window.status.notice.action_button.click()  # "Show them": the Recent opt-outs the check found
        assert app.window.tabs.currentWidget() is app.window.optouts
        recent = app.window.optouts.model
        await until(lambda: [r.contact_id for r in recent.rows] == [contact["contact_id"]])
        assert not app.window.status.notice.isVisible()


def _saving_to(monkeypatch, path: Path) -> list[str]:  # type: ignore[no-untyped-def]
    """The save dialog answers `path`; the messages shown are collected in the list returned."""
    from PySide6.QtWidgets import QFileDialog

    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(path), "CSV files (*.csv)"))
    told: list[str] = []
    monkeypatch.setattr("ccdesk.ui.messages.show_message", lambda _p, _t, text, _icon=None: told.append(text))
    return told


async def test_export_do_not_mail_from_the_file_menu(server: SandboxServer, tmp_path: Path, monkeypatch) -> None:
    import csv

    out = tmp_path / "dnm.csv"
    told = _saving_to(monkeypatch, out)
    async with running(server, tmp_path / "cache.sqlite3") as app:
        app.window.actions_part.export_do_not_mail(only_new=False)
        await until(lambda: bool(told))
        with open(out, encoding="utf-8-sig", newline="") as f:
            rows = list(csv.reader(f))
        expected = {sb(server).contact_json(c)["email_address"]["address"].lower()
                    for c in sb(server).contact_ids(status="all")
                    if sb(server).contact_json(c)["email_address"]["permission_to_send"] == "unsubscribed"}
        assert {r[0].lower() for r in rows[1:]} == expected
        assert f"Saved {len(expected):,} opt-outs" in told[0]


async def test_the_new_opt_outs_export_checks_constant_contact_first(server: SandboxServer, tmp_path: Path,
                                                                   monkeypatch) -> None:
    """An opt-out made since the window's last check is in the feed (the window said "no new opt-outs" before:
    unlike the command, it exported the cache without a sync)."""
    import csv

    feed = tmp_path / "feed.csv"
    told = _saving_to(monkeypatch, feed)
    async with running(server, tmp_path / "cache.sqlite3") as app:
        app.window.actions_part.export_do_not_mail(only_new=True)
        await until(lambda: bool(told))
        assert "first export" in told[0]
        cid = next(c for c in sb(server).contact_ids(status="active")
                   if sb(server).contact_json(c)["email_address"]["permission_to_send"] != "unsubscribed")
        sb(server).contact_unsubscribes(cid, "Moved away")  # no sync in the window since
        feed.rename(tmp_path / "taken.csv")
        app.window.actions_part.export_do_not_mail(only_new=True)
        await until(lambda: len(told) == 2)
        assert told[1].startswith("Saved 1 new opt-out to feed.csv"), told[1]
        with open(feed, encoding="utf-8-sig", newline="") as f:
            [row] = list(csv.DictReader(f))
        assert row["email"].lower() == sb(server).contact_json(cid)["email_address"]["address"].lower()


@pytest.mark.parametrize("overrides", [False, True], ids=["account-record-kept", "contact-recorded"])
async def test_the_contacts_own_request_on_a_team_opt_out(server: SandboxServer, tmp_path: Path,
                                                          overrides: bool) -> None:
    """Issue 13 client item 6, from the window: a contact our team opted out asks too; the request is sent with
    update_source Contact, and the outcome says whether Constant Contact recorded it (under both readings)."""
    sb(server).set_readings({"contact_optout_overrides_account": overrides})
    async with running(server, tmp_path / "cache.sqlite3") as app:
        cid = next(c for c in sb(server).contact_ids(status="unsubscribed")
                   if sb(server).contact_json(c)["email_address"]["opt_out_source"] == "Account")
        find(app, sb(server).contact_json(cid)["email_address"]["address"])
        assert app.window.contacts.details.unsubscribe_button.isEnabled()
        dialog = app.window.actions_part.unsubscribe_selected()
        assert isinstance(dialog, UnsubscribeDialog) and dialog.contact_radio.isChecked()
        dialog.reason_edit.setPlainText("Asked by phone")
        dialog.accept()
        await until(lambda: bool(app.reader.audit(cid)) and not app.reader.pending(cid), 20)
        entry = app.reader.journal(cid)[0]
        assert entry.asked_by == "Contact" and entry.reason == "Asked by phone"
        assert ("kept that record" in entry.message) == (not overrides), entry.message
        email = sb(server).contact_json(cid)["email_address"]
        assert email["permission_to_send"] == "unsubscribed"
        assert email["opt_out_source"] == ("Contact" if overrides else "Account")
