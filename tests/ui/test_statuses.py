"""Statuses that never lie: a queued unsubscribe is not "Can be mailed", and the status bar's "sending…" is
replaced by what happened."""

from __future__ import annotations

from pathlib import Path

from ccdesk.sandbox.server import SandboxServer
from tests.ui.test_sender_keeps_going import unsubscribed
from tests.ui.test_window_e2e import App, fill_unsubscribe, find, mailable_with_lists, running, sb
from tests.ui.waiting import until


async def test_a_queued_unsubscribe_shows_waiting_to_send_until_sent(server: SandboxServer, tmp_path: Path) -> None:
    app = App(server, tmp_path / "cache.sqlite3")  # the sender is not started: the action stays queued
    try:
        app.window.start_pull()
        await until(lambda: app.window.pull_finished, 30)
        contact = mailable_with_lists(server)
        find(app, contact["email_address"]["address"])
        app.window.contacts._debounce.stop()  # the search's own re-run would clear the selection made by find()
        assert app.window.contacts.details.badge.text() == "Can be mailed"
        fill_unsubscribe(app.window.actions_part.unsubscribe_selected(), "Asked by phone")
        await until(lambda: app.window.contacts.details.badge.text() == "Unsubscribe waiting to send")
        assert "Do not mail" in app.window.contacts.details.badge_detail.text()
        assert "unsubscribe (waiting to send)" in app.window.contacts.details.fields["pending"].text()
        assert app.window.contacts.model.data(app.window.contacts.model.index(0, 3)) == "Unsubscribe waiting to send"
        assert not app.window.contacts.details.unsubscribe_button.isEnabled()
        app.desk.start(background_sync=False)
        await until(lambda: unsubscribed(server, contact["contact_id"]))
        await until(lambda: "Unsubscribed on" in app.window.contacts.details.badge.text())
    finally:
        await app.close()


async def test_sending_message_is_replaced_when_the_send_fails(server: SandboxServer, tmp_path: Path) -> None:
    async with running(server, tmp_path / "cache.sqlite3") as app:
        sb(server).faults.update({"error_next": 1000, "error_status": 503, "only": "^PUT /v3/contacts/"})
        try:
            contact = mailable_with_lists(server)
            find(app, contact["email_address"]["address"])
            app.window.contacts._debounce.stop()
            fill_unsubscribe(app.window.actions_part.unsubscribe_selected(), "Asked by phone")
            await until(lambda: "sending" in app.window.statusBar().currentMessage())
            await until(lambda: "Not sent yet" in app.window.statusBar().currentMessage(), 20)
            assert "sending" not in app.window.statusBar().currentMessage()
            assert app.window.contacts.details.badge.text() == "Unsubscribe waiting to send"
        finally:
            sb(server).faults.update({"error_next": 0, "only": ""})
